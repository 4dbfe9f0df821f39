// sim/describe.hpp: `twostage describe`, the facts of an environment.
#pragma once

#include <string>
#include <vector>

#include "scenarios/expectation.hpp"
#include "scenarios/facts.hpp"
#include "scenarios/scenario.hpp"
#include "sim/json.hpp"

namespace twostage {

struct TypeRow {
  Type theta;
  Estimate W;               // W1(θ1) or W2(θ2)
  Estimate outside_option;  // U1°(θ1) or U2° = 0
};

struct Description {
  const Scenario* scenario = nullptr;
  EnvironmentFacts facts;
  Estimate expected_surplus;
  ExpectationMethod es_method = ExpectationMethod::kExact;
  std::vector<TypeRow> seller_rows, buyer_rows;
};

// `grid` is the number of table points per type coordinate.
Description describe(const Scenario& scenario, std::size_t grid);

Json to_json(const Description& description);
std::string to_text(const Description& description);

// Shared by every report: the scenario block of the JSON output.
Json scenario_json(const Scenario& scenario);

}  // namespace twostage
