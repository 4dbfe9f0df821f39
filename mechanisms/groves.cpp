// mechanisms/groves.cpp
#include "mechanisms/groves.hpp"

#include <algorithm>
#include <array>
#include <atomic>
#include <cmath>
#include <memory>

#include "mechanisms/registry.hpp"
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
    : space_(space), expectations_(expectations), engine_(engine), id_(next_surplus_term_id++) {
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

Transfers GrovesMechanism::transfers(TypeView theta1_r, TypeView theta2_r, bool /*traded*/,
                                     double u1_r, double u2_r) const {
  // Evaluate S, W1 and W2 once for both agents' h terms.
  const double S = env_.S(theta1_r, theta2_r);
  const double W1 = W1_(theta1_r), W2 = W2_(theta2_r);
  return {u2_r - 0.5 * (S - W1 + W2) + lump_sums_.seller.value,
          u1_r - 0.5 * (S - W2 + W1) + lump_sums_.buyer.value};
}

}  // namespace twostage
