// scenarios/estimate.hpp: a computed number together with its error estimate.
#pragma once

namespace twostage {

// Every figure twostage computes carries an absolute error estimate: the
// quadrature error bound, the rounding of an exact sum, or a Monte Carlo
// half-width. Sums add their errors, so the bound stays conservative.
struct Estimate {
  double value = 0.0;
  double error = 0.0;

  Estimate& operator+=(const Estimate& other) {
    value += other.value;
    error += other.error;
    return *this;
  }
  friend Estimate operator+(Estimate a, const Estimate& b) { return a += b; }
  friend Estimate operator-(Estimate a, const Estimate& b) {
    a.value -= b.value;
    a.error += b.error;
    return a;
  }
  friend Estimate operator*(double k, Estimate a) {
    a.value *= k;
    a.error *= (k < 0 ? -k : k);
    return a;
  }
};

}  // namespace twostage
