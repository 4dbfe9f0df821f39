// mechanisms/mechanism.hpp: what a mechanism is to the simulator (MODEL.md §2).
//
// A mechanism is a decision rule on the stage-1 type reports, x(θ^r) ∈ [0, 1],
// and a transfer rule t(θ^r, u^r) on both stages' reports. A one-stage
// mechanism ignores the payoff reports (two_stage() is false); a two-stage one
// may also look at the realised trade q̂, which both agents observe, so
// shoot-the-liar (MODEL.md §3.2) fits the same interface as Groves (§3.1).
//
// Later issues call decisions and transfers in Monte Carlo loops, so both are
// meant to be cheap: a mechanism precomputes what it can when it is built and
// documents any evaluation that is not.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "scenarios/environment.hpp"
#include "scenarios/estimate.hpp"

namespace twostage {

// Money paid to the seller (t1) and to the buyer (t2); negative means paying in.
struct Transfers {
  double t1 = 0.0;
  double t2 = 0.0;
};

// A parameter value as the mechanism was built with it, for reports. A
// categorical parameter (mechanisms/registry.hpp) reports its choice's name
// in `text`, and reports print that instead of the number.
struct MechanismParameterValue {
  std::string name;
  double value = 0.0;
  std::string text = {};

  bool categorical() const { return !text.empty(); }
};

// Constant transfers added to every outcome, ℓ1 to the seller and ℓ2 to the
// buyer (Mezzetti 2003, Proposition 3). They shift each agent's interim
// utility by a constant and change no incentive.
struct LumpSums {
  Estimate seller;
  Estimate buyer;
};

// The realised allocation payoffs of MODEL.md §1 after the lottery:
// π1 = (1 − q̂) v1(θ) for the seller, π2 = q̂ v2(θ) for the buyer.
struct RealisedPayoffs {
  double pi1 = 0.0;
  double pi2 = 0.0;
};

inline RealisedPayoffs realised_payoffs(const Environment& env, TypeView theta1, TypeView theta2,
                                        bool traded) {
  if (traded)
    return {0.0, env.v2(theta1, theta2)};
  return {env.v1(theta1, theta2), 0.0};
}

// The stage-1 reports of a batch of plays, row-major: play i's seller report
// is theta1_r[i·m1 … i·m1 + m1), its buyer report theta2_r[i·m2 …).
struct ReportBatch {
  std::size_t size = 0;
  std::size_t m1 = 0, m2 = 0;
  const double* theta1_r = nullptr;
  const double* theta2_r = nullptr;

  TypeView seller(std::size_t i) const { return {theta1_r + i * m1, m1}; }
  TypeView buyer(std::size_t i) const { return {theta2_r + i * m2, m2}; }
};

class Mechanism {
 public:
  virtual ~Mechanism() = default;

  // The registry name, e.g. "groves".
  virtual std::string name() const = 0;
  // The parameters the mechanism was built with, in a fixed order.
  virtual std::vector<MechanismParameterValue> parameters() const = 0;
  // Whether the transfers depend on the stage-2 payoff reports.
  virtual bool two_stage() const = 0;

  // x(θ^r): the probability that the object moves, in [0, 1].
  virtual double trade_probability(TypeView theta1_r, TypeView theta2_r) const = 0;

  // t(θ^r, u^r) once the lottery has drawn q̂ (`traded`) and the agents have
  // reported the payoffs u1_r, u2_r. Includes any lump sums.
  virtual Transfers transfers(TypeView theta1_r, TypeView theta2_r, bool traded, double u1_r,
                              double u2_r) const = 0;

  // Batch forms for hot loops (Monte Carlo play, the deviation search): one
  // virtual call per batch instead of one per play. The defaults loop over
  // the single-play functions; a mechanism overrides them when it can do
  // better, e.g. with tables, and its results then agree with the single-play
  // functions within batch_transfer_error().
  // q[i] = x(θ^r_i).
  virtual void trade_probabilities(const ReportBatch& reports, double* q) const {
    for (std::size_t i = 0; i < reports.size; ++i) {
      q[i] = trade_probability(reports.seller(i), reports.buyer(i));
    }
  }
  // (t1[i], t2[i]) = t(θ^r_i, u^r_i) given the drawn trade traded[i] (0 or 1).
  virtual void transfers(const ReportBatch& reports, const std::uint8_t* traded, const double* u1_r,
                         const double* u2_r, double* t1, double* t2) const {
    for (std::size_t i = 0; i < reports.size; ++i) {
      const Transfers t =
          transfers(reports.seller(i), reports.buyer(i), traded[i] != 0, u1_r[i], u2_r[i]);
      t1[i] = t.t1;
      t2[i] = t.t2;
    }
  }

  // Plain statements about the economics of this mechanism in this
  // environment, for reports (e.g. that a lemons market unravels).
  virtual std::vector<std::string> notes() const { return {}; }

  // The constant part of the transfers (zero unless the mechanism has one).
  virtual LumpSums lump_sums() const { return {}; }

  // A bound on the absolute numerical error of any value transfers() returns,
  // e.g. from the quadrature inside it; zero when transfers are exact.
  virtual double transfer_error() const { return 0.0; }
  // The same for the batch forms, which may trade accuracy for speed.
  virtual double batch_transfer_error() const { return transfer_error(); }
};

}  // namespace twostage
