// scenarios/valuation.cpp
#include "scenarios/valuation.hpp"

#include <array>
#include <atomic>
#include <cmath>
#include <thread>

#include <fmt/format.h>
#include <muParser.h>

#include "scenarios/error.hpp"

namespace twostage {

struct Valuation::Compiled {
  std::string name;
  std::string formula;
  ParameterValues parameters;
  std::size_t m1 = 0, m2 = 0;
  // Scratch variables the parser reads: θ1 components first, then θ2's. The
  // vector is sized once so the pointers handed to muparser stay valid.
  std::vector<double> variables;
  mu::Parser parser;
  // Who may use `parser` directly: the thread that compiled it. Other threads
  // evaluate through their own clones (see evaluate_expression).
  std::thread::id owner = std::this_thread::get_id();
  std::uint64_t id = next_id++;

  void compile();
  std::unique_ptr<Compiled> clone() const {
    auto copy = std::make_unique<Compiled>();
    copy->name = name;
    copy->formula = formula;
    copy->parameters = parameters;
    copy->m1 = m1;
    copy->m2 = m2;
    copy->compile();
    return copy;
  }

  static inline std::atomic<std::uint64_t> next_id{1};
};

namespace {

// muparser names for agent i's coordinates: "theta1" alone in one dimension,
// and "theta1_1", "theta1_2", … always.
std::vector<std::pair<std::string, std::size_t>> variable_names(std::size_t agent, std::size_t m,
                                                                std::size_t offset) {
  std::vector<std::pair<std::string, std::size_t>> names;
  if (m == 1)
    names.emplace_back(fmt::format("theta{}", agent), offset);
  for (std::size_t k = 0; k < m; ++k) {
    names.emplace_back(fmt::format("theta{}_{}", agent, k + 1), offset + k);
  }
  return names;
}

std::string allowed_names(std::size_t m1, std::size_t m2, const ParameterValues& parameters) {
  std::string list;
  for (const auto& [name, index] : variable_names(1, m1, 0))
    list += name + ", ";
  for (const auto& [name, index] : variable_names(2, m2, m1))
    list += name + ", ";
  for (const auto& [name, value] : parameters)
    list += name + ", ";
  return list.empty() ? "none" : list.substr(0, list.size() - 2);
}

}  // namespace

void Valuation::Compiled::compile() {
  variables.assign(m1 + m2, 0.0);
  parser = mu::Parser();
  try {
    for (const auto& [pname, value] : parameters)
      parser.DefineConst(pname, value);
    for (const auto& [vname, index] : variable_names(1, m1, 0)) {
      parser.DefineVar(vname, &variables[index]);
    }
    for (const auto& [vname, index] : variable_names(2, m2, m1)) {
      parser.DefineVar(vname, &variables[index]);
    }
    parser.SetExpr(formula);
    parser.Eval();  // forces parsing so that errors surface here, not mid-run
  } catch (const mu::Parser::exception_type& e) {
    if (e.GetCode() == mu::ecUNASSIGNABLE_TOKEN) {
      throw_input_error("valuation {} = \"{}\": unknown variable '{}' (allowed: {})", name, formula,
                        e.GetToken(), allowed_names(m1, m2, parameters));
    }
    throw_input_error("valuation {} = \"{}\" does not parse: {}", name, formula, e.GetMsg());
  }
}

Valuation Valuation::affine(double constant, std::vector<double> theta1_coefficients,
                            std::vector<double> theta2_coefficients) {
  Valuation v;
  v.constant_ = constant;
  v.a_ = std::move(theta1_coefficients);
  v.b_ = std::move(theta2_coefficients);
  for (double c : v.a_) {
    if (!std::isfinite(c))
      throw_input_error("affine valuation coefficient {} is not finite", c);
  }
  for (double c : v.b_) {
    if (!std::isfinite(c))
      throw_input_error("affine valuation coefficient {} is not finite", c);
  }
  if (!std::isfinite(constant))
    throw_input_error("affine valuation constant {} is not finite", constant);
  return v;
}

Valuation Valuation::expression(const std::string& name, const std::string& formula,
                                const ParameterValues& parameters, std::size_t m1, std::size_t m2) {
  Valuation v;
  v.compiled_ = std::make_unique<Compiled>();
  v.compiled_->name = name;
  v.compiled_->formula = formula;
  v.compiled_->parameters = parameters;
  v.compiled_->m1 = m1;
  v.compiled_->m2 = m2;
  v.compiled_->compile();
  return v;
}

Valuation::Valuation(const Valuation& other)
    : constant_(other.constant_), a_(other.a_), b_(other.b_) {
  if (other.compiled_)
    compiled_ = other.compiled_->clone();
}

Valuation& Valuation::operator=(const Valuation& other) {
  if (this != &other)
    *this = Valuation(other);
  return *this;
}

Valuation::Valuation() = default;
Valuation::Valuation(Valuation&&) noexcept = default;
Valuation& Valuation::operator=(Valuation&&) noexcept = default;
Valuation::~Valuation() = default;

double Valuation::evaluate_expression(TypeView theta1, TypeView theta2) const {
  // A muparser object reads its variables from fixed addresses, so it cannot
  // serve two threads at once. The compiling thread uses it directly; any
  // other thread keeps a few clones of its own, found by the valuation's id.
  Compiled* parser = compiled_.get();
  if (std::this_thread::get_id() != parser->owner) {
    struct Clone {
      std::uint64_t id = 0;
      std::unique_ptr<Compiled> compiled;
    };
    constexpr std::size_t kClonesPerThread = 8;
    thread_local std::array<Clone, kClonesPerThread> clones;
    Clone& slot = clones[parser->id % kClonesPerThread];
    if (slot.id != parser->id) {
      slot.compiled = parser->clone();
      slot.id = parser->id;
    }
    parser = slot.compiled.get();
  }
  auto& c = *parser;
  for (std::size_t k = 0; k < c.m1; ++k)
    c.variables[k] = theta1[k];
  for (std::size_t k = 0; k < c.m2; ++k)
    c.variables[c.m1 + k] = theta2[k];
  return c.parser.Eval();
}

std::string Valuation::formula() const {
  if (compiled_)
    return compiled_->formula;
  std::string text;
  auto add_term = [&](double coefficient, const std::string& variable) {
    if (coefficient == 0.0)
      return;
    const double magnitude = std::abs(coefficient);
    const char* sign = coefficient < 0 ? (text.empty() ? "-" : " - ") : (text.empty() ? "" : " + ");
    if (variable.empty()) {
      text += fmt::format("{}{}", sign, magnitude);
    } else if (magnitude == 1.0) {
      text += fmt::format("{}{}", sign, variable);
    } else {
      text += fmt::format("{}{}*{}", sign, magnitude, variable);
    }
  };
  add_term(constant_, "");
  for (std::size_t k = 0; k < a_.size(); ++k) {
    add_term(a_[k], a_.size() == 1 ? "theta1" : fmt::format("theta1_{}", k + 1));
  }
  for (std::size_t k = 0; k < b_.size(); ++k) {
    add_term(b_[k], b_.size() == 1 ? "theta2" : fmt::format("theta2_{}", k + 1));
  }
  return text.empty() ? "0" : text;
}

}  // namespace twostage
