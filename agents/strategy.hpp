// agents/strategy.hpp: what an agent does at each of its moves (MODEL.md §2).
//
// A strategy has three parts: whether to join (participation), what type to
// report in stage 1, and what payoff to report in stage 2. The stage-2 rule
// sees exactly what MODEL.md §2 lets the agent see: its own type, its own
// stage-1 report, the realised decision q̂ and its own realised payoff.
//
// Reports are built from small composable steps, applied in the order given:
//
//   report=truth | shift:d | scale:k | constant:c | type:x1/x2/… | tremble:p
//   payoff=truth | shift:d | scale:k | constant:c | other | tremble:p
//   participate=always | never | above:x | below:x
//
// e.g. `report=scale:0.9,shift:0.05,tremble:0.01` or `payoff=other`. Parts
// are separated by ';' (or given in separate options). docs/strategies.md is
// the reference.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace twostage {

enum class StepKind {
  kShift,     // x + d
  kScale,     // k·x
  kConstant,  // c (every coordinate)
  kType,      // a given type (stage 1 only)
  kOther,     // the payoff of the other decision (stage 2 only)
  kTremble,   // with probability p, a uniformly random report
};

struct Step {
  StepKind kind = StepKind::kShift;
  double value = 0.0;        // d, k, c or p
  std::vector<double> type;  // kType only
};

enum class ParticipationRule { kAlways, kNever, kAbove, kBelow };

struct Strategy {
  ParticipationRule participation = ParticipationRule::kAlways;
  double threshold = 0.0;    // kAbove / kBelow: on the type's first coordinate
  std::vector<Step> report;  // stage 1; empty = truthful
  std::vector<Step> payoff;  // stage 2; empty = truthful

  bool truthful() const {
    return participation == ParticipationRule::kAlways && report.empty() && payoff.empty();
  }
  // Whether any step draws random numbers (trembles).
  bool random() const;
  // The canonical spec, e.g. "participate=always;report=shift:0.1;payoff=truth".
  std::string describe() const;
};

// Parses one or more specs into one strategy (later parts replace earlier
// ones). Throws InputError naming the bad part and the allowed forms.
Strategy parse_strategy(const std::vector<std::string>& specs);

}  // namespace twostage
