// mechanisms/one_stage_efficient.hpp: efficient trade with report-contingent prices.
//
// One-stage benchmark of MODEL.md §3.3. The object moves by x*(θ^r); the
// buyer pays the seller p_trade when the reports imply trade and p_none when
// they do not (either may be negative). Transfers depend on the type reports
// only, so the payoff reports are ignored and the budget always balances.
//
// Default prices. In a one-sided environment the buyer has nothing to
// report, and a seller of type θ1 compares p_trade (trading) with
// v1(θ1) + p_none (keeping). Truth is a best response for every type iff
//
//   p_trade − p_none ≥ v1(θ1)  where x* trades,   ≤ v1(θ1)  where it does not,
//
// which, when x* is a cut-off in the seller's value, holds exactly for
// p_trade − p_none = v1 at the cut-off, where v1 = v2. So the default is
// p_none = 0 (no money moves without trade, so no type is pushed below its
// outside option by it) and p_trade = (v1 + v2)/2 at the efficient cut-off,
// the profile nearest to indifference, |v2 − v1| smallest. On a seller's
// interval facing a point buyer the cut-off is solved to full precision;
// elsewhere it is the minimiser of |v2 − v1| (scenarios/minimize.hpp). In a
// trivial environment that is the profile with the smallest gain from trade.
// With interdependent values and no single crossing no prices make truth
// optimal (Jehiel and Pauzner 2006); the deviation search then finds the lie.
#pragma once

#include <limits>
#include <string>
#include <vector>

#include "mechanisms/mechanism.hpp"

namespace twostage {

struct OneStageEfficientOptions {
  // p_trade; NaN derives it from the environment (see above).
  double p_trade = std::numeric_limits<double>::quiet_NaN();
  double p_none = 0.0;
};

class OneStageEfficientMechanism final : public Mechanism {
 public:
  // `environment` must outlive the mechanism.
  explicit OneStageEfficientMechanism(const Environment& environment,
                                      OneStageEfficientOptions options = {});

  std::string name() const override { return "one-stage-efficient"; }
  std::vector<MechanismParameterValue> parameters() const override;
  bool two_stage() const override { return false; }

  double trade_probability(TypeView theta1_r, TypeView theta2_r) const override;
  Transfers transfers(TypeView theta1_r, TypeView theta2_r, bool traded, double u1_r,
                      double u2_r) const override;

  double p_trade() const { return options_.p_trade; }
  double p_none() const { return options_.p_none; }
  // The profile the default p_trade was read at (empty when p_trade was given).
  const Type& cutoff_theta1() const { return cutoff_theta1_; }
  const Type& cutoff_theta2() const { return cutoff_theta2_; }

 private:
  void find_cutoff();

  const Environment& env_;
  OneStageEfficientOptions options_;
  Type cutoff_theta1_, cutoff_theta2_;
};

}  // namespace twostage
