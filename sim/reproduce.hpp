// sim/reproduce.hpp: `twostage reproduce paper`, the paper's results recomputed.
//
// Kunimoto and Zhang (2021), as restated in MODEL.md §3.1, for generalized
// two-stage Groves (Definition 8):
//
//   Theorem 1 (one-sided): L1 = ES/2 and L2 = −ES/2, so L1 + L2 = 0, in a
//     nontrivial environment; in a trivial one L1 = ES/2 − min(v2 − v1), so
//     L1 + L2 = −min(v2 − v1). Checked on the one-sided built-in scenarios
//     and the one-sided scenario files of a directory (tests/data by default).
//   Proposition 1 (two-sided linear-uniform): L1 and L2 from equations
//     (3)–(6), L1 + L2, and the worst-off types (buyer θ2 = 0; seller θ1 = 1
//     when γ1 < γ2, the interval [(1 − γ1)/(1 − γ2), 1] when γ2 ≤ γ1), on a
//     grid of (γ1, γ2) in (0, 1)².
//
// Every figure comes from verify() (sim/verify.hpp) with the Monte Carlo
// cross-check off and a light deviation search; each is set beside its closed
// form with the difference and the error bound it must stay within.
#pragma once

#include <string>
#include <vector>

#include "scenarios/estimate.hpp"
#include "sim/json.hpp"

namespace twostage {

struct ReproduceOptions {
  // Scenario files (*.toml) whose one-sided ones join Theorem 1; empty or
  // missing: the built-ins only.
  std::string scenario_directory;
  // γ values per axis, evenly inside (0, 1): k/(n + 1) for k = 1..n.
  std::size_t gamma_points = 9;
  // Directory for the CSV and JSON tables and the figures; empty: none.
  std::string out;
  // Threads over the Proposition 1 grid; the results do not depend on it.
  unsigned threads = 2;
};

// One computed number beside its closed form.
struct ClosedFormCheck {
  std::string result;    // "Theorem 1", "Proposition 1"
  std::string instance;  // scenario name, or "gamma1=…, gamma2=…"
  std::string quantity;  // "L1", "L2", "L1 + L2", "worst-off theta1 (low end)", …
  std::string formula;   // the closed form as written in MODEL.md
  Estimate computed;     // with the computation's own error estimate
  double closed_form = 0.0;
  double closed_form_error = 0.0;     // when the closed form itself is computed (ES)
  double gamma1 = 0.0, gamma2 = 0.0;  // Proposition 1 only

  double difference() const { return computed.value - closed_form; }
  // What |difference| must stay within: both errors plus rounding.
  double bound() const;
  bool within() const;
};

struct ResultVerdict {
  std::string result;
  std::size_t checks = 0, within = 0;
  double max_difference = 0.0;  // the largest |difference|
  double bound_at_max = 0.0;    // the error bound of the check attaining it
  bool reproduced() const { return checks > 0 && within == checks; }
  std::string line() const;
};

struct Reproduction {
  std::vector<ClosedFormCheck> theorem1, proposition1;
  ResultVerdict theorem1_verdict, proposition1_verdict;
  std::vector<std::string> instances_theorem1;  // scenario names and sources
  std::vector<std::string> notes;
};

// Throws InputError for a scenario directory that cannot be read.
Reproduction reproduce_paper(const ReproduceOptions& options);

Json to_json(const Reproduction& reproduction);
std::string to_text(const Reproduction& reproduction);
// One row per check: result, instance, quantity, formula, computed, error,
// closed form, difference, bound, within.
std::string to_csv(const std::vector<ClosedFormCheck>& checks);
// theorem1.csv, proposition1.csv, reproduce.json and the figures into `directory`.
void write_reproduction(const Reproduction& reproduction, const std::string& directory);

}  // namespace twostage
