// scenarios/facts.hpp: what kind of environment this is (MODEL.md §1).
#pragma once

#include <string>

#include "scenarios/environment.hpp"

namespace twostage {

struct EnvironmentFacts {
  bool one_sided = true;  // Θ2 is a single point θ̄2

  // Trivial iff v2 > v1 everywhere on Θ, i.e. the margin min(v2 − v1) > 0.
  bool trivial = false;
  double margin = 0.0;
  Type margin_theta1, margin_theta2;  // where the margin is attained

  // Single crossing: for i ≠ j, ∂vi/∂θi > ∂vj/∂θi (Jehiel and Pauzner 2006).
  // Defined for one-dimensional continuous types (a point type has no
  // derivative, so its condition is vacuous). The worst margin is the
  // smallest ∂vi/∂θi − ∂vj/∂θi over Θ and both agents.
  struct SingleCrossing {
    bool defined = false;
    std::string why_undefined;
    bool holds = false;
    double worst_margin = 0.0;
    int agent = 0;  // whose condition is the worst (1 or 2)
    Type theta1, theta2;
    // Whether both valuations increase in every continuous type (the smallest
    // partial derivative ≥ 0), which the definition presupposes.
    bool increasing = false;
    double min_slope = 0.0;
  } single_crossing;
};

EnvironmentFacts classify(const Environment& environment);

// ∂v/∂θi (i = 1 or 2, first coordinate) by central differences kept inside
// the type space's box; the coefficient itself for affine valuations.
double partial_derivative(const Valuation& v, const Environment& environment, int agent,
                          TypeView theta1, TypeView theta2);

}  // namespace twostage
