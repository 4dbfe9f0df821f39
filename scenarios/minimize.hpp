// scenarios/minimize.hpp: global minimisation of a function of one agent's type.
//
// Used for the trade-gain margin min(v2 − v1), the single-crossing margins
// and, in the mechanisms, the worst-off type. The search is global on a grid
// and then refined locally: Brent's method (Boost.Math) in one dimension,
// BOBYQA (NLopt) in more. Discrete spaces are enumerated exactly. A minimum
// narrower than the grid spacing can be missed; the grid is dense enough for
// the smooth and piecewise-smooth functions of the model.
#pragma once

#include <functional>

#include "scenarios/type_space.hpp"

namespace twostage {

struct MinimizeOptions {
  std::size_t grid_points_1d = 257;      // grid on an interval
  std::size_t grid_points_total = 4096;  // grid on a box, split evenly over the axes
  std::size_t refined_starts = 3;        // best grid points that are refined locally
};

struct Minimum {
  double value = 0.0;
  Type argmin;
};

Minimum minimize(const TypeSpace& space, const std::function<double(TypeView)>& f,
                 const MinimizeOptions& options = {});

// min over Θ1 × Θ2 of f(θ1, θ2), by nesting: the inner minimum over Θ2 is a
// function of θ1 that is minimised in turn.
struct JointMinimum {
  double value = 0.0;
  Type theta1, theta2;
};
JointMinimum minimize_joint(const TypeSpace& Theta1, const TypeSpace& Theta2,
                            const std::function<double(TypeView, TypeView)>& f,
                            const MinimizeOptions& options = {});

}  // namespace twostage
