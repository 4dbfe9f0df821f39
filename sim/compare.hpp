// sim/compare.hpp: `twostage compare`, mechanisms side by side (issue 6).
//
// For each mechanism (and, under a fine sweep, each fine F of a mechanism
// that has one) it reports, by property:
//   EFF  decision errors on the type grid (exact) and the surplus lost in play
//   BB   the largest |t1 + t2| on the truthful path (exact) and money burned in play
//   IIR  each agent's smallest slack and worst-off type (exact)
//   BIC  each agent's exploitability bracket and the deviation attaining it
//   the deposit each agent must lodge for every transfer to be collectable,
// and then how the play figures move under each stress (sim/stress.hpp).
#pragma once

#include <string>
#include <vector>

#include "sim/json.hpp"
#include "sim/monte_carlo.hpp"
#include "sim/stress.hpp"
#include "sim/verify.hpp"

namespace twostage {

struct CompareOptions {
  std::vector<std::string> mechanisms;
  std::vector<Stress> stresses;  // each is played on its own; fine:… entries sweep instead
  std::uint64_t plays = 200'000;
  std::uint64_t seed = 1;
  int threads = 1;
  SearchOptions search;
};

struct StressOutcome {
  std::string stress;
  Deposits deposits;
  Tally tally;
};

struct CompareRow {
  std::string mechanism;
  std::string label;  // the mechanism, with its fine when swept
  Verification exact;
  Deposits required;                // the largest amount each agent can owe
  std::vector<StressOutcome> play;  // [0]: no stress
};

struct Comparison {
  const Scenario* scenario = nullptr;
  CompareOptions options;
  std::vector<CompareRow> rows;
};

// Throws InputError for an unknown mechanism, a fine sweep that no listed
// mechanism can take, or a bad stress.
Comparison compare(const Scenario& scenario, const CompareOptions& options);

Json to_json(const Comparison& comparison);
std::string to_text(const Comparison& comparison);
std::string to_csv(const Comparison& comparison);

}  // namespace twostage
