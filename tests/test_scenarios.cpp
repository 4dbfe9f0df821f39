// tests/test_scenarios.cpp: scenario files, built-ins and their classification.
#include <cmath>
#include <filesystem>

#include <boost/random/mersenne_twister.hpp>

#include <catch2/catch.hpp>

#include "scenarios/error.hpp"
#include "scenarios/facts.hpp"
#include "scenarios/scenario.hpp"

using namespace twostage;

TEST_CASE("every built-in is shipped as a file that loads identically", "[builtin]") {
  REQUIRE(builtin_scenarios().size() == 5);
  for (const BuiltinScenario& builtin : builtin_scenarios()) {
    const std::string name(builtin.name);
    const auto path = std::filesystem::path(TWOSTAGE_SOURCE_DIR) / "scenarios" / (name + ".toml");
    INFO(name);
    REQUIRE(std::filesystem::exists(path));
    const Scenario a = load_scenario(name), b = load_scenario(path.string());
    CHECK(a.name == name);
    CHECK(b.source == path.string());
    CHECK(a.environment.v1.formula() == b.environment.v1.formula());
    CHECK(a.environment.v2.formula() == b.environment.v2.formula());
    CHECK(a.environment.Theta1.describe() == b.environment.Theta1.describe());
    CHECK(a.environment.Theta2.describe() == b.environment.Theta2.describe());
  }
}

TEST_CASE("built-ins are classified as their definitions imply", "[builtin]") {
  SECTION("lemons: v2 − v1 = 0.2 − 0.4 θ1 is negative for θ1 > 0.5") {
    const EnvironmentFacts f = classify(load_scenario("lemons").environment);
    CHECK(f.one_sided);
    CHECK_FALSE(f.trivial);
    CHECK(f.margin == Approx(-0.2));  // at θ1 = 1
    CHECK(f.margin_theta1[0] == Approx(1.0));
    REQUIRE(f.single_crossing.defined);
    CHECK(f.single_crossing.holds);
    CHECK(f.single_crossing.worst_margin == Approx(0.4).epsilon(1e-6));  // 1 − b
  }
  SECTION("trivial: v2 − v1 = 0.1 + 0.5 θ1 ≥ 0.1") {
    const EnvironmentFacts f = classify(load_scenario("trivial").environment);
    CHECK(f.one_sided);
    CHECK(f.trivial);
    CHECK(f.margin == Approx(0.1));        // a, at θ1 = 0
    CHECK_FALSE(f.single_crossing.holds);  // ∂v1/∂θ1 = 1 < ∂v2/∂θ1 = 1.5
    CHECK(f.single_crossing.worst_margin == Approx(-0.5).epsilon(1e-6));
  }
  SECTION("two-sided-linear: v2 − v1 = (1 − γ1)θ2 − (1 − γ2)θ1") {
    const EnvironmentFacts f = classify(load_scenario("two-sided-linear").environment);
    CHECK_FALSE(f.one_sided);
    CHECK_FALSE(f.trivial);
    CHECK(f.margin == Approx(-0.4));  // −(1 − γ2) at (1, 0)
    REQUIRE(f.single_crossing.defined);
    CHECK(f.single_crossing.holds);
    CHECK(f.single_crossing.increasing);
    // margins 1 − γ2 = 0.4 (seller) and 1 − γ1 = 0.7 (buyer)
    CHECK(f.single_crossing.worst_margin == Approx(0.4).epsilon(1e-6));
    CHECK(f.single_crossing.agent == 1);
  }
  SECTION("two-sided-linear with γ1 > γ2: the buyer's condition is the worst") {
    const auto s = load_scenario("two-sided-linear", {{"gamma1", 0.8}, {"gamma2", 0.1}});
    const EnvironmentFacts f = classify(s.environment);
    CHECK(f.single_crossing.worst_margin == Approx(0.2).epsilon(1e-6));  // 1 − γ1
    CHECK(f.single_crossing.agent == 2);
  }
  SECTION("lemons-2d: v2 − v1 = 0.1 + 0.3 x − 0.2 y, smallest at (0, 1)") {
    const EnvironmentFacts f = classify(load_scenario("lemons-2d").environment);
    CHECK(f.one_sided);
    CHECK_FALSE(f.trivial);
    CHECK(f.margin == Approx(-0.1).margin(1e-9));
    CHECK(f.margin_theta1[0] == Approx(0.0).margin(1e-6));
    CHECK(f.margin_theta1[1] == Approx(1.0).margin(1e-6));
    CHECK_FALSE(f.single_crossing.defined);
  }
  SECTION("lemons-finite: the grade θ1 = 1 has v2 − v1 = −0.2") {
    const EnvironmentFacts f = classify(load_scenario("lemons-finite").environment);
    CHECK(f.one_sided);
    CHECK_FALSE(f.trivial);
    CHECK(f.margin == Approx(-0.2));
    CHECK_FALSE(f.single_crossing.defined);
  }
}

TEST_CASE("parameter overrides respect ranges", "[parameters]") {
  const Scenario s = load_scenario("lemons", {parse_override("a=0.5")});
  CHECK(s.parameters[0].value == 0.5);
  CHECK(s.parameters[0].default_value == 0.2);
  CHECK(s.environment.v2.formula() == "0.5 + 0.6*theta1");
  CHECK_THROWS_AS(load_scenario("two-sided-linear", {{"gamma1", 1.0}}), InputError);
  CHECK_THROWS_AS(load_scenario("two-sided-linear", {{"gamma1", 0.0}}), InputError);
  CHECK_NOTHROW(load_scenario("trivial", {{"a", 10.0}}));  // closed end
  CHECK_THROWS_AS(parse_override("a=nan"), InputError);
  CHECK_THROWS_AS(parse_override("a=inf"), InputError);
  CHECK_THROWS_AS(parse_override("a="), InputError);
  CHECK_THROWS_AS(parse_override("=1"), InputError);
}

TEST_CASE("ranges parse interval notation", "[parameters]") {
  const Range r = Range::parse("(0, 1]");
  CHECK_FALSE(r.contains(0.0));
  CHECK(r.contains(1.0));
  CHECK(Range::parse("[0, inf)").contains(1e300));
  CHECK(Range::parse("[0, inf)").describe() == "[0, inf)");
  CHECK_THROWS_AS(Range::parse("0..1"), InputError);
  CHECK_THROWS_AS(Range::parse("(1, 0)"), InputError);
}

TEST_CASE("expression and affine valuations agree", "[valuation]") {
  const Scenario builtin = load_scenario("two-sided-linear", {{"gamma1", 0.35}, {"gamma2", 0.8}});
  const ParameterValues p = builtin.parameter_values();
  const Valuation v1 = Valuation::expression("v1", "theta1 + gamma1*theta2", p, 1, 1);
  const Valuation v2 = Valuation::expression("v2", "theta2_1 + gamma2*theta1_1", p, 1, 1);
  for (double a : {0.0, 0.25, 0.9}) {
    for (double b : {0.0, 0.5, 1.0}) {
      const Type t1{a}, t2{b};
      CHECK(v1(t1, t2) == Approx(builtin.environment.v1(t1, t2)).epsilon(1e-15));
      CHECK(v2(t1, t2) == Approx(builtin.environment.v2(t1, t2)).epsilon(1e-15));
    }
  }
  // A copy owns its own parser: evaluating it must not disturb the original.
  const Valuation copy = v1;
  CHECK(copy(Type{1.0}, Type{1.0}) == Approx(1.35));
  CHECK(v1(Type{0.0}, Type{0.0}) == 0.0);
}

TEST_CASE("scenario parameters may appear in type-space bounds", "[parameters]") {
  const std::string text = R"toml(
name = "scaled"
[parameters.top]
default = 2
range = "(0, 100)"
[seller]
space = "interval"
low = 0
high = "top"
[buyer]
space = "point"
value = [0, 1]
[valuations]
v1 = "theta1"
v2 = "theta1 + theta2_2"
)toml";
  const Scenario s = parse_scenario(text, "scaled.toml", {{"top", 4.0}});
  CHECK(s.environment.Theta1.upper(0) == 4.0);
  CHECK(s.environment.Theta2.dimension() == 2);
  CHECK(classify(s.environment).trivial);  // v2 − v1 = θ2_2 = 1
}

TEST_CASE("sampling reproduces each distribution's mean and quantiles", "[sampling]") {
  // Statistical check: with n = 200,000 seeded draws the sample mean lies within
  // 5 standard errors of the exact mean (Boost.Math), and the sample median
  // within 0.01 of the quantile at 1/2.
  const std::vector<CoordinateDistribution> distributions = {
      CoordinateDistribution::uniform(-1, 3), CoordinateDistribution::beta(2, 5, 0, 2),
      CoordinateDistribution::beta(0.5, 0.5, 0, 1),
      CoordinateDistribution::truncated_normal(0.2, 0.3, 0, 1)};
  for (const auto& dist : distributions) {
    INFO(dist.describe());
    boost::random::mt19937_64 engine(12345);
    const int n = 200000;
    std::vector<double> draws(n);
    double sum = 0.0, sum_sq = 0.0;
    int outside = 0;
    for (double& x : draws) {
      x = dist.sample(engine);
      outside += x < dist.low() || x > dist.high();
      sum += x;
      sum_sq += x * x;
    }
    CHECK(outside == 0);
    const double mean = sum / n, sd = std::sqrt(sum_sq / n - mean * mean);
    CHECK(std::abs(mean - dist.mean()) < 5 * sd / std::sqrt(n));
    std::nth_element(draws.begin(), draws.begin() + n / 2, draws.end());
    CHECK(draws[n / 2] == Approx(dist.quantile(0.5)).margin(0.01));
    CHECK(dist.cdf(dist.quantile(0.3)) == Approx(0.3).margin(1e-12));
  }
}

TEST_CASE("finite type spaces sample points by their probabilities", "[sampling]") {
  const TypeSpace space = TypeSpace::finite({{0.0}, {1.0}, {2.0}}, {0.2, 0.5, 0.3});
  boost::random::mt19937_64 engine(7);
  std::vector<int> counts(3, 0);
  const int n = 100000;
  double theta = 0.0;
  for (int i = 0; i < n; ++i) {
    space.sample(engine, std::span<double>(&theta, 1));
    ++counts[static_cast<int>(theta)];
  }
  // Binomial standard error sqrt(p(1−p)/n) ≤ 0.0016; 5 of them is 0.008.
  CHECK(counts[0] / double(n) == Approx(0.2).margin(0.008));
  CHECK(counts[1] / double(n) == Approx(0.5).margin(0.008));
  CHECK(counts[2] / double(n) == Approx(0.3).margin(0.008));
}
