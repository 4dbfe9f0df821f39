// tests/test_expectations.cpp: W1, W2 and ES against closed forms.
#include <cmath>

#include <fmt/format.h>
#include <catch2/catch.hpp>

#include "scenarios/expectation.hpp"
#include "scenarios/scenario.hpp"

using namespace twostage;

namespace {

double relative_error(double computed, double exact) {
  return std::abs(computed - exact) / std::max(1.0, std::abs(exact));
}

// (γ1, γ2) pairs covering both cases of Proposition 1: Case 1 has γ2 ≤ γ1,
// Case 2 has γ1 < γ2; the list includes the boundary γ1 = γ2 and values near 0 and 1.
const std::vector<std::pair<double, double>> kGammaPairs = {
    {0.5, 0.5}, {0.3, 0.1}, {0.9, 0.2},   {0.7, 0.69}, {0.99, 0.01}, {0.45, 0.05},
    {0.1, 0.3}, {0.2, 0.9}, {0.01, 0.99}, {0.3, 0.6},  {0.6, 0.61},  {0.05, 0.5}};

Scenario two_sided(double gamma1, double gamma2) {
  return load_scenario("two-sided-linear", {{"gamma1", gamma1}, {"gamma2", gamma2}});
}

}  // namespace

TEST_CASE("W2 matches equation (7) and its always-trade branch", "[prop1]") {
  for (const auto& [g1, g2] : kGammaPairs) {
    const Scenario s = two_sided(g1, g2);
    const Expectations e(s.environment);
    for (int i = 0; i <= 20; ++i) {
      const double b = i / 20.0;
      // (7) holds while the cut-off θ1 = (1 − γ1)/(1 − γ2)·θ2 stays in [0, 1]. Beyond
      // it the buyer always trades: W2 = E_θ1[θ2 + γ2 θ1] = θ2 + γ2/2 (Case 2, Step 2-2).
      const double exact = (1 - g1) / (1 - g2) * b <= 1
                               ? 0.5 + g1 * b + 0.5 * (1 - g1) * (1 - g1) / (1 - g2) * b * b
                               : b + g2 / 2;
      const Estimate w2 = e.W2(Type{b});
      INFO(fmt::format("gamma1 = {}, gamma2 = {}, theta2 = {}", g1, g2, b));
      CHECK(relative_error(w2.value, exact) <= 1e-9);
      CHECK(std::abs(w2.value - exact) <= w2.error + 1e-15);
    }
  }
}

TEST_CASE("W1 matches equation (9) and its never-trade branch", "[prop1]") {
  for (const auto& [g1, g2] : kGammaPairs) {
    const Scenario s = two_sided(g1, g2);
    const Expectations e(s.environment);
    for (int i = 0; i <= 20; ++i) {
      const double a = i / 20.0;
      // (9) holds while the cut-off θ2 = (1 − γ2)/(1 − γ1)·θ1 stays in [0, 1]. Beyond it
      // (Case 1, θ1 ≥ (1 − γ1)/(1 − γ2)) the seller never trades: W1 = E_θ2[v1] = θ1 + γ1/2.
      const double exact = (1 - g2) / (1 - g1) * a <= 1
                               ? 0.5 + g2 * a + 0.5 * (1 - g2) * (1 - g2) / (1 - g1) * a * a
                               : a + g1 / 2;
      const Estimate w1 = e.W1(Type{a});
      INFO(fmt::format("gamma1 = {}, gamma2 = {}, theta1 = {}", g1, g2, a));
      CHECK(relative_error(w1.value, exact) <= 1e-9);
      CHECK(std::abs(w1.value - exact) <= w1.error + 1e-15);
    }
  }
}

TEST_CASE("ES matches equations (8) and (10)", "[prop1]") {
  for (const auto& [g1, g2] : kGammaPairs) {
    const Scenario s = two_sided(g1, g2);
    const Estimate es = Expectations(s.environment).ES();
    // ES/2 is (8) in Case 1 and (10) in Case 2.
    const double half = g2 <= g1 ? 0.25 + g1 / 4 + (1 - g1) * (1 - g1) / (12 * (1 - g2))
                                 : 0.25 + g2 / 4 + (1 - g2) * (1 - g2) / (12 * (1 - g1));
    INFO(fmt::format("gamma1 = {}, gamma2 = {}", g1, g2));
    CHECK(relative_error(es.value, 2 * half) <= 1e-9);
    CHECK(std::abs(es.value - 2 * half) <= es.error + 1e-15);
    CHECK(es.error < 1e-9);
  }
}

TEST_CASE("outside option U1° is the seller's expected own value", "[prop1]") {
  const Scenario s = two_sided(0.4, 0.7);
  const Expectations e(s.environment);
  // U1°(θ1) = E_θ2[θ1 + γ1 θ2] = θ1 + γ1/2.
  for (double a : {0.0, 0.3, 1.0}) {
    CHECK(relative_error(e.seller_outside_option(Type{a}).value, a + 0.2) <= 1e-12);
  }
}

TEST_CASE("finite types: exact sums equal hand-computed values", "[exact]") {
  SECTION("lemons-finite") {
    const Scenario s = load_scenario("lemons-finite");
    const Expectations e(s.environment);
    // S = max(θ, 0.2 + 0.6θ) at θ = 0, .25, .5, .75, 1 is .2, .35, .5, .75, 1; with
    // probabilities .1, .2, .4, .2, .1 the mean is .02 + .07 + .2 + .15 + .1 = .54.
    CHECK(e.ES().value == Approx(0.54).epsilon(1e-15));
    CHECK(e.W2(Type{0.0}).value == Approx(0.54).epsilon(1e-15));
    CHECK(e.W1(Type{0.25}).value == Approx(0.35).epsilon(1e-15));
    CHECK(e.ES().error < 1e-14);
    CHECK(e.method_of_ES() == ExpectationMethod::kExact);
  }
  SECTION("two-sided finite with expression valuations") {
    const Scenario s = parse_scenario(R"toml(
name = "finite-pair"
[seller]
space = "finite"
points = [0, 1]
probabilities = [0.5, 0.5]
[buyer]
space = "finite"
points = [0, 1]
probabilities = [0.25, 0.75]
[valuations]
v1 = "theta1 + 0.5*theta2"
v2 = "theta2 + 0.25*theta1"
)toml",
                                      "finite-pair.toml");
    const Expectations e(s.environment);
    // S(0,0) = 0, S(0,1) = max(.5, 1) = 1, S(1,0) = max(1, .25) = 1, S(1,1) = max(1.5, 1.25) = 1.5.
    CHECK(e.W1(Type{0.0}).value == Approx(0.75));                      // .25·0 + .75·1
    CHECK(e.W1(Type{1.0}).value == Approx(1.375));                     // .25·1 + .75·1.5
    CHECK(e.W2(Type{0.0}).value == Approx(0.5));                       // .5·0 + .5·1
    CHECK(e.W2(Type{1.0}).value == Approx(1.25));                      // .5·1 + .5·1.5
    CHECK(e.ES().value == Approx(1.0625));                             // .5·.75 + .5·1.375
    CHECK(e.seller_outside_option(Type{1.0}).value == Approx(1.375));  // 1 + .5·.75
  }
}

TEST_CASE("quasi-Monte Carlo ES is within its stated error", "[qmc]") {
  const Scenario s = load_scenario("lemons-2d");
  const Estimate es = Expectations(s.environment).ES();
  // S = v1 + (v2 − v1)⁺ with v1 = (x + y)/2 and g = v2 − v1 = 0.1 + 0.3x − 0.2y on
  // [0, 1]². E[v1] = 1/2 and E[g] = 0.15. g < 0 only where y > y0 = 0.5 + 1.5x (x < 1/3);
  // there ∫_{y0}^1 −g dy = 0.1 (1 − y0)², and ∫_0^{1/3} 0.1 (0.5 − 1.5x)² dx = 0.1/36.
  // So ES = 1/2 + 0.15 + 0.1/36.
  const double exact = 0.5 + 0.15 + 0.1 / 36;
  CHECK(std::abs(es.value - exact) <= es.error);
  CHECK(es.error < 1e-3);
  CHECK(es.error > 0);
}

TEST_CASE("quadrature handles beta and truncated normal densities", "[quadrature]") {
  auto scenario_with = [](const std::string& seller) {
    return parse_scenario(fmt::format(R"toml(
name = "dist"
[seller]
space = "interval"
{}
[buyer]
space = "point"
value = 0
[valuations]
v1 = {{ theta1 = [1] }}
v2 = {{ constant = 0.1, theta1 = [1] }}
)toml",
                                      seller),
                          "dist.toml");
  };
  // Trade is always efficient (v2 − v1 = 0.1), so ES = E[θ1] + 0.1.
  SECTION("Beta(2, 3) on [1, 3]: mean 1 + 2·2/5") {
    const Scenario s =
        scenario_with("distribution = \"beta\"\nalpha = 2\nbeta = 3\nlow = 1\nhigh = 3");
    CHECK(Expectations(s.environment).ES().value == Approx(1.8 + 0.1).epsilon(1e-11));
  }
  SECTION("Beta(0.5, 0.5), unbounded density at both ends: mean 1/2") {
    const Scenario s =
        scenario_with("distribution = \"beta\"\nalpha = 0.5\nbeta = 0.5\nlow = 0\nhigh = 1");
    const Estimate es = Expectations(s.environment).ES();
    CHECK(es.value == Approx(0.6).epsilon(1e-8));
  }
  SECTION("N(0.2, 0.3) truncated to [0, 1]") {
    const Scenario s = scenario_with(
        "distribution = \"truncated-normal\"\nmean = 0.2\nsd = 0.3\nlow = 0\nhigh = 1");
    const auto& dist = s.environment.Theta1.coordinates()[0];
    CHECK(Expectations(s.environment).ES().value == Approx(dist.mean() + 0.1).epsilon(1e-11));
  }
}

TEST_CASE("a cut-off within rounding of the interval's end costs no accuracy", "[quadrature]") {
  // γ1 = 0.2, γ2 = 0.8 − 1 ulp: at θ2 = 1/4 the cut-off (1 − γ2)/(1 − γ1)·… puts the
  // root of v2 − v1 in θ1 one ulp below 1. Equation (7) holds there:
  // W2(1/4) = 1/2 + γ1/4 + (1 − γ1)²/(2(1 − γ2))/16 = 0.65.
  const Scenario s =
      load_scenario("two-sided-linear", {{"gamma1", 0.2}, {"gamma2", 0.7999999999999999}});
  const Estimate w2 = Expectations(s.environment).W2(Type{0.25});
  CHECK(w2.value == Approx(0.65).epsilon(1e-12));
  CHECK(w2.error < 1e-13);
}
