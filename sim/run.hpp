// sim/run.hpp: `twostage run`, Monte Carlo play of the two-stage game.
#pragma once

#include <string>

#include "agents/strategy.hpp"
#include "mechanisms/mechanism.hpp"
#include "scenarios/scenario.hpp"
#include "sim/json.hpp"
#include "sim/monte_carlo.hpp"

namespace twostage {

struct RunReport {
  const Scenario* scenario = nullptr;
  const Mechanism* mechanism = nullptr;
  Strategy seller, buyer;
  std::string stress = "none";  // the stress applied (sim/stress.hpp)
  MonteCarloOptions options;
  MonteCarloResult result;
};

// A mean with its 95% interval: {"value", "ci95": [low, high]}.
Json mean_json(const Moments& m);

Json to_json(const RunReport& report);
std::string to_text(const RunReport& report);
// The IIR slack by type bin, one row per bin and agent.
std::string slack_csv(const RunReport& report);

}  // namespace twostage
