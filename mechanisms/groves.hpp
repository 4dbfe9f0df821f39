// mechanisms/groves.hpp: the generalized two-stage Groves mechanism with lump sums.
//
// Mezzetti (2004); Kunimoto and Zhang (2021), Definition 8; MODEL.md §3.1.
// The decision is the efficient rule x* on the reported types. Each agent is
// paid the other's payoff report minus a term of the type reports alone:
//
//   ti(θ^r, u^r) = u−i^r − hi(θ^r) + ℓi
//   2 h1(θ^r) = S(θ^r) − W1(θ1^r) + W2(θ2^r)
//   2 h2(θ^r) = S(θ^r) − W2(θ2^r) + W1(θ1^r)
//
// so h1 + h2 = S(θ^r) and the budget balances whenever the payoff reports
// add up to S(θ^r), as they do on the truthful path. An agent's own payoff
// report never enters its own transfer.
//
// Lump sums (Mezzetti 2003, Proposition 3). Without them the agents' largest
// interim losses are (MODEL.md §3.1)
//
//   L1 = ES/2 − min over θ1 of E_θ2[(v2 − v1)⁺] = ES/2 − min over θ1 of (W1 − U1°)
//   L2 = ES/2 − min over θ2 of W2(θ2),
//
// and constants ℓ1 = −ℓ2 restore IIR iff L1 + L2 ≤ 0. The mechanism pays the
// seller ℓ1 = L1 + (1 − split)·(−(L1 + L2)): the seller's worst-off type then
// keeps (1 − split) of the joint slack −(L1 + L2) and the buyer's keeps
// `split` of it. With the default split = 1 the seller's worst-off type
// exactly breaks even. When L1 + L2 > 0 the same formula applies and some
// type of some agent is left below its outside option whatever the split.
//
// Cost of evaluation: W1 and W2 are tabulated exactly on a discrete type
// space (every one-sided environment has a point buyer), so transfers cost a
// few valuation calls there. On a continuous space each transfers() call
// integrates W afresh, which is exact to the quadrature's tolerance but slow.
// Limitation: two-sided continuous environments therefore run a quadrature per
// transfer call; a Monte Carlo driver needs SurplusTerm to tabulate W on nodes
// with interpolation before it can reach its speed target there.
#pragma once

#include <cstdint>
#include <vector>

#include "mechanisms/mechanism.hpp"
#include "scenarios/expectation.hpp"

namespace twostage {

// W1 or W2 over one agent's type space, as Groves's transfers need it.
class SurplusTerm {
 public:
  using Engine = Estimate (Expectations::*)(TypeView) const;

  // `engine` is &Expectations::W1 for the seller's space, &Expectations::W2
  // for the buyer's. A discrete space is tabulated here.
  SurplusTerm(const TypeSpace& space, const Expectations& expectations, Engine engine);

  // The value and its error; a table lookup on a support point of a discrete
  // space, otherwise one expectation through the engine. The last type asked
  // for is remembered per thread, because callers integrating over the other
  // agent's type ask for the same own type many times in a row.
  Estimate evaluate(TypeView theta) const;
  double operator()(TypeView theta) const { return evaluate(theta).value; }

  bool tabulated() const { return !table_.empty(); }
  // The largest error in the table (zero when nothing is tabulated).
  double table_error() const { return table_error_; }

 private:
  const TypeSpace& space_;
  const Expectations& expectations_;
  Engine engine_;
  std::uint64_t id_;             // tells this term's memo slot from others'
  std::vector<Estimate> table_;  // aligned with space_.points()
  double table_error_ = 0.0;
};

struct GrovesOptions {
  // The buyer's share of the joint slack −(L1 + L2) left after lump sums.
  double split = 1.0;
};

class GrovesMechanism final : public Mechanism {
 public:
  // Computes ES, L1, L2 and the lump sums, and tabulates W on discrete
  // spaces. `environment` and `expectations` must outlive the mechanism.
  GrovesMechanism(const Environment& environment, const Expectations& expectations,
                  GrovesOptions options = {});

  std::string name() const override { return "groves"; }
  std::vector<MechanismParameterValue> parameters() const override;
  bool two_stage() const override { return true; }

  // x*(θ^r): 1 if v2 > v1 at the reports, else 0.
  double trade_probability(TypeView theta1_r, TypeView theta2_r) const override;
  Transfers transfers(TypeView theta1_r, TypeView theta2_r, bool traded, double u1_r,
                      double u2_r) const override;
  LumpSums lump_sums() const override { return lump_sums_; }
  double transfer_error() const override { return transfer_error_; }

  // The Groves terms of Definition 8 (without lump sums).
  double h1(TypeView theta1_r, TypeView theta2_r) const;
  double h2(TypeView theta1_r, TypeView theta2_r) const;

  // The largest interim losses without lump sums, from MODEL.md §3.1's
  // formulas above, and ES.
  Estimate L1() const { return L1_; }
  Estimate L2() const { return L2_; }
  Estimate ES() const { return ES_; }

 private:
  const Environment& env_;
  GrovesOptions options_;
  SurplusTerm W1_, W2_;
  Estimate ES_, L1_, L2_;
  LumpSums lump_sums_;
  double transfer_error_ = 0.0;
};

}  // namespace twostage
