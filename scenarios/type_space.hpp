// scenarios/type_space.hpp: an agent's type space Θi together with its distribution Fi.
//
// MODEL.md §1 allows three shapes: a single point θ̄ (the buyer under one-sided
// information), a finite set of points in R^m with probabilities, and a
// continuous box in R^m whose coordinates are independent draws from
// CoordinateDistribution. A type is a vector in R^m; code that evaluates
// valuations takes it as a span so no allocation is needed per type.
#pragma once

#include <algorithm>
#include <cstddef>
#include <span>
#include <string>
#include <vector>

#include <boost/random/discrete_distribution.hpp>

#include "scenarios/distribution.hpp"

namespace twostage {

using Type = std::vector<double>;
using TypeView = std::span<const double>;

enum class TypeSpaceKind { kPoint, kFinite, kContinuous };

class TypeSpace {
 public:
  static TypeSpace point(Type value);
  // Probabilities must be non-negative and sum to 1 (within 1e-9); they are
  // renormalised to remove that rounding.
  static TypeSpace finite(std::vector<Type> points, std::vector<double> probabilities);
  static TypeSpace continuous(std::vector<CoordinateDistribution> coordinates);

  TypeSpaceKind kind() const { return kind_; }
  std::size_t dimension() const { return dimension_; }
  bool is_point() const { return kind_ == TypeSpaceKind::kPoint; }
  bool is_continuous() const { return kind_ == TypeSpaceKind::kContinuous; }
  // Point or finite: the expectation over this space is an exact finite sum.
  bool is_discrete() const { return kind_ != TypeSpaceKind::kContinuous; }

  // Discrete spaces: the support points and their probabilities.
  const std::vector<Type>& points() const { return points_; }
  const std::vector<double>& probabilities() const { return probabilities_; }
  // Continuous spaces: one distribution per coordinate.
  const std::vector<CoordinateDistribution>& coordinates() const { return coordinates_; }

  // The smallest box holding the support, coordinate by coordinate.
  double lower(std::size_t k) const { return lower_[k]; }
  double upper(std::size_t k) const { return upper_[k]; }
  bool contains(TypeView theta, double tolerance = 0.0) const;

  // Points spread over the space for tables: the support of a discrete space,
  // or a product grid with `per_axis` points per coordinate of a continuous one.
  std::vector<Type> grid(std::size_t per_axis) const;

  // Draws one type into `theta` (size dimension()), deterministically given
  // the engine's state: a support point by its probability, or each
  // continuous coordinate in order.
  template <typename Engine>
  void sample(Engine& engine, std::span<double> theta) const {
    if (is_discrete()) {
      const Type& point = points_[points_.size() == 1 ? 0 : pick_(engine)];
      std::copy(point.begin(), point.end(), theta.begin());
      return;
    }
    for (std::size_t k = 0; k < dimension_; ++k)
      theta[k] = coordinates_[k].sample(engine);
  }

  // n draws into theta[0 … n·m), row-major; the same numbers as n calls of
  // sample(), with the per-type dispatch hoisted out of the loop.
  template <typename Engine>
  void sample_batch(Engine& engine, double* theta, std::size_t n) const {
    if (is_discrete()) {
      for (std::size_t i = 0; i < n; ++i) {
        sample(engine, std::span<double>(theta + i * dimension_, dimension_));
      }
      return;
    }
    if (dimension_ == 1) {
      const CoordinateDistribution& c = coordinates_[0];
      for (std::size_t i = 0; i < n; ++i)
        theta[i] = c.sample(engine);
      return;
    }
    for (std::size_t i = 0; i < n; ++i) {
      for (std::size_t k = 0; k < dimension_; ++k) {
        theta[i * dimension_ + k] = coordinates_[k].sample(engine);
      }
    }
  }

  // E.g. "point 0", "finite: 5 points", "U[0, 1] x U[0, 1]".
  std::string describe() const;

 private:
  TypeSpaceKind kind_ = TypeSpaceKind::kPoint;
  std::size_t dimension_ = 0;
  std::vector<Type> points_;
  std::vector<double> probabilities_;
  std::vector<CoordinateDistribution> coordinates_;
  std::vector<double> lower_, upper_;
  // Finite spaces: draws a support index by its probability.
  boost::random::discrete_distribution<std::size_t, double> pick_;
};

}  // namespace twostage
