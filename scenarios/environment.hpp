// scenarios/environment.hpp: the bilateral-trade environment of MODEL.md §1.
//
// The seller (agent 1) owns the object; the buyer (agent 2) may acquire it.
// Each agent's type space carries its distribution; types are independent.
// Everything else the simulator needs about the economics (the efficient
// rule x*, the surplus S, the outside options) is derived here, once.
#pragma once

#include <algorithm>
#include <string>

#include "scenarios/type_space.hpp"
#include "scenarios/valuation.hpp"

namespace twostage {

struct Environment {
  TypeSpace Theta1;  // seller's types with F1
  TypeSpace Theta2;  // buyer's types with F2
  Valuation v1;      // what the object is worth to the seller
  Valuation v2;      // … and to the buyer

  // One-sided information: the buyer's type is a single known point θ̄2.
  bool one_sided() const { return Theta2.is_point(); }

  // v2 − v1: the gain from trade at θ.
  double trade_gain(TypeView theta1, TypeView theta2) const {
    return v2(theta1, theta2) - v1(theta1, theta2);
  }
  // Efficient rule x*(θ): trade iff v2 > v1; a tie means no trade.
  bool x_star(TypeView theta1, TypeView theta2) const { return trade_gain(theta1, theta2) > 0.0; }
  // Social surplus at the efficient rule, S(θ) = max(v1, v2).
  double S(TypeView theta1, TypeView theta2) const {
    return std::max(v1(theta1, theta2), v2(theta1, theta2));
  }
};

}  // namespace twostage
