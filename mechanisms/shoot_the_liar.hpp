// mechanisms/shoot_the_liar.hpp: modified shoot-the-liar (Mezzetti 2007, adapted).
//
// MODEL.md §3.2 (the remark after Theorem 1 of Kunimoto and Zhang 2021).
// Meant for one-sided trivial environments, where it is efficient, budget
// balanced, interim individually rational and BIC with a large enough fine:
//
//   stage 1   the agents report θ^r; the object moves always (trade=always)
//             or by x*(θ^r) (trade=efficient);
//   payment   when the object moves, the buyer pays the seller v2(θ1^r, θ2^r);
//   stage 2   the buyer reports u2^r; when the object moved and
//             |u2^r − v2(θ1^r, θ2^r)| > τ, the seller pays the fine F, which
//             is burned (kept by the mediator, t1 + t2 = −F) or paid to the buyer.
//
// No trade (trade=efficient and x*(θ^r) = 0): nothing is paid and nothing is
// tested. The buyer's payoff is then 0 whatever the types, so his report
// carries no information about the seller's.
//
// Incentives. A seller of type θ1 who reports θ1^r moves the price by
// v2(θ1^r, ·) − v2(θ1, ·), which is at most the range of v2 over Θ; the
// truthful buyer's report then differs from the price and the seller is
// fined, unless the two prices are within τ. So F above that range deters
// every misreport up to a gain of τ. (Under trade=efficient a seller who
// should keep the object and claims a trading type gains at most the same,
// because v1 ≥ v2 at his true type.) With the fine burned, the buyer's
// payoff report never touches his own money and truth is a weak best
// response; paid to him, any inconsistent report earns him F whenever the
// object moves, which the deviation search must find.
//
// Two-sided environments (outside MODEL.md's scope, but well defined): the
// price and the consistency test use both reports, v2(θ1^r, θ2^r); the fine
// still polices only the seller. The buyer's own stage-1 report moves his
// price, so he is not expected to be truthful there.
#pragma once

#include <limits>
#include <string>
#include <vector>

#include "mechanisms/mechanism.hpp"

namespace twostage {

// When the object moves: always (MODEL.md §3.2) or by x*(θ^r) (its variant).
enum class LiarTrade { kAlways, kEfficient };
// Who receives the fine: nobody (burned, kept by the mediator) or the buyer.
enum class FineRecipient { kBurned, kBuyer };

std::string to_string(LiarTrade trade);
std::string to_string(FineRecipient recipient);

struct ShootTheLiarOptions {
  LiarTrade trade = LiarTrade::kAlways;
  // F ≥ 0; NaN derives it from the environment (see default_fine()).
  double fine = std::numeric_limits<double>::quiet_NaN();
  FineRecipient fine_to = FineRecipient::kBurned;
  // τ ≥ 0; NaN derives it from the environment (see default_tolerance()).
  double tolerance = std::numeric_limits<double>::quiet_NaN();
};

class ShootTheLiarMechanism final : public Mechanism {
 public:
  // Derives the fine and the tolerance when the options leave them NaN.
  // `environment` must outlive the mechanism.
  explicit ShootTheLiarMechanism(const Environment& environment, ShootTheLiarOptions options = {});

  std::string name() const override { return "shoot-the-liar"; }
  std::vector<MechanismParameterValue> parameters() const override;
  bool two_stage() const override { return true; }

  // 1 under trade=always, x*(θ^r) under trade=efficient.
  double trade_probability(TypeView theta1_r, TypeView theta2_r) const override;
  // Only the buyer's payoff report matters; the seller's is ignored.
  Transfers transfers(TypeView theta1_r, TypeView theta2_r, bool traded, double u1_r,
                      double u2_r) const override;

  // The price v2(θ1^r, θ2^r) the buyer pays when the object moves.
  double price(TypeView theta1_r, TypeView theta2_r) const { return env_.v2(theta1_r, theta2_r); }
  double fine() const { return options_.fine; }
  double tolerance() const { return options_.tolerance; }
  const ShootTheLiarOptions& options() const { return options_; }

  // max − min of v2 over Θ1 × Θ2: the largest price change a misreport can buy.
  double v2_range() const { return v2_max_ - v2_min_; }
  // F = range of v2 + kFineMargin · max |v2|: strictly above every gain from
  // a seller's misreport, with a margin on the payoff scale so that the
  // deterrence survives the search's numerical error (zero when v2 ≡ 0).
  double default_fine() const;
  // τ = kRelativeTolerance · max |v2|: a report counts as consistent up to
  // rounding on the payoff scale.
  double default_tolerance() const;

  static constexpr double kFineMargin = 0.1;
  static constexpr double kRelativeTolerance = 1e-9;

 private:
  const Environment& env_;
  ShootTheLiarOptions options_;
  double v2_min_ = 0.0, v2_max_ = 0.0;
};

}  // namespace twostage
