// sim/verify_mc.hpp: the Monte Carlo cross-check of `twostage verify`.
//
// Plays the mechanism with truthful agents and compares the Monte Carlo means
// with the exact figures of the interim analysis: each agent's expected
// utility E[Ui] = E_θi[Ui(θi)] and the trade rate E[x(θ)]. They agree when the
// difference is within two 95% half-widths (about four standard errors) plus
// the exact figure's error and the error of the mechanism's batch transfers.
#pragma once

#include <string>
#include <vector>

#include "mechanisms/mechanism.hpp"
#include "scenarios/expectation.hpp"
#include "sim/json.hpp"
#include "sim/monte_carlo.hpp"

namespace twostage {

struct MonteCarloComparison {
  std::string name;  // "seller_mean_utility", "buyer_mean_utility", "trade_rate"
  Moments monte_carlo;
  Estimate exact;
  double allowed = 0.0;  // the largest difference that still agrees
  bool agree = false;
};

struct MonteCarloCheck {
  std::uint64_t plays = 0, seed = 0;
  std::vector<MonteCarloComparison> comparisons;
  double max_imbalance = 0.0;  // max |t1 + t2| over the plays
  bool agree = false;          // every comparison agrees
};

// Runs `options.plays` truthful plays (options.deposits is filled in when
// both are zero) and compares them with the exact figures.
MonteCarloCheck check_by_monte_carlo(const Mechanism& mechanism, const Expectations& expectations,
                                     MonteCarloOptions options);

Json to_json(const MonteCarloCheck& check);
std::string to_text(const MonteCarloCheck& check);

}  // namespace twostage
