// scenarios/minimize.cpp
#include "scenarios/minimize.hpp"

#include <algorithm>
#include <cmath>

#include <boost/math/tools/minima.hpp>
#include <nlopt.hpp>

namespace twostage {
namespace {

Minimum minimize_discrete(const TypeSpace& space, const std::function<double(TypeView)>& f) {
  Minimum best{INFINITY, {}};
  for (const Type& theta : space.points()) {
    const double value = f(theta);
    if (value < best.value)
      best = {value, theta};
  }
  return best;
}

// Indices of the `count` smallest values among those that are local minima of
// the sampled sequence (a grid point no larger than its neighbours).
std::vector<std::size_t> best_local_minima(const std::vector<double>& values, std::size_t count) {
  std::vector<std::size_t> candidates;
  for (std::size_t i = 0; i < values.size(); ++i) {
    const bool left_ok = i == 0 || values[i] <= values[i - 1];
    const bool right_ok = i + 1 == values.size() || values[i] <= values[i + 1];
    if (left_ok && right_ok)
      candidates.push_back(i);
  }
  std::sort(candidates.begin(), candidates.end(),
            [&](std::size_t a, std::size_t b) { return values[a] < values[b]; });
  if (candidates.size() > count)
    candidates.resize(count);
  return candidates;
}

Minimum minimize_interval(double low, double high, const std::function<double(TypeView)>& f,
                          const MinimizeOptions& options) {
  double x = 0.0;
  auto f1 = [&](double t) {
    x = t;
    return f(TypeView(&x, 1));
  };
  const std::size_t n = std::max<std::size_t>(options.grid_points_1d, 3);
  std::vector<double> grid(n), values(n);
  for (std::size_t i = 0; i < n; ++i) {
    grid[i] = low + (high - low) * static_cast<double>(i) / static_cast<double>(n - 1);
    values[i] = f1(grid[i]);
  }
  Minimum best{INFINITY, {low}};
  for (std::size_t i : best_local_minima(values, options.refined_starts)) {
    if (values[i] < best.value)
      best = {values[i], {grid[i]}};
    const double a = grid[i == 0 ? 0 : i - 1], b = grid[std::min(i + 1, n - 1)];
    std::uintmax_t iterations = 200;
    const auto [t, value] = boost::math::tools::brent_find_minima(f1, a, b, 52, iterations);
    if (value < best.value)
      best = {value, {t}};
  }
  return best;
}

Minimum minimize_box(const TypeSpace& space, const std::function<double(TypeView)>& f,
                     const MinimizeOptions& options) {
  const std::size_t m = space.dimension();
  const auto per_axis = static_cast<std::size_t>(
      std::max(2.0, std::floor(std::pow(static_cast<double>(options.grid_points_total),
                                        1.0 / static_cast<double>(m)))));
  const std::vector<Type> grid = space.grid(per_axis);
  std::vector<std::size_t> order(grid.size());
  std::vector<double> values(grid.size());
  for (std::size_t i = 0; i < grid.size(); ++i) {
    order[i] = i;
    values[i] = f(grid[i]);
  }
  const std::size_t starts = std::min(options.refined_starts, grid.size());
  std::partial_sort(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(starts), order.end(),
                    [&](std::size_t a, std::size_t b) { return values[a] < values[b]; });

  Minimum best{values[order[0]], grid[order[0]]};
  std::vector<double> lower(m), upper(m);
  for (std::size_t k = 0; k < m; ++k) {
    lower[k] = space.lower(k);
    upper[k] = space.upper(k);
  }
  for (std::size_t s = 0; s < starts; ++s) {
    nlopt::opt local(nlopt::LN_BOBYQA, static_cast<unsigned>(m));
    local.set_lower_bounds(lower);
    local.set_upper_bounds(upper);
    local.set_xtol_rel(1e-12);
    local.set_maxeval(2000);
    local.set_min_objective(
        [](const std::vector<double>& x, std::vector<double>&, void* data) {
          return (*static_cast<const std::function<double(TypeView)>*>(data))(x);
        },
        const_cast<std::function<double(TypeView)>*>(&f));
    std::vector<double> x = grid[order[s]];
    double value = values[order[s]];
    try {
      local.optimize(x, value);
    } catch (const std::exception&) {
      // NLopt reports round-off limits as exceptions; x then holds its best point.
      value = f(x);
    }
    if (value < best.value)
      best = {value, x};
  }
  return best;
}

}  // namespace

Minimum minimize(const TypeSpace& space, const std::function<double(TypeView)>& f,
                 const MinimizeOptions& options) {
  if (space.is_discrete())
    return minimize_discrete(space, f);
  if (space.dimension() == 1)
    return minimize_interval(space.lower(0), space.upper(0), f, options);
  return minimize_box(space, f, options);
}

JointMinimum minimize_joint(const TypeSpace& Theta1, const TypeSpace& Theta2,
                            const std::function<double(TypeView, TypeView)>& f,
                            const MinimizeOptions& options) {
  auto inner = [&](TypeView theta1) {
    return minimize(
        Theta2, [&](TypeView theta2) { return f(theta1, theta2); }, options);
  };
  const Minimum outer = minimize(
      Theta1, [&](TypeView theta1) { return inner(theta1).value; }, options);
  const Minimum at = inner(outer.argmin);
  return {at.value, outer.argmin, at.argmin};
}

}  // namespace twostage
