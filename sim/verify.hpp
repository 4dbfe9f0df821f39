// sim/verify.hpp: `twostage verify`, verdicts on EFF, BB, IIR and BIC.
//
// Builds the chosen mechanism for a scenario, runs the interim analysis on
// the truthful path (sim/interim.hpp) and closes with a verdict per property
// and its margin (MODEL.md §4). docs/verify.md documents the report and its
// JSON keys, which are a public interface.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "mechanisms/mechanism.hpp"
#include "scenarios/scenario.hpp"
#include "sim/interim.hpp"
#include "sim/json.hpp"
#include "sim/search.hpp"
#include "sim/verify_mc.hpp"

namespace twostage {

struct VerifyOptions {
  std::string mechanism{"groves"};
  std::vector<Override> mechanism_parameters;
  InterimOptions interim;
  SearchOptions search;
  // The Monte Carlo cross-check (sim/verify_mc.hpp); plays = 0 skips it.
  MonteCarloOptions monte_carlo = [] {
    MonteCarloOptions o;
    o.plays = 1'000'000;
    return o;
  }();
};

enum class Verdict { kHolds, kFails, kNotChecked };
std::string to_string(Verdict verdict);

struct PropertyVerdict {
  Verdict verdict = Verdict::kNotChecked;
  Estimate margin;  // meaningless when not checked
};

struct Verification {
  const Scenario* scenario = nullptr;
  std::string mechanism, mechanism_description;
  bool two_stage = true;
  std::vector<MechanismParameterValue> parameters;
  std::vector<std::string> notes;  // the mechanism's statements about the economics
  InterimAnalysis analysis;
  SearchResult search;                         // both agents' deviations (sim/search.hpp)
  std::optional<MonteCarloCheck> monte_carlo;  // absent when skipped

  // EFF: margin = number of profiles where the decision is not x*.
  // BB: margin = max |t1 + t2| on the path; holds when within its error.
  // IIR: margin = the smaller agent's min slack after lump sums; holds when
  //      ≥ 0 within its error.
  // BIC: margin = the larger lower bound on an agent's exploitability (the
  //      gain of a deviation actually found); holds when within its error.
  PropertyVerdict EFF, BB, IIR, BIC;
};

// Throws InputError for an unknown mechanism or mechanism parameter.
Verification verify(const Scenario& scenario, const VerifyOptions& options = {});

Json to_json(const Verification& verification);
std::string to_text(const Verification& verification);

}  // namespace twostage
