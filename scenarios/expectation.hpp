// scenarios/expectation.hpp: the expectations W1, W2, ES and U1° of MODEL.md §1.
//
//   W1(a) = E_θ2[S(a, θ2)]      W2(b) = E_θ1[S(θ1, b)]      ES = E[S(θ)]
//   U1°(a) = E_θ2[v1(a, θ2)]    (the seller's outside option; U2° = 0)
//
// How an expectation over one agent's types is computed depends on its space:
//   point or finite  exact sum; the error is the rounding bound of the sum;
//   1-D continuous   adaptive Gauss–Kronrod quadrature (Boost.Math), split at
//                    the efficient cut-offs where v2 − v1 changes sign, so the
//                    kink of S = max(v1, v2) costs no accuracy; densities that
//                    are unbounded at an end use tanh-sinh instead;
//   m-D continuous   randomised quasi-Monte Carlo: independent random shifts
//                    of one Sobol point set (Boost.Random), error = 3 standard
//                    errors across the shifts.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "scenarios/environment.hpp"
#include "scenarios/estimate.hpp"

namespace twostage {

struct ExpectationOptions {
  double relative_tolerance = 1e-12;  // quadrature stops at this error relative to ∫|f|
  // An integral whose ∫|f| is below this is taken as its first estimate, with
  // ∫|f| as the error bound: integrands that are rounding noise (a gain of
  // zero computed as a difference) could never meet a relative target.
  double absolute_tolerance = 1e-15;
  // Bisections per piece. Pieces are smooth once split at the cut-offs, so a
  // dozen suffice; the cap bounds the work on integrands that are pure
  // rounding noise (a difference that vanishes), whose relative tolerance
  // can never be met.
  unsigned max_depth = 12;
  unsigned cutoff_scan = 128;         // intervals scanned for sign changes of v2 − v1
  std::size_t qmc_points = 1u << 13;  // Sobol points per random shift
  std::size_t qmc_shifts = 16;        // independent random shifts
  std::uint64_t seed = 20210711;      // seeds the shifts; results are reproducible
};

enum class ExpectationMethod { kExact, kQuadrature, kQuasiMonteCarlo };
std::string to_string(ExpectationMethod method);

// A function of one type, and the gap functions whose sign changes mark its kinks.
using TypeFunction = std::function<double(TypeView)>;

// Randomised QMC nodes for a product of coordinate distributions: shift-major,
// point-major, coordinate-minor, already mapped through the quantiles.
struct QmcNodes {
  std::size_t dimension = 0, points = 0, shifts = 0;
  std::vector<double> theta;
  TypeView node(std::size_t shift, std::size_t i) const {
    return {theta.data() + (shift * points + i) * dimension, dimension};
  }
};
QmcNodes make_qmc_nodes(const std::vector<CoordinateDistribution>& coordinates,
                        const ExpectationOptions& options);

// E over `space` of g. On a 1-D continuous space the integral is split at the
// roots of every function in `kinks`; elsewhere `kinks` is ignored.
// `nodes` must be the space's nodes when it is multi-dimensional.
Estimate expect(const TypeSpace& space, const TypeFunction& g,
                const std::vector<TypeFunction>& kinks, const ExpectationOptions& options,
                const QmcNodes* nodes = nullptr);

// The expectations of one environment, which must outlive this object. All
// methods are const and keep no cache; ES() integrates afresh on each call.
class Expectations {
 public:
  explicit Expectations(const Environment& environment, ExpectationOptions options = {});

  Estimate W1(TypeView theta1) const;
  Estimate W2(TypeView theta2) const;
  Estimate ES() const;
  // U1°(θ1) = E_θ2[v1(θ1, θ2)].
  Estimate seller_outside_option(TypeView theta1) const;

  ExpectationMethod method_over_Theta1() const { return method_of(env_.Theta1); }
  ExpectationMethod method_over_Theta2() const { return method_of(env_.Theta2); }
  ExpectationMethod method_of_ES() const;
  const Environment& environment() const { return env_; }
  const ExpectationOptions& options() const { return options_; }

 private:
  static ExpectationMethod method_of(const TypeSpace& space);

  const Environment& env_;
  ExpectationOptions options_;
  QmcNodes nodes1_, nodes2_;  // for multi-dimensional continuous spaces
};

}  // namespace twostage
