// mechanisms/groves.cpp
#include "mechanisms/groves.hpp"

#include <algorithm>
#include <array>
#include <atomic>
#include <cmath>
#include <memory>

#include "mechanisms/registry.hpp"
#include "scenarios/facts.hpp"
#include "scenarios/minimize.hpp"

namespace twostage {
namespace {

// Ids of SurplusTerm objects; they start at 1 so that an empty memo slot (id 0) never matches.
std::atomic<std::uint64_t> next_surplus_term_id{1};

// Index of `theta` among the support points, or -1 if it is not one of them.
long find_point(const std::vector<Type>& points, TypeView theta) {
  for (std::size_t k = 0; k < points.size(); ++k) {
    if (std::equal(points[k].begin(), points[k].end(), theta.begin(), theta.end())) {
      return static_cast<long>(k);
    }
  }
  return -1;
}

// A minimum over one agent's types of a function with an error estimate; the
// error reported is the one at the minimiser, and `largest_error` records the
// worst seen anywhere, which bounds the error of W for transfer_error().
Estimate minimum_with_error(const TypeSpace& space, const std::function<Estimate(TypeView)>& f,
                            double& largest_error) {
  const Minimum m = minimize(space, [&](TypeView theta) {
    const Estimate e = f(theta);
    largest_error = std::max(largest_error, e.error);
    return e.value;
  });
  return {m.value, f(m.argmin).error};
}

std::unique_ptr<Mechanism> make_groves(const MechanismParameters& parameters,
                                       const Environment& environment,
                                       const Expectations& expectations) {
  return std::make_unique<GrovesMechanism>(environment, expectations,
                                           GrovesOptions{.split = parameters.at("split")});
}

[[maybe_unused]] const bool registered = register_mechanism({
    .name = "groves",
    .description = "generalized two-stage Groves with lump sums (Definition 8; Mezzetti 2003, "
                   "Proposition 3)",
    .parameters = {{.name = "split",
                    .description = "the buyer's share of the joint slack -(L1 + L2) left "
                                   "after lump sums; the seller keeps the rest",
                    .default_value = 1.0,
                    .range = {.low = 0.0, .high = 1.0, .low_open = false, .high_open = false}}},
    .make = &make_groves,
});

}  // namespace

SurplusTerm::SurplusTerm(const TypeSpace& space, const Expectations& expectations, Engine engine)
    : space_(space),
      opponent_(&space == &expectations.environment().Theta1 ? expectations.environment().Theta2
                                                             : expectations.environment().Theta1),
      expectations_(expectations),
      engine_(engine),
      id_(next_surplus_term_id++) {
  interpolable_ = space_.is_continuous() && space_.dimension() == 1 && opponent_.is_continuous() &&
                  opponent_.dimension() == 1;
  if (!space_.is_discrete())
    return;
  for (const Type& theta : space_.points()) {
    table_.push_back((expectations_.*engine_)(theta));
    table_error_ = std::max(table_error_, table_.back().error);
  }
}

Estimate SurplusTerm::evaluate(TypeView theta) const {
  if (!table_.empty()) {
    const long k = find_point(space_.points(), theta);
    if (k >= 0)
      return table_[static_cast<std::size_t>(k)];
  }
  // A few slots per thread, chosen by id, so that W1 and W2 of one mechanism
  // do not evict each other; a slot holds the last type evaluated.
  struct Memo {
    std::uint64_t id = 0;
    Type theta;
    Estimate value;
  };
  constexpr std::size_t kSlots = 4;
  thread_local std::array<Memo, kSlots> memo;
  Memo& slot = memo[id_ % kSlots];
  if (slot.id == id_ &&
      std::equal(theta.begin(), theta.end(), slot.theta.begin(), slot.theta.end())) {
    return slot.value;
  }
  slot.value = (expectations_.*engine_)(theta);
  slot.id = id_;
  slot.theta.assign(theta.begin(), theta.end());
  return slot.value;
}

void SurplusTerm::build_interpolant() const {
  // Nodes: 2^11 intervals. W is smooth between the few types where the
  // efficient cut-off leaves the opponent's type space, and C¹ there, so the
  // cubic's error is O(h⁴) on most intervals and O(h²) on a handful; the
  // midpoint check below measures it rather than assuming it.
  constexpr std::size_t kIntervals = 2048;
  const Environment& env = expectations_.environment();
  const bool seller = &space_ == &env.Theta1;
  const int agent = seller ? 1 : 2;
  const TypeSpace& other = seller ? env.Theta2 : env.Theta1;
  const double low = space_.lower(0), high = space_.upper(0);
  const double h = (high - low) / kIntervals;

  // dW/dθi = E_other[∂S/∂θi], where ∂S/∂θi is the partial of whichever of v1,
  // v2 is larger; the integrand jumps where v2 − v1 changes sign, so the
  // expectation is split there as for W itself.
  auto slope = [&](double x) {
    const Type own{x};
    auto profile = [&](TypeView theirs, Type& a, Type& b) {
      a = seller ? own : Type(theirs.begin(), theirs.end());
      b = seller ? Type(theirs.begin(), theirs.end()) : own;
    };
    const TypeFunction d_surplus = [&](TypeView theirs) {
      Type a, b;
      profile(theirs, a, b);
      const Valuation& top = env.x_star(a, b) ? env.v2 : env.v1;
      return partial_derivative(top, env, agent, a, b);
    };
    const TypeFunction gap = [&](TypeView theirs) {
      Type a, b;
      profile(theirs, a, b);
      return env.trade_gain(a, b);
    };
    // The slope only shapes the interpolant, whose error is measured below,
    // so a looser tolerance suffices (and spares differenced expressions).
    ExpectationOptions loose = expectations_.options();
    loose.relative_tolerance = 1e-9;
    return expect(other, d_surplus, {gap}, loose).value;
  };
  std::vector<double> values(kIntervals + 1), slopes(kIntervals + 1);
  double quadrature_error = 0.0;
  for (std::size_t i = 0; i <= kIntervals; ++i) {
    const double x = i == kIntervals ? high : low + static_cast<double>(i) * h;
    const Estimate w = (expectations_.*engine_)(Type{x});
    values[i] = w.value;
    quadrature_error = std::max(quadrature_error, w.error);
    slopes[i] = slope(x);
  }
  interpolant_ =
      std::make_unique<boost::math::interpolators::cardinal_cubic_hermite<std::vector<double>>>(
          std::move(values), std::move(slopes), low, h);
  double deviation = 0.0;
  for (std::size_t i = 0; i < kIntervals; ++i) {
    const double x = low + (static_cast<double>(i) + 0.5) * h;
    const Estimate w = (expectations_.*engine_)(Type{x});
    deviation = std::max(deviation, std::abs((*interpolant_)(x)-w.value));
    quadrature_error = std::max(quadrature_error, w.error);
  }
  // The midpoint deviation measures the largest error of a cubic Hermite
  // segment only approximately; doubling it and adding the quadrature error
  // keeps the bound on the safe side.
  interpolation_error_ = 2.0 * deviation + quadrature_error;
}

double SurplusTerm::opponent_sum(TypeView theta) const {
  const Environment& env = expectations_.environment();
  const bool seller = &space_ == &env.Theta1;
  double sum = 0.0;
  for (std::size_t k = 0; k < opponent_.points().size(); ++k) {
    const TypeView other(opponent_.points()[k]);
    sum += opponent_.probabilities()[k] * (seller ? env.S(theta, other) : env.S(other, theta));
  }
  return sum;
}

double SurplusTerm::fast_error() const {
  if (!interpolable_)
    return table_error_;
  std::call_once(interpolant_built_, [this] { build_interpolant(); });
  return interpolation_error_;
}

GrovesMechanism::GrovesMechanism(const Environment& environment, const Expectations& expectations,
                                 GrovesOptions options)
    : env_(environment),
      options_(options),
      W1_(environment.Theta1, expectations, &Expectations::W1),
      W2_(environment.Theta2, expectations, &Expectations::W2),
      ES_(expectations.ES()) {
  // L1 = ES/2 − min over θ1 of (W1 − U1°), L2 = ES/2 − min over θ2 of W2 (MODEL.md §3.1).
  double W1_error = W1_.table_error(), W2_error = W2_.table_error();
  const Estimate min_gain = minimum_with_error(
      env_.Theta1,
      [&](TypeView theta1) {
        const Estimate w = W1_.evaluate(theta1);
        W1_error = std::max(W1_error, w.error);
        return w - expectations.seller_outside_option(theta1);
      },
      W1_error);
  const Estimate min_W2 = minimum_with_error(
      env_.Theta2, [&](TypeView theta2) { return W2_.evaluate(theta2); }, W2_error);
  L1_ = 0.5 * ES_ - min_gain;
  L2_ = 0.5 * ES_ - min_W2;

  // ℓ1 = L1 + (1 − split)·(−(L1 + L2)), ℓ2 = −ℓ1 (see the header).
  const Estimate slack = -1.0 * (L1_ + L2_);
  lump_sums_.seller = L1_ + (1.0 - options_.split) * slack;
  lump_sums_.buyer = -1.0 * lump_sums_.seller;
  // Each transfer carries half of each W's error and the lump sum's.
  transfer_error_ = 0.5 * (W1_error + W2_error) + lump_sums_.seller.error;
}

std::vector<MechanismParameterValue> GrovesMechanism::parameters() const {
  return {{"split", options_.split}};
}

double GrovesMechanism::trade_probability(TypeView theta1_r, TypeView theta2_r) const {
  return env_.x_star(theta1_r, theta2_r) ? 1.0 : 0.0;
}

double GrovesMechanism::h1(TypeView theta1_r, TypeView theta2_r) const {
  return 0.5 * (env_.S(theta1_r, theta2_r) - W1_(theta1_r) + W2_(theta2_r));
}

double GrovesMechanism::h2(TypeView theta1_r, TypeView theta2_r) const {
  return 0.5 * (env_.S(theta1_r, theta2_r) - W2_(theta2_r) + W1_(theta1_r));
}

void GrovesMechanism::trade_probabilities(const ReportBatch& reports, double* q) const {
  for (std::size_t i = 0; i < reports.size; ++i) {
    q[i] = env_.x_star(reports.seller(i), reports.buyer(i)) ? 1.0 : 0.0;
  }
}

void GrovesMechanism::transfers(const ReportBatch& reports, const std::uint8_t* /*traded*/,
                                const double* u1_r, const double* u2_r, double* t1,
                                double* t2) const {
  for (std::size_t i = 0; i < reports.size; ++i) {
    const TypeView a = reports.seller(i), b = reports.buyer(i);
    const double S = env_.S(a, b);
    const double W1 = W1_.fast(a), W2 = W2_.fast(b);
    t1[i] = u2_r[i] - 0.5 * (S - W1 + W2) + lump_sums_.seller.value;
    t2[i] = u1_r[i] - 0.5 * (S - W2 + W1) + lump_sums_.buyer.value;
  }
}

double GrovesMechanism::batch_transfer_error() const {
  return std::max(transfer_error_,
                  0.5 * (W1_.fast_error() + W2_.fast_error()) + lump_sums_.seller.error);
}

Transfers GrovesMechanism::transfers(TypeView theta1_r, TypeView theta2_r, bool /*traded*/,
                                     double u1_r, double u2_r) const {
  // Evaluate S, W1 and W2 once for both agents' h terms.
  const double S = env_.S(theta1_r, theta2_r);
  const double W1 = W1_(theta1_r), W2 = W2_(theta2_r);
  return {u2_r - 0.5 * (S - W1 + W2) + lump_sums_.seller.value,
          u1_r - 0.5 * (S - W2 + W1) + lump_sums_.buyer.value};
}

}  // namespace twostage
