// sim/json.cpp
#include "sim/json.hpp"

namespace twostage {

Json to_json(const Estimate& estimate) {
  return Json{{"value", estimate.value}, {"error", estimate.error}};
}

Json to_json(TypeView theta) {
  return Json(std::vector<double>(theta.begin(), theta.end()));
}

std::string dump(const Json& json) {
  return json.dump(2) + "\n";
}

}  // namespace twostage
