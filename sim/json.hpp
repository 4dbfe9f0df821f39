// sim/json.hpp: how twostage's values appear in its JSON output.
//
// Every estimate is an object {"value", "error"}; every type is an array of
// its coordinates, even in one dimension, so consumers need no special case.
#pragma once

#include <nlohmann/json.hpp>

#include "scenarios/estimate.hpp"
#include "scenarios/type_space.hpp"

namespace twostage {

using Json = nlohmann::ordered_json;

Json to_json(const Estimate& estimate);
Json to_json(TypeView theta);

// Writes JSON as twostage prints it: two-space indent and a final newline.
std::string dump(const Json& json);

}  // namespace twostage
