// mechanisms/one_stage_efficient.cpp
#include "mechanisms/one_stage_efficient.hpp"

#include <cmath>
#include <cstdint>
#include <utility>

#include <boost/math/tools/roots.hpp>

#include "mechanisms/registry.hpp"
#include "scenarios/minimize.hpp"

namespace twostage {
namespace {

std::unique_ptr<Mechanism> make_one_stage_efficient(const MechanismParameters& parameters,
                                                    const Environment& environment,
                                                    const Expectations& /*expectations*/) {
  return std::make_unique<OneStageEfficientMechanism>(
      environment, OneStageEfficientOptions{.p_trade = parameters.at("p_trade"),
                                            .p_none = parameters.at("p_none")});
}

[[maybe_unused]] const bool registered = register_mechanism({
    .name = "one-stage-efficient",
    .description = "one-stage efficient trade by x* at the reports; the buyer pays p_trade "
                   "on trade and p_none otherwise (MODEL.md 3.3)",
    .parameters = {{.name = "p_trade",
                    .description = "the buyer's payment when the reports imply trade (default: "
                                   "(v1 + v2)/2 at the efficient cut-off)",
                    .default_value = kDerivedDefault,
                    .range = {}},
                   {.name = "p_none",
                    .description = "the buyer's payment when they do not",
                    .default_value = 0.0,
                    .range = {}}},
    .make = &make_one_stage_efficient,
});

// Scan points for the cut-off on a seller's interval.
constexpr unsigned kCutoffScan = 256;

}  // namespace

OneStageEfficientMechanism::OneStageEfficientMechanism(const Environment& environment,
                                                       OneStageEfficientOptions options)
    : env_(environment), options_(options) {
  if (!std::isnan(options_.p_trade))
    return;
  find_cutoff();
  const double v1 = env_.v1(cutoff_theta1_, cutoff_theta2_);
  const double v2 = env_.v2(cutoff_theta1_, cutoff_theta2_);
  options_.p_trade = 0.5 * (v1 + v2);
}

void OneStageEfficientMechanism::find_cutoff() {
  // Start from the profile nearest to indifference anywhere on Θ.
  const JointMinimum nearest =
      minimize_joint(env_.Theta1, env_.Theta2,
                     [&](TypeView a, TypeView b) { return std::abs(env_.trade_gain(a, b)); });
  cutoff_theta1_ = nearest.theta1;
  cutoff_theta2_ = nearest.theta2;
  if (!(env_.one_sided() && env_.Theta1.is_continuous() && env_.Theta1.dimension() == 1))
    return;
  // On an interval facing a point buyer, solve v2 = v1 exactly at the first
  // sign change, so the seller's two prices leave no type a rounding gain.
  const Type& theta2 = env_.Theta2.points()[0];
  auto gap = [&](double x) { return env_.trade_gain(TypeView(&x, 1), theta2); };
  const double low = env_.Theta1.lower(0), high = env_.Theta1.upper(0);
  double left = low, g_left = gap(low);
  for (unsigned i = 1; i <= kCutoffScan; ++i) {
    const double right = low + (high - low) * i / kCutoffScan;
    const double g_right = gap(right);
    if (g_right == 0.0 || (g_left < 0) != (g_right < 0)) {
      std::uintmax_t iterations = 100;
      const auto [a, b] = g_right == 0.0
                              ? std::pair{right, right}
                              : boost::math::tools::toms748_solve(
                                    gap, left, right, g_left, g_right,
                                    boost::math::tools::eps_tolerance<double>(52), iterations);
      cutoff_theta1_ = {0.5 * (a + b)};
      return;
    }
    left = right;
    g_left = g_right;
  }
}

std::vector<MechanismParameterValue> OneStageEfficientMechanism::parameters() const {
  return {{.name = "p_trade", .value = options_.p_trade},
          {.name = "p_none", .value = options_.p_none}};
}

double OneStageEfficientMechanism::trade_probability(TypeView theta1_r, TypeView theta2_r) const {
  return env_.x_star(theta1_r, theta2_r) ? 1.0 : 0.0;
}

Transfers OneStageEfficientMechanism::transfers(TypeView theta1_r, TypeView theta2_r,
                                                bool /*traded*/, double /*u1_r*/,
                                                double /*u2_r*/) const {
  const double p = env_.x_star(theta1_r, theta2_r) ? options_.p_trade : options_.p_none;
  return {p, -p};
}

}  // namespace twostage
