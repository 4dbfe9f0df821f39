// sim/stress.hpp: stress tests, how textbook assumptions bend (issue 6).
//
//   noise:σ        each agent observes its realised payoff with an N(0, σ²)
//                  error, and so reports it (MODEL.md §3.2: honest sellers
//                  get fined under shoot-the-liar when the error exceeds τ);
//   tremble:p      both agents tremble in both stages with probability p;
//   deposit:X      each agent lodges only X; what it owes beyond is a shortfall;
//   prior:S        the mechanism is designed for scenario S (a name or a file
//                  with the same type dimensions): its W, lump sums and
//                  prices use S's distributions, while types are drawn from
//                  the true scenario (a misspecified prior);
//   fine:F1/F2/…   the mechanism's `fine` parameter, one run per value (a sweep).
//
// Several may be joined with ',' in one spec ("noise:0.01,deposit:1").
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "agents/strategy.hpp"

namespace twostage {

struct Stress {
  double noise = 0.0;
  double tremble = 0.0;
  std::optional<double> deposit;
  std::string prior;
  std::vector<double> fines;

  bool empty() const {
    return noise == 0 && tremble == 0 && !deposit && prior.empty() && fines.empty();
  }
  // The canonical spec, e.g. "noise:0.05,deposit:1"; "none" when empty.
  std::string label() const;
  // Adds the tremble, if any, to a strategy (after its own steps).
  Strategy apply(Strategy strategy) const;
};

// Parses one spec; throws InputError naming the bad part and the allowed forms.
Stress parse_stress(const std::string& spec);
// All specs together (later values of the same kind replace earlier ones).
Stress parse_stresses(const std::vector<std::string>& specs);

}  // namespace twostage
