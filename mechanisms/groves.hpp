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
// few valuation calls there. On a continuous space the single-play
// transfers() integrates W afresh, exact to the quadrature's tolerance but
// slow; the batch form, used by Monte Carlo play and the search, reads W on
// a one-dimensional interval from a cubic Hermite interpolant (Boost.Math)
// built on first use, whose measured error enters transfer_error().
// Limitation: on a multi-dimensional continuous type space facing a
// continuous opponent, W has no table and every batch element runs a
// quasi-Monte Carlo average (memoised for repeated types only).
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <vector>

#include <boost/math/interpolators/cubic_hermite.hpp>

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

  // For hot loops: the table on a discrete space; against a discrete
  // opponent, W's finite sum written out; the interpolant on an interval
  // facing an interval (built on the first call, thread-safely);
  // evaluate() elsewhere.
  double fast(TypeView theta) const {
    if (interpolable_) {
      std::call_once(interpolant_built_, [this] { build_interpolant(); });
      return (*interpolant_)(theta[0]);
    }
    if (opponent_.is_discrete() && !space_.is_discrete())
      return opponent_sum(theta);
    if (table_.size() == 1)
      return table_[0].value;  // a point: its only type
    return evaluate(theta).value;
  }
  // A bound on |fast − W|: the interpolant's largest deviation from the
  // quadrature at the midpoints between its nodes, plus the quadrature's own
  // error; it builds the interpolant if need be.
  double fast_error() const;

 private:
  void build_interpolant() const;
  // W(θ) = Σ_k p_k S(θ, θ_k) over the opponent's support points.
  double opponent_sum(TypeView theta) const;

  const TypeSpace& space_;
  const TypeSpace& opponent_;
  const Expectations& expectations_;
  Engine engine_;
  std::uint64_t id_;             // tells this term's memo slot from others'
  std::vector<Estimate> table_;  // aligned with space_.points()
  double table_error_ = 0.0;
  // Interval spaces facing an interval.
  bool interpolable_ = false;
  mutable std::once_flag interpolant_built_;
  mutable std::unique_ptr<boost::math::interpolators::cardinal_cubic_hermite<std::vector<double>>>
      interpolant_;
  mutable double interpolation_error_ = 0.0;
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
  // Batch forms: W from the tables and interpolants of SurplusTerm::fast.
  void trade_probabilities(const ReportBatch& reports, double* q) const override;
  void transfers(const ReportBatch& reports, const std::uint8_t* traded, const double* u1_r,
                 const double* u2_r, double* t1, double* t2) const override;
  LumpSums lump_sums() const override { return lump_sums_; }
  double transfer_error() const override { return transfer_error_; }
  // Builds the interpolants (once) to measure their error.
  double batch_transfer_error() const override;

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
