// scenarios/type_space.cpp
#include "scenarios/type_space.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "scenarios/error.hpp"

namespace twostage {
namespace {

void require_finite_point(const Type& point) {
  if (point.empty())
    throw_input_error("a type needs at least one coordinate");
  for (double x : point) {
    if (!std::isfinite(x))
      throw_input_error("type coordinate {} is not a finite number", x);
  }
}

}  // namespace

TypeSpace TypeSpace::point(Type value) {
  require_finite_point(value);
  TypeSpace space;
  space.kind_ = TypeSpaceKind::kPoint;
  space.dimension_ = value.size();
  space.lower_ = value;
  space.upper_ = value;
  space.points_ = {std::move(value)};
  space.probabilities_ = {1.0};
  return space;
}

TypeSpace TypeSpace::finite(std::vector<Type> points, std::vector<double> probabilities) {
  if (points.empty())
    throw_input_error("a finite type space needs at least one point");
  if (points.size() != probabilities.size()) {
    throw_input_error("a finite type space has {} points but {} probabilities (need one each)",
                      points.size(), probabilities.size());
  }
  const std::size_t m = points.front().size();
  for (const Type& p : points) {
    require_finite_point(p);
    if (p.size() != m) {
      throw_input_error("finite type points have different dimensions ({} and {})", m, p.size());
    }
  }
  for (double p : probabilities) {
    if (!std::isfinite(p) || p < 0) {
      throw_input_error("probability {} is not allowed (need a finite number >= 0)", p);
    }
  }
  const double total = std::accumulate(probabilities.begin(), probabilities.end(), 0.0);
  if (std::abs(total - 1.0) > 1e-9) {
    throw_input_error("probabilities sum to {} (they must sum to 1)", total);
  }
  for (double& p : probabilities)
    p /= total;

  TypeSpace space;
  space.kind_ = TypeSpaceKind::kFinite;
  space.dimension_ = m;
  space.lower_.assign(m, INFINITY);
  space.upper_.assign(m, -INFINITY);
  for (const Type& p : points) {
    for (std::size_t k = 0; k < m; ++k) {
      space.lower_[k] = std::min(space.lower_[k], p[k]);
      space.upper_[k] = std::max(space.upper_[k], p[k]);
    }
  }
  space.pick_ = boost::random::discrete_distribution<std::size_t, double>(probabilities);
  space.points_ = std::move(points);
  space.probabilities_ = std::move(probabilities);
  return space;
}

TypeSpace TypeSpace::continuous(std::vector<CoordinateDistribution> coordinates) {
  if (coordinates.empty())
    throw_input_error("a continuous type space needs at least one coordinate");
  TypeSpace space;
  space.kind_ = TypeSpaceKind::kContinuous;
  space.dimension_ = coordinates.size();
  for (const auto& c : coordinates) {
    space.lower_.push_back(c.low());
    space.upper_.push_back(c.high());
  }
  space.coordinates_ = std::move(coordinates);
  return space;
}

bool TypeSpace::contains(TypeView theta, double tolerance) const {
  if (theta.size() != dimension_)
    return false;
  if (is_discrete()) {
    return std::any_of(points_.begin(), points_.end(), [&](const Type& p) {
      for (std::size_t k = 0; k < dimension_; ++k) {
        if (std::abs(p[k] - theta[k]) > tolerance)
          return false;
      }
      return true;
    });
  }
  for (std::size_t k = 0; k < dimension_; ++k) {
    if (!(theta[k] >= lower_[k] - tolerance && theta[k] <= upper_[k] + tolerance))
      return false;
  }
  return true;
}

std::vector<Type> TypeSpace::grid(std::size_t per_axis) const {
  if (is_discrete())
    return points_;
  per_axis = std::max<std::size_t>(per_axis, 2);
  std::vector<Type> grid;
  std::vector<std::size_t> index(dimension_, 0);
  while (true) {
    Type theta(dimension_);
    for (std::size_t k = 0; k < dimension_; ++k) {
      const double share = static_cast<double>(index[k]) / static_cast<double>(per_axis - 1);
      theta[k] = lower_[k] + share * (upper_[k] - lower_[k]);
    }
    grid.push_back(std::move(theta));
    // Odometer over the product grid, last coordinate fastest.
    std::size_t k = dimension_;
    while (k > 0 && ++index[k - 1] == per_axis)
      index[--k] = 0;
    if (k == 0)
      break;
  }
  return grid;
}

std::string TypeSpace::describe() const {
  switch (kind_) {
    case TypeSpaceKind::kPoint:
      return dimension_ == 1 ? fmt::format("point {}", points_[0][0])
                             : fmt::format("point ({})", fmt::join(points_[0], ", "));
    case TypeSpaceKind::kFinite:
      return fmt::format("finite: {} points in R^{}", points_.size(), dimension_);
    case TypeSpaceKind::kContinuous: {
      std::vector<std::string> parts;
      for (const auto& c : coordinates_)
        parts.push_back(c.describe());
      return fmt::format("{}", fmt::join(parts, " x "));
    }
  }
  return "?";
}

}  // namespace twostage
