// sim/interim.cpp
#include "sim/interim.hpp"

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>

namespace twostage {
namespace {

constexpr double kEpsilon = std::numeric_limits<double>::epsilon();
// Bisection steps that locate an end of a worst-off interval: the grid
// spacing shrinks by 2^-36, far below any tolerance the set is drawn with.
constexpr int kBisectionSteps = 36;

using SlackFunction = std::function<Estimate(TypeView)>;

const TypeSpace& space_of(const Environment& env, int agent) {
  return agent == 1 ? env.Theta1 : env.Theta2;
}

// Points per axis so that a product grid on an m-dimensional box has about `target` points.
std::size_t per_axis(double target, std::size_t m) {
  const double n = std::floor(std::pow(target, 1.0 / static_cast<double>(m)) + 1e-9);
  return static_cast<std::size_t>(std::max(2.0, n));
}

std::vector<Type> types_for_scan(const TypeSpace& space, double target) {
  if (space.is_discrete())
    return space.points();
  return space.grid(per_axis(target, space.dimension()));
}

// The worst-off set on an interval: scan a grid for the points within the
// tolerance of the minimum, then move each end of every run of such points
// to the boundary of the set by bisection.
void scan_interval(const TypeSpace& space, const std::function<double(double)>& slack, double level,
                   const InterimOptions& options, WorstOffSet& set) {
  const double low = space.lower(0), high = space.upper(0);
  const std::size_t n = std::max<std::size_t>(options.set_scan_1d, 3);
  const double spacing = (high - low) / static_cast<double>(n - 1);
  std::vector<double> x(n);
  std::vector<bool> inside(n);
  for (std::size_t i = 0; i < n; ++i) {
    x[i] = i + 1 == n ? high : low + spacing * static_cast<double>(i);
    inside[i] = slack(x[i]) <= level;
  }
  // Returns the innermost point known to be in the set between `out` and `in`.
  auto boundary = [&](double out, double in) {
    for (int step = 0; step < kBisectionSteps; ++step) {
      const double mid = 0.5 * (out + in);
      (slack(mid) <= level ? in : out) = mid;
    }
    return in;
  };
  const double argmin = set.argmin[0];
  for (std::size_t i = 0; i < n; ++i) {
    if (!inside[i] || (i > 0 && inside[i - 1]))
      continue;
    std::size_t j = i;
    while (j + 1 < n && inside[j + 1])
      ++j;
    const double a = i == 0 ? low : boundary(x[i - 1], x[i]);
    const double b = j + 1 == n ? high : boundary(x[j + 1], x[j]);
    if (b - a >= options.point_width * (high - low)) {
      set.intervals.push_back({a, b});
    } else {
      const bool near_argmin = argmin >= a - spacing && argmin <= b + spacing;
      set.points.push_back({near_argmin ? argmin : 0.5 * (a + b)});
    }
  }
  // A minimum narrower than the grid spacing shows up only through the argmin.
  const bool covered =
      std::any_of(set.intervals.begin(), set.intervals.end(),
                  [&](const Interval& r) { return argmin >= r.low && argmin <= r.high; }) ||
      std::any_of(set.points.begin(), set.points.end(),
                  [&](const Type& p) { return std::abs(p[0] - argmin) <= spacing; });
  if (!covered)
    set.points.push_back({argmin});
  if (!set.intervals.empty()) {
    set.shape = WorstOffShape::kIntervals;
  } else {
    set.shape = set.points.size() == 1 ? WorstOffShape::kPoint : WorstOffShape::kPoints;
  }
}

// The worst-off set on a box: the share of a product grid within the
// tolerance of the minimum and the bounding box of those grid points.
void scan_box(const TypeSpace& space, const std::function<double(TypeView)>& slack, double level,
              const InterimOptions& options, WorstOffSet& set) {
  const std::vector<Type> grid = types_for_scan(space, static_cast<double>(options.set_scan_box));
  std::size_t count = 0;
  set.region_lower.assign(space.dimension(), INFINITY);
  set.region_upper.assign(space.dimension(), -INFINITY);
  for (const Type& theta : grid) {
    if (slack(theta) > level)
      continue;
    ++count;
    for (std::size_t k = 0; k < theta.size(); ++k) {
      set.region_lower[k] = std::min(set.region_lower[k], theta[k]);
      set.region_upper[k] = std::max(set.region_upper[k], theta[k]);
    }
  }
  if (count >= 2) {
    set.shape = WorstOffShape::kRegion;
    set.region_share = static_cast<double>(count) / static_cast<double>(grid.size());
    return;
  }
  set.shape = WorstOffShape::kPoint;
  set.points = {set.argmin};
  set.region_lower.clear();
  set.region_upper.clear();
}

// Global minimum of the slack, then the set of types that attain it.
// `minimum` receives the slack at the minimiser with its integration error.
WorstOffSet worst_off_types(const TypeSpace& space, const SlackFunction& slack,
                            const InterimOptions& options, Estimate& minimum) {
  const auto value = [&](TypeView theta) { return slack(theta).value; };
  WorstOffSet set;
  const Minimum m = minimize(space, value, options.minimize);
  set.argmin = m.argmin;
  minimum = slack(m.argmin);
  set.tolerance = options.set_tolerance * (1.0 + std::abs(minimum.value)) + 2.0 * minimum.error;
  const double level = minimum.value + set.tolerance;

  if (space.is_discrete()) {
    for (const Type& theta : space.points()) {
      if (value(theta) <= level)
        set.points.push_back(theta);
    }
    set.shape = set.points.size() == 1 ? WorstOffShape::kPoint : WorstOffShape::kPoints;
  } else if (space.dimension() == 1) {
    const auto slack_1d = [&](double t) { return value(TypeView(&t, 1)); };
    scan_interval(space, slack_1d, level, options, set);
  } else {
    scan_box(space, value, level, options, set);
  }
  return set;
}

AgentInterim analyse_agent(const Mechanism& mechanism, const Expectations& expectations, int agent,
                           const InterimOptions& options) {
  const TypeSpace& space = space_of(expectations.environment(), agent);
  const InterimUtility U(mechanism, expectations, agent);
  const SlackFunction slack = [&](TypeView theta) {
    return U.integrate(theta) - U.outside_option(theta);
  };
  const Estimate transfer_error{0.0, mechanism.transfer_error()};

  AgentInterim result;
  result.agent = agent;
  Estimate minimum;
  result.worst_off = worst_off_types(space, slack, options, minimum);
  result.min_slack = minimum + transfer_error;
  const LumpSums lump_sums = mechanism.lump_sums();
  result.lump_sum = agent == 1 ? lump_sums.seller : lump_sums.buyer;
  // The lump sum shifts si by ℓi everywhere, so Li = −(min si − ℓi).
  result.expected_loss = result.lump_sum - result.min_slack;

  const std::vector<Type> curve_types =
      space.is_discrete() ? space.points() : space.grid(options.curve_points);
  for (const Type& theta : curve_types) {
    SlackPoint point{theta, U(theta), U.outside_option(theta), {}};
    point.slack = point.U - point.outside_option;
    result.curve.push_back(std::move(point));
  }
  return result;
}

// The profile grids for BB and EFF: a discrete space is enumerated, the
// continuous ones share the remaining budget of `options.profiles`.
std::pair<std::vector<Type>, std::vector<Type>> profile_grids(const Environment& env,
                                                              const InterimOptions& options) {
  const auto budget = static_cast<double>(options.profiles);
  const bool d1 = env.Theta1.is_discrete(), d2 = env.Theta2.is_discrete();
  double target1 = std::sqrt(budget), target2 = std::sqrt(budget);
  if (d1 && !d2)
    target2 = budget / static_cast<double>(env.Theta1.points().size());
  if (d2 && !d1)
    target1 = budget / static_cast<double>(env.Theta2.points().size());
  return {types_for_scan(env.Theta1, target1), types_for_scan(env.Theta2, target2)};
}

void check_profiles(const Mechanism& mechanism, const Environment& env,
                    const InterimOptions& options, BudgetCheck& budget,
                    EfficiencyCheck& efficiency) {
  const auto [grid1, grid2] = profile_grids(env, options);
  double largest_magnitude = 0.0;
  for (const Type& a : grid1) {
    for (const Type& b : grid2) {
      const double q = mechanism.trade_probability(a, b);
      const double x = env.x_star(a, b) ? 1.0 : 0.0;
      if (q != x && efficiency.decision_errors++ == 0) {
        efficiency.theta1 = a;
        efficiency.theta2 = b;
        efficiency.trade_probability = q;
      }
      for (bool traded : {false, true}) {
        if ((traded ? q : 1.0 - q) <= 0.0)
          continue;
        const RealisedPayoffs pay = realised_payoffs(env, a, b, traded);
        const Transfers t = mechanism.transfers(a, b, traded, pay.pi1, pay.pi2);
        const double imbalance = std::abs(t.t1 + t.t2);
        largest_magnitude = std::max(largest_magnitude, std::abs(t.t1) + std::abs(t.t2));
        if (budget.profiles == 0 || imbalance > budget.max_imbalance.value) {
          budget.max_imbalance.value = imbalance;
          budget.theta1 = a;
          budget.theta2 = b;
        }
      }
      ++budget.profiles;
    }
  }
  efficiency.profiles = budget.profiles;
  // Each transfer may be off by transfer_error(); the sum also rounds.
  budget.max_imbalance.error =
      2.0 * mechanism.transfer_error() + 8.0 * kEpsilon * largest_magnitude;
}

}  // namespace

std::string to_string(WorstOffShape shape) {
  switch (shape) {
    case WorstOffShape::kPoint:
      return "point";
    case WorstOffShape::kPoints:
      return "points";
    case WorstOffShape::kIntervals:
      return "intervals";
    case WorstOffShape::kRegion:
      return "region";
  }
  return "?";
}

double truthful_utility(const Mechanism& mechanism, const Environment& environment, int agent,
                        TypeView theta1, TypeView theta2) {
  const double q = mechanism.trade_probability(theta1, theta2);
  double total = 0.0;
  for (bool traded : {false, true}) {
    const double probability = traded ? q : 1.0 - q;
    if (probability <= 0.0)
      continue;
    // Truth in stage 2: each agent reports the payoff it has just realised.
    const RealisedPayoffs pay = realised_payoffs(environment, theta1, theta2, traded);
    const Transfers t = mechanism.transfers(theta1, theta2, traded, pay.pi1, pay.pi2);
    total += probability * (agent == 1 ? pay.pi1 + t.t1 : pay.pi2 + t.t2);
  }
  return total;
}

InterimUtility::InterimUtility(const Mechanism& mechanism, const Expectations& expectations,
                               int agent)
    : mechanism_(mechanism), expectations_(expectations), agent_(agent) {
  const Environment& env = expectations_.environment();
  const TypeSpace& own = space_of(env, agent_);
  const TypeSpace& other = space_of(env, 3 - agent_);
  if (other.is_continuous() && other.dimension() > 1) {
    nodes_ = make_qmc_nodes(other.coordinates(), expectations_.options());
  }
  // The transfers of Groves-like mechanisms hold W−i(θ−i), which has a kink
  // where the efficient cut-off in θi leaves Θi: where v2 − v1 vanishes at
  // an end (or a support point) of the agent's own space.
  if (own.is_discrete()) {
    cutoff_types_ = own.points();
  } else if (own.dimension() == 1) {
    cutoff_types_ = {{own.lower(0)}, {own.upper(0)}};
  }
}

Estimate InterimUtility::integrate(TypeView theta_i) const {
  const Environment& env = expectations_.environment();
  const Type own(theta_i.begin(), theta_i.end());
  const bool seller = agent_ == 1;
  const TypeFunction utility = [&](TypeView other) {
    return seller ? truthful_utility(mechanism_, env, 1, own, other)
                  : truthful_utility(mechanism_, env, 2, other, own);
  };
  // Split the integral where x* switches and where W−i has its kinks.
  auto gap_at = [&env, seller](const Type& mine) {
    return TypeFunction([&env, &mine, seller](TypeView other) {
      return seller ? env.trade_gain(mine, other) : env.trade_gain(other, mine);
    });
  };
  std::vector<TypeFunction> kinks = {gap_at(own)};
  for (const Type& cutoff : cutoff_types_)
    kinks.push_back(gap_at(cutoff));

  // The quadrature's tolerance is relative to ∫|f|. When Ui is a cancellation
  // of terms of the size of S (Groves's point buyer: W2/2 − L1, zero up to
  // rounding) that tolerance is unreachable and the adaptive rule would split
  // to its depth limit. Integrating f + c and subtracting c (exact for a
  // probability measure, up to the quadrature's own error on c) anchors the
  // tolerance to the size of the terms that cancel.
  const TypeSpace& other = space_of(env, 3 - agent_);
  const Type probe = other.is_discrete() ? other.points()[0] : other.grid(2)[0];
  const double c = 1.0 + std::abs(seller ? env.S(own, probe) : env.S(probe, own));
  const TypeFunction shifted = [&](TypeView theta) { return utility(theta) + c; };
  Estimate U = expect(other, shifted, kinks, expectations_.options(), &nodes_);
  U.value -= c;
  return U;
}

Estimate InterimUtility::operator()(TypeView theta_i) const {
  return integrate(theta_i) + Estimate{0.0, mechanism_.transfer_error()};
}

Estimate InterimUtility::outside_option(TypeView theta_i) const {
  if (agent_ == 2)
    return {0.0, 0.0};
  return expectations_.seller_outside_option(theta_i);
}

InterimAnalysis analyse_interim(const Mechanism& mechanism, const Expectations& expectations,
                                const InterimOptions& options) {
  InterimAnalysis result;
  result.expected_surplus = expectations.ES();
  result.es_method = expectations.method_of_ES();
  result.seller = analyse_agent(mechanism, expectations, 1, options);
  result.buyer = analyse_agent(mechanism, expectations, 2, options);
  // Mezzetti (2003), Proposition 3: constants ℓ1 = −ℓ2 restore IIR iff L1 + L2 ≤ 0.
  result.lump_sum.total_loss = result.seller.expected_loss + result.buyer.expected_loss;
  result.lump_sum.feasible = result.lump_sum.total_loss.value <= result.lump_sum.total_loss.error;
  check_profiles(mechanism, expectations.environment(), options, result.budget, result.efficiency);
  return result;
}

}  // namespace twostage
