// scenarios/facts.cpp
#include "scenarios/facts.hpp"

#include <algorithm>
#include <cmath>

#include "scenarios/minimize.hpp"

namespace twostage {

double partial_derivative(const Valuation& v, const Environment& environment, int agent,
                          TypeView theta1, TypeView theta2) {
  if (v.is_affine()) {  // exact, and free of the differencing's rounding noise
    return (agent == 1 ? v.theta1_coefficients() : v.theta2_coefficients())[0];
  }
  const TypeSpace& space = agent == 1 ? environment.Theta1 : environment.Theta2;
  const double low = space.lower(0), high = space.upper(0);
  const double h = 1e-6 * (high - low);
  const double x = (agent == 1 ? theta1 : theta2)[0];
  // A stencil of width 2h that stays inside [low, high].
  const double left = std::clamp(x - h, low, high - 2 * h);
  const double right = left + 2 * h;
  Type a(theta1.begin(), theta1.end()), b(theta2.begin(), theta2.end());
  Type& moved = agent == 1 ? a : b;
  moved[0] = right;
  const double up = v(a, b);
  moved[0] = left;
  const double down = v(a, b);
  return (up - down) / (right - left);
}

namespace {

EnvironmentFacts::SingleCrossing check_single_crossing(const Environment& env) {
  EnvironmentFacts::SingleCrossing sc;
  const auto usable = [](const TypeSpace& s) {
    return s.is_point() || (s.is_continuous() && s.dimension() == 1);
  };
  if (!usable(env.Theta1) || !usable(env.Theta2)) {
    sc.why_undefined = "needs one-dimensional continuous types (or a point buyer)";
    return sc;
  }
  if (!env.Theta1.is_continuous() && !env.Theta2.is_continuous()) {
    sc.why_undefined = "no continuous type to differentiate in";
    return sc;
  }
  sc.defined = true;
  sc.worst_margin = INFINITY;
  sc.min_slope = INFINITY;
  for (int i : {1, 2}) {
    if (!(i == 1 ? env.Theta1 : env.Theta2).is_continuous())
      continue;
    const Valuation& own = i == 1 ? env.v1 : env.v2;
    const Valuation& other = i == 1 ? env.v2 : env.v1;
    const JointMinimum margin = minimize_joint(env.Theta1, env.Theta2, [&](TypeView a, TypeView b) {
      return partial_derivative(own, env, i, a, b) - partial_derivative(other, env, i, a, b);
    });
    if (margin.value < sc.worst_margin) {
      sc.worst_margin = margin.value;
      sc.agent = i;
      sc.theta1 = margin.theta1;
      sc.theta2 = margin.theta2;
    }
    for (const Valuation* v : {&env.v1, &env.v2}) {
      const JointMinimum slope = minimize_joint(
          env.Theta1, env.Theta2,
          [&](TypeView a, TypeView b) { return partial_derivative(*v, env, i, a, b); });
      sc.min_slope = std::min(sc.min_slope, slope.value);
    }
  }
  sc.holds = sc.worst_margin > 0.0;
  sc.increasing = sc.min_slope >= 0.0;
  return sc;
}

}  // namespace

EnvironmentFacts classify(const Environment& env) {
  EnvironmentFacts facts;
  facts.one_sided = env.one_sided();
  const JointMinimum gap = minimize_joint(
      env.Theta1, env.Theta2, [&](TypeView a, TypeView b) { return env.trade_gain(a, b); });
  facts.margin = gap.value;
  facts.margin_theta1 = gap.theta1;
  facts.margin_theta2 = gap.theta2;
  facts.trivial = gap.value > 0.0;
  facts.single_crossing = check_single_crossing(env);
  return facts;
}

}  // namespace twostage
