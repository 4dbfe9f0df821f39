// scenarios/valuation.hpp: a valuation vi(θ1, θ2) (the paper's ũi).
//
// Two forms. An affine valuation c + a·θ1 + b·θ2 is evaluated natively and is
// what the built-in scenarios use, because Monte Carlo play and the deviation
// search evaluate valuations in their innermost loops. An expression
// valuation is any muparser formula over the types and the scenario's named
// parameters; it is general but interpreted.
//
// Thread safety: evaluation is safe from any number of threads. An
// expression's parser reads its variables from fixed addresses, so threads
// other than the one that built it evaluate through clones of their own.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "scenarios/type_space.hpp"

namespace twostage {

// Named scenario parameters and their resolved values, by name; expressions
// see them as constants.
using ParameterValues = std::map<std::string, double>;

class Valuation {
 public:
  Valuation();  // the zero valuation
  // c + Σ a_k θ1_k + Σ b_k θ2_k.
  static Valuation affine(double constant, std::vector<double> theta1_coefficients,
                          std::vector<double> theta2_coefficients);
  // A muparser formula. Variables: theta1 and theta2 for one-dimensional
  // types, theta1_1, theta1_2, … and theta2_1, … for every dimension, and the
  // parameters. Throws InputError naming the problem when the formula does
  // not parse or names an unknown variable.
  static Valuation expression(const std::string& name, const std::string& formula,
                              const ParameterValues& parameters, std::size_t m1, std::size_t m2);

  Valuation(const Valuation& other);
  Valuation& operator=(const Valuation& other);
  Valuation(Valuation&&) noexcept;
  Valuation& operator=(Valuation&&) noexcept;
  ~Valuation();

  double operator()(TypeView theta1, TypeView theta2) const {
    if (!compiled_) {
      double value = constant_;
      for (std::size_t k = 0; k < a_.size(); ++k)
        value += a_[k] * theta1[k];
      for (std::size_t k = 0; k < b_.size(); ++k)
        value += b_[k] * theta2[k];
      return value;
    }
    return evaluate_expression(theta1, theta2);
  }

  bool is_affine() const { return !compiled_; }
  // Affine form only: the coefficients.
  double constant() const { return constant_; }
  const std::vector<double>& theta1_coefficients() const { return a_; }
  const std::vector<double>& theta2_coefficients() const { return b_; }
  // A human-readable formula ("theta1 + 0.3*theta2").
  std::string formula() const;

 private:
  struct Compiled;
  double evaluate_expression(TypeView theta1, TypeView theta2) const;

  double constant_ = 0.0;
  std::vector<double> a_, b_;
  // Expression form only: the parser, its bound variables and what rebuilds it.
  std::unique_ptr<Compiled> compiled_;
};

}  // namespace twostage
