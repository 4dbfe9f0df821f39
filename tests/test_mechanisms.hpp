// tests/test_mechanisms.hpp: mechanisms that must fail BIC, for the deviation search tests.
//
// Each is built in the tests only; neither is registered.
#pragma once

#include <cmath>
#include <string>
#include <vector>

#include "mechanisms/groves.hpp"

namespace twostage::testing {

// Groves (Definition 8) with one change: each agent's own payoff report is
// added to its own transfer, ti = u−i^r + ui^r − hi + ℓi. Reporting the top
// of Πi then beats the truth at every stage-2 information set.
class OwnReportGroves final : public Mechanism {
 public:
  OwnReportGroves(const Environment& environment, const Expectations& expectations)
      : groves_(environment, expectations) {}

  std::string name() const override { return "groves-own-report"; }
  std::vector<MechanismParameterValue> parameters() const override { return {}; }
  bool two_stage() const override { return true; }
  double trade_probability(TypeView theta1_r, TypeView theta2_r) const override {
    return groves_.trade_probability(theta1_r, theta2_r);
  }
  Transfers transfers(TypeView theta1_r, TypeView theta2_r, bool traded, double u1_r,
                      double u2_r) const override {
    Transfers t = groves_.transfers(theta1_r, theta2_r, traded, u1_r, u2_r);
    t.t1 += u1_r;
    t.t2 += u2_r;
    return t;
  }
  LumpSums lump_sums() const override { return groves_.lump_sums(); }
  double transfer_error() const override { return groves_.transfer_error(); }

 private:
  GrovesMechanism groves_;
};

// A one-stage mechanism: trade by x*(θ^r), and the buyer pays the seller
// `price_trade` when the reports imply trade and `price_keep` otherwise.
class TwoPriceMechanism final : public Mechanism {
 public:
  TwoPriceMechanism(const Environment& environment, double price_trade, double price_keep)
      : env_(environment), price_trade_(price_trade), price_keep_(price_keep) {}

  std::string name() const override { return "two-price"; }
  std::vector<MechanismParameterValue> parameters() const override {
    return {{"price_trade", price_trade_}, {"price_keep", price_keep_}};
  }
  bool two_stage() const override { return false; }
  double trade_probability(TypeView theta1_r, TypeView theta2_r) const override {
    return env_.x_star(theta1_r, theta2_r) ? 1.0 : 0.0;
  }
  Transfers transfers(TypeView theta1_r, TypeView theta2_r, bool, double, double) const override {
    const double p = env_.x_star(theta1_r, theta2_r) ? price_trade_ : price_keep_;
    return {p, -p};
  }

 private:
  const Environment& env_;
  double price_trade_, price_keep_;
};

// Shoot-the-liar (MODEL.md §3.2) with the fine paid to the buyer: the object
// always trades, the buyer pays v2(θ1^r, θ̄2), and if his stage-2 payoff
// report differs from that by more than a tolerance the seller pays him the
// fine F. Its transfers are not affine in the payoff reports, so the search
// must take its direct path; the buyer gains F by always lying.
class FineToBuyer final : public Mechanism {
 public:
  FineToBuyer(const Environment& environment, double fine) : env_(environment), fine_(fine) {}

  std::string name() const override { return "fine-to-buyer"; }
  std::vector<MechanismParameterValue> parameters() const override { return {{"F", fine_}}; }
  bool two_stage() const override { return true; }
  double trade_probability(TypeView, TypeView) const override { return 1.0; }
  Transfers transfers(TypeView theta1_r, TypeView theta2_r, bool, double,
                      double u2_r) const override {
    constexpr double kTolerance = 1e-9;
    const double price = env_.v2(theta1_r, theta2_r);
    const double fine = std::abs(u2_r - price) > kTolerance ? fine_ : 0.0;
    return {price - fine, -price + fine};
  }

 private:
  const Environment& env_;
  double fine_;
};

}  // namespace twostage::testing
