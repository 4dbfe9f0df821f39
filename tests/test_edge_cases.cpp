// tests/test_edge_cases.cpp: numeric edge cases of the environment, end to end.
//
// Ties v1 = v2 on sets of positive probability, degenerate distributions,
// parameters at the ends of their ranges, and valuations of size 1e12. Each
// case is checked against a closed form derived here, or against the same
// figures computed at scale 1, and through `twostage verify`, whose Monte
// Carlo check compares play with the exact analysis.
#include <cmath>
#include <string>

#include <fmt/format.h>
#include <boost/math/distributions/normal.hpp>
#include <boost/math/special_functions/beta.hpp>
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "run_program.hpp"
#include "scenarios/expectation.hpp"
#include "scenarios/scenario.hpp"

using namespace twostage;
using nlohmann::json;
using twostage::testing::run_twostage;
using twostage::testing::write_temp_file;

namespace {

// A one-sided scenario: the seller's type θ1 follows `seller` (TOML keys of
// the [seller] table), the buyer's is the point 0.
std::string one_sided(const std::string& name, const std::string& seller, const std::string& v1,
                      const std::string& v2) {
  return fmt::format(R"(name = "{}"
[seller]
{}
[buyer]
space = "point"
value = 0
[valuations]
v1 = {}
v2 = {}
)",
                     name, seller, v1, v2);
}

// `twostage verify FILE --json` with a Monte Carlo check of `plays` plays.
json verify_json(const std::string& scenario, int plays = 200000,
                 const std::vector<std::string>& extra = {}) {
  std::vector<std::string> args = {"verify", scenario, "--json", "--plays", std::to_string(plays)};
  args.insert(args.end(), extra.begin(), extra.end());
  const auto result = run_twostage(args);
  INFO(result.err);
  REQUIRE(result.exit_code == 0);
  return json::parse(result.out);
}

// The exact trade rate E[x*] that verify reports, and the Monte Carlo check's
// verdict. `rounding` is the probability of the types that doubles cannot
// tell from the cut-off (zero unless the law is narrower than rounding).
void check_trade_rate(const json& report, double exact, double rounding = 0.0) {
  const json& c = report["monte_carlo"]["comparisons"]["trade_rate"];
  INFO(c.dump());
  CHECK(std::abs(c["exact"]["value"].get<double>() - exact) <=
        c["exact"]["error"].get<double>() + rounding + 1e-12);
  CHECK(report["monte_carlo"]["agree"].get<bool>());
}

}  // namespace

TEST_CASE("a tie v1 = v2 on an interval of types is no trade", "[edge][ties]") {
  // v1 = θ1, v2 = max(θ1, 1/2), θ1 ~ U[0, 1]: the values tie on [1/2, 1], a
  // set of probability 1/2. MODEL.md §1: a tie means no trade, so
  // E[x*] = P(θ1 < 1/2) = 1/2 (1 if ties traded); S = max(θ1, 1/2), so
  // ES = ∫₀^½ ½ dθ + ∫_½^1 θ dθ = 1/4 + 3/8 = 5/8 and W1(a) = max(a, 1/2).
  const std::string text = one_sided("tie-interval", "space = \"interval\"\nlow = 0\nhigh = 1",
                                     "\"theta1\"", "\"max(theta1, 0.5)\"");
  const Scenario s = parse_scenario(text, "tie-interval.toml");
  const Expectations e(s.environment);
  const Estimate es = e.ES();
  CHECK(std::abs(es.value - 0.625) <= es.error + 1e-14);
  CHECK(es.error < 1e-9);
  for (const double a : {0.0, 0.25, 0.5, 0.75, 1.0}) {
    const Estimate w1 = e.W1(Type{a});
    CHECK(std::abs(w1.value - std::max(a, 0.5)) <= w1.error + 1e-15);
  }

  const json report = verify_json(write_temp_file("tie-interval.toml", text));
  check_trade_rate(report, 0.5);
  CHECK(report["verdicts"]["EFF"] == "holds");
  CHECK(report["verdicts"]["BB"] == "holds");
  CHECK(report["verdicts"]["BIC"] == "holds");
}

TEST_CASE("values tied everywhere: nothing trades and the surplus is E[v1]", "[edge][ties]") {
  // v2 = v1 = θ1 + 1 on all of Θ: x* = 0 everywhere and S = v1, so
  // ES = E[θ1 + 1] = 3/2 and nothing ever trades.
  const std::string text =
      one_sided("tie-everywhere", "space = \"interval\"\nlow = 0\nhigh = 1",
                "{ constant = 1, theta1 = [1] }", "{ constant = 1, theta1 = [1] }");
  const Scenario s = parse_scenario(text, "tie-everywhere.toml");
  const Estimate es = Expectations(s.environment).ES();
  CHECK(std::abs(es.value - 1.5) <= es.error + 1e-14);

  const json report = verify_json(write_temp_file("tie-everywhere.toml", text));
  check_trade_rate(report, 0.0);
  CHECK(report["verdicts"]["EFF"] == "holds");
}

TEST_CASE("a tie at a finite type of positive probability is no trade", "[edge][ties]") {
  // θ1 ∈ {0, 1/2, 1} with probabilities 1/4, 1/2, 1/4; v1 = θ1, v2 = 1/2.
  // Only θ1 = 0 trades (θ1 = 1/2 ties): E[x*] = 1/4 exactly, and
  // ES = ¼·½ + ½·½ + ¼·1 = 5/8.
  const std::string text = one_sided(
      "tie-finite", "space = \"finite\"\npoints = [0, 0.5, 1]\nprobabilities = [0.25, 0.5, 0.25]",
      "{ theta1 = [1] }", "{ constant = 0.5 }");
  const Scenario s = parse_scenario(text, "tie-finite.toml");
  const Estimate es = Expectations(s.environment).ES();
  CHECK(std::abs(es.value - 0.625) <= 1e-15);

  const json report = verify_json(write_temp_file("tie-finite.toml", text));
  check_trade_rate(report, 0.25);
  CHECK(report["verdicts"]["EFF"] == "holds");
}

TEST_CASE("a truncated normal narrower than any quadrature node spacing", "[edge][degenerate]") {
  // θ1 ~ N(1/2, 1e-9²) on [0, 1]: all the mass lies within a few 1e-9 of the
  // efficient cut-off 1/2 of the lemons valuations v1 = θ1, v2 = 0.2 + 0.6θ1.
  // By symmetry E[x*] = P(θ1 < 1/2) = 1/2, and
  // ES = E[θ1] + E[(0.2 − 0.4θ1)⁺] = 1/2 + 0.4 E[(1/2 − θ1)⁺] = 1/2 + 0.4σ/√(2π).
  const std::string text =
      one_sided("narrow-normal",
                "space = \"interval\"\ndistribution = \"truncated-normal\"\nmean = 0.5\nsd = 1e-9\n"
                "low = 0\nhigh = 1",
                "{ theta1 = [1] }", "{ constant = 0.2, theta1 = [0.6] }");
  const Scenario s = parse_scenario(text, "narrow-normal.toml");
  const Estimate es = Expectations(s.environment).ES();
  const double exact = 0.5 + 0.4 * 1e-9 / std::sqrt(2 * M_PI);
  CHECK(std::abs(es.value - exact) <= es.error + 1e-15);
  CHECK(es.error < 1e-9);

  // In doubles the types next to 1/2 are 2^-54 apart below it and 2^-53
  // above, and those that round onto 1/2 itself tie, so do not trade: a set
  // of width 1.5·2^-54 ≈ 8.3e-17 under exact rounding, and of probability up
  // to the density's peak, 1/(σ√(2π)) ≈ 4e8, times that, 3.3e-8. The
  // quantile's own rounding widens the set; twice the width is allowed. The
  // rate computed in doubles differs from 1/2 by that much (play draws the
  // same doubles).
  const double rounding = 1.5 * 0x1p-53 / (1e-9 * std::sqrt(2 * M_PI));
  const json report = verify_json(write_temp_file("narrow-normal.toml", text));
  check_trade_rate(report, 0.5, rounding);
}

TEST_CASE("a truncated normal 30 standard deviations into its tail", "[edge][degenerate]") {
  // N(−3, 0.1²) conditioned on [0, 1]: [0, 1] starts α = 30 sd above the
  // mean, where Φ rounds to 1. The conditioned mean is μ + σ/m(α), with
  // m(α) = (1 − Φ(α))/φ(α) the Mills ratio (the upper end, 40 sd out, adds
  // a relative e^-350). Laplace's continued fraction
  // 1/m(α) = α + 1/(α + 2/(α + 3/(α + …))) and μ = −σα give
  // E[θ1] = σ / (α + 2/(α + 3/(α + 4/…))), free of the cancellation in
  // μ + σ/m(α) (Boost's Φ at 30 sd is good to about 1e-13 relative, which
  // −3 + 3.0033 turns into 1e-10 relative). At α = 30, 40 terms converge far
  // below double precision.
  const double alpha = 30.0, sigma = 0.1;
  double fraction = alpha;
  for (int k = 40; k >= 2; --k)
    fraction = alpha + k / fraction;
  const double exact_mean = sigma / fraction;
  REQUIRE(exact_mean > 0.003);  // about σ/α above 0: the law is not a point at 0

  const std::string text =
      one_sided("tail-normal",
                "space = \"interval\"\ndistribution = \"truncated-normal\"\nmean = -3\nsd = 0.1\n"
                "low = 0\nhigh = 1",
                "{ theta1 = [1] }", "{ constant = -1, theta1 = [1] }");  // never trade: ES = E[θ1]
  const Scenario s = parse_scenario(text, "tail-normal.toml");
  const CoordinateDistribution& d = s.environment.Theta1.coordinates().at(0);
  CHECK(std::abs(d.mean() - exact_mean) <= 1e-12);
  CHECK(std::abs(d.cdf(d.quantile(0.5)) - 0.5) <= 1e-12);
  const Estimate es = Expectations(s.environment).ES();
  CHECK(std::abs(es.value - exact_mean) <= es.error + 1e-15);
  CHECK(es.error < 1e-9);

  // Play draws from the same law: the seller's mean utility is E[v1] = E[θ1].
  const json report = verify_json(write_temp_file("tail-normal.toml", text));
  check_trade_rate(report, 0.0);
}

TEST_CASE("a beta law with shapes 1e-3: almost all mass at the two ends", "[edge][degenerate]") {
  // θ1 ~ Beta(α, α), α = 1e-3, with the lemons valuations: by symmetry
  // E[x*] = P(θ1 < 1/2) = 1/2, and
  // ES = E[θ1] + E[(0.2 − 0.4θ1)⁺] = 1/2 + 0.2 F(1/2) − 0.4 E[θ1; θ1 < 1/2]
  //    = 1/2 + 0.1 − 0.4 · α/(2α) · I_{1/2}(α + 1, α),
  // with I the regularised incomplete beta function (Boost's ibeta).
  const double alpha = 1e-3;
  const double exact = 0.6 - 0.2 * boost::math::ibeta(alpha + 1, alpha, 0.5);
  const std::string text = one_sided(
      "beta-ends",
      fmt::format("space = \"interval\"\ndistribution = \"beta\"\nalpha = {0}\nbeta = {0}\n"
                  "low = 0\nhigh = 1",
                  alpha),
      "{ theta1 = [1] }", "{ constant = 0.2, theta1 = [0.6] }");
  const Scenario s = parse_scenario(text, "beta-ends.toml");
  const Estimate es = Expectations(s.environment).ES();
  CHECK(std::abs(es.value - exact) <= es.error + 1e-15);
  CHECK(es.error < 1e-8);

  // Boost.Random's gamma-ratio sampler gives 0/0 at these shapes; play must not.
  const json report = verify_json(write_temp_file("beta-ends.toml", text));
  check_trade_rate(report, 0.5);
  const json& seller = report["monte_carlo"]["comparisons"]["seller_mean_utility"];
  CHECK(std::isfinite(seller["monte_carlo"]["value"].get<double>()));
}

TEST_CASE("an interval of width 1e-300 behaves as the point it nearly is", "[edge][degenerate]") {
  // θ1 ~ U[0, 1e-300], lemons valuations: v2 − v1 = 0.2 − 0.4θ1 > 0, so every
  // type trades and ES = E[0.2 + 0.6θ1] = 0.2 (plus 3e-301). Error estimates
  // must stay of the size of the values (a density of 1e300 once made them 1e288).
  const std::string text = one_sided("sliver", "space = \"interval\"\nlow = 0\nhigh = 1e-300",
                                     "{ theta1 = [1] }", "{ constant = 0.2, theta1 = [0.6] }");
  const Scenario s = parse_scenario(text, "sliver.toml");
  const Estimate es = Expectations(s.environment).ES();
  CHECK(std::abs(es.value - 0.2) <= 1e-15);
  CHECK(es.error < 1e-12);

  const json report = verify_json(write_temp_file("sliver.toml", text));
  check_trade_rate(report, 1.0);
  CHECK(report["margins"]["BB"]["error"].get<double>() < 1e-9);
}

TEST_CASE("parameters at the ends of their ranges", "[edge][ranges]") {
  // two-sided-linear allows γ1, γ2 in the open interval (0, 1); lemons allows
  // a, b in [−10, 10]. At each corner verify runs to the end, its figures are
  // finite, and Monte Carlo play agrees with the exact analysis. Near γ2 = 1 the
  // cut-off (1 − γ1)/(1 − γ2) θ2 leaves [0, 1] for all θ2 > 1e-9.
  const double lo = 1e-9, hi = 1 - 1e-9;
  std::vector<std::vector<std::string>> corners;
  for (const double g1 : {lo, hi})
    for (const double g2 : {lo, hi})
      corners.push_back({"two-sided-linear", "--set", fmt::format("gamma1={}", g1), "--set",
                         fmt::format("gamma2={}", g2)});
  for (const int a : {-10, 10})
    for (const int b : {-10, 10})
      corners.push_back(
          {"lemons", "--set", fmt::format("a={}", a), "--set", fmt::format("b={}", b)});
  for (const auto& corner : corners) {
    INFO(fmt::format("{}", fmt::join(corner, " ")));
    const std::vector<std::string> extra(corner.begin() + 1, corner.end());
    const json report = verify_json(corner[0], 100000, extra);
    const double es = report["expected_surplus"]["value"].get<double>();
    const double loss = report["lump_sum"]["total_loss"]["value"].get<double>();
    CHECK(std::isfinite(es));
    CHECK(std::isfinite(loss));
    CHECK(report["expected_surplus"]["error"].get<double>() < 1e-8);
    CHECK(report["verdicts"]["EFF"] == "holds");
    CHECK(report["verdicts"]["BB"] == "holds");
    CHECK(report["monte_carlo"]["agree"].get<bool>());
  }
  // Just outside a range is refused with exit code 2 and the allowed range named.
  const auto outside = run_twostage({"verify", "lemons", "--set", "a=10.000001"});
  CHECK(outside.exit_code == 2);
  CHECK(outside.err.find("[-10, 10]") != std::string::npos);
}

TEST_CASE("valuations of size 1e12: every money figure scales by 1e12", "[edge][scale]") {
  // Groves with lump sums is linear in the valuations: multiplying v1 and v2
  // by k multiplies ES, Wi, the slacks, L1 + L2 and every transfer by k and
  // leaves x*, the trade rate and the verdicts unchanged. So the report at
  // k = 1e12 must equal k times the report at k = 1, to quadrature accuracy.
  const double k = 1e12;
  const auto lemons = [](double scale) {
    return one_sided(fmt::format("lemons-x{}", scale), "space = \"interval\"\nlow = 0\nhigh = 1",
                     fmt::format("{{ theta1 = [{}] }}", scale),
                     fmt::format("{{ constant = {}, theta1 = [{}] }}", 0.2 * scale, 0.6 * scale));
  };
  const json unit = verify_json(write_temp_file("lemons-x1.toml", lemons(1)));
  const json big = verify_json(write_temp_file("lemons-x1e12.toml", lemons(k)));

  const auto scaled = [&](const json::json_pointer& p) {
    const double small_value = unit.at(p)["value"].get<double>();
    const double big_value = big.at(p)["value"].get<double>();
    const double error = big.at(p)["error"].get<double>() + k * unit.at(p)["error"].get<double>();
    INFO(fmt::format("{}: {} at scale 1, {} at scale 1e12", p.to_string(), small_value, big_value));
    CHECK(std::abs(big_value - k * small_value) <= error + 1e-12 * k);
    CHECK(big.at(p)["error"].get<double>() <= 1e-8 * k);
  };
  scaled(json::json_pointer("/expected_surplus"));
  scaled(json::json_pointer("/lump_sum/total_loss"));
  scaled(json::json_pointer("/lump_sum/seller"));
  scaled(json::json_pointer("/margins/IIR"));
  CHECK(big["verdicts"] == unit["verdicts"]);
  CHECK(big["efficiency"]["decision_errors"] == 0);
  CHECK(big["monte_carlo"]["agree"].get<bool>());
  check_trade_rate(
      big, unit["monte_carlo"]["comparisons"]["trade_rate"]["exact"]["value"].get<double>());
}
