// tests/test_groves.cpp: the generalized two-stage Groves mechanism and its
// interim analysis against the paper's results (Kunimoto and Zhang 2021).
//
// Reference values come from closed forms: Theorem 1 (L1 = ES/2, L2 = −ES/2,
// equations (1) and (2)), its remark on trivial environments (MODEL.md §3.1:
// L1 + L2 = −min(v2 − v1)) and Proposition 1, equations (3)–(6).
#include <cmath>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "mechanisms/groves.hpp"
#include "mechanisms/registry.hpp"
#include "scenarios/error.hpp"
#include "scenarios/scenario.hpp"
#include "sim/interim.hpp"
#include "sim/verify.hpp"
#include "tests/run_program.hpp"

namespace twostage {
namespace {

std::string data_file(const std::string& name) {
  return std::string(TWOSTAGE_SOURCE_DIR) + "/tests/data/" + name;
}

// A scenario, its expectations and Groves built on them, kept in place
// because the later members refer to the earlier ones.
struct GrovesSetup {
  Scenario scenario;
  Expectations expectations;
  GrovesMechanism groves;

  explicit GrovesSetup(const std::string& name, const std::vector<Override>& sets = {},
                       GrovesOptions options = {})
      : scenario(load_scenario(name, sets)),
        expectations(scenario.environment),
        groves(scenario.environment, expectations, options) {}
  const Environment& env() const { return scenario.environment; }
};

// Smaller grids than the command line uses, to keep the suite quick; the
// worst-off search still refines its minimum and set ends to full precision.
InterimOptions quick_options() {
  InterimOptions options;
  options.curve_points = 3;
  options.set_scan_1d = 129;
  options.set_scan_box = 1089;
  options.profiles = 400;
  return options;
}

// A type drawn uniformly from the box of a continuous space, or one of the
// support points of a discrete one.
Type random_type(const TypeSpace& space, std::mt19937_64& engine) {
  if (space.is_discrete()) {
    std::uniform_int_distribution<std::size_t> pick(0, space.points().size() - 1);
    return space.points()[pick(engine)];
  }
  Type theta(space.dimension());
  for (std::size_t k = 0; k < theta.size(); ++k) {
    theta[k] = std::uniform_real_distribution<double>(space.lower(k), space.upper(k))(engine);
  }
  return theta;
}

bool relatively_close(double value, double reference, double tolerance) {
  return std::abs(value - reference) <= tolerance * std::abs(reference);
}

const std::vector<std::string> kTheorem1Scenarios = {"lemons", "lemons-2d", "lemons-finite",
                                                     data_file("lemons-beta.toml"),
                                                     data_file("grades-finite-2d.toml")};

}  // namespace

TEST_CASE("h1 + h2 = S at random report profiles", "[groves]") {
  // MODEL.md §3.1: adding the two definitions of 2 hi gives 2 (h1 + h2) = 2 S(θ^r).
  for (const std::string name : {"two-sided-linear", "lemons", "lemons-2d", "lemons-finite"}) {
    GrovesSetup s(name);
    std::mt19937_64 engine(7);
    for (int draw = 0; draw < 40; ++draw) {
      const Type a = random_type(s.env().Theta1, engine), b = random_type(s.env().Theta2, engine);
      INFO(name << " draw " << draw);
      CHECK(s.groves.h1(a, b) + s.groves.h2(a, b) == Approx(s.env().S(a, b)).margin(1e-14));
    }
  }
}

TEST_CASE("t1 + t2 = 0 on the truthful path, not off it", "[groves]") {
  GrovesSetup s("two-sided-linear", {{"gamma1", 0.4}, {"gamma2", 0.2}}, {.split = 0.3});
  std::mt19937_64 engine(11);
  for (int draw = 0; draw < 100; ++draw) {
    const Type a = random_type(s.env().Theta1, engine), b = random_type(s.env().Theta2, engine);
    const bool traded = s.groves.trade_probability(a, b) == 1.0;
    const RealisedPayoffs pay = realised_payoffs(s.env(), a, b, traded);
    const Transfers t = s.groves.transfers(a, b, traded, pay.pi1, pay.pi2);
    CHECK(std::abs(t.t1 + t.t2) <= 1e-14);
    // A payoff report that is off by d unbalances the budget by exactly d.
    const Transfers lie = s.groves.transfers(a, b, traded, pay.pi1 + 0.25, pay.pi2);
    CHECK(lie.t1 + lie.t2 == Approx(0.25).margin(1e-14));
    // Nor does an agent's own payoff report enter its own transfer.
    CHECK(lie.t1 == t.t1);
  }
}

TEST_CASE("the decision is x* on the reports", "[groves]") {
  GrovesSetup s("two-sided-linear");
  // Proposition 1: trade iff θ2 > θ1 (1 − γ2)/(1 − γ1) = θ1 · 0.4/0.7 with the defaults.
  CHECK(s.groves.trade_probability(Type{0.7}, Type{0.41}) == 1.0);
  CHECK(s.groves.trade_probability(Type{0.7}, Type{0.39}) == 0.0);
}

TEST_CASE("interim utility from the transfers equals Wi - ES/2 + lump sum", "[groves][interim]") {
  // MODEL.md §3.1: on the truthful path Ui(θi) = Wi(θi) − ES/2 (plus ℓi).
  for (const std::string name : {"two-sided-linear", "lemons", "lemons-finite", "lemons-2d"}) {
    GrovesSetup s(name);
    const Estimate ES = s.expectations.ES();
    const LumpSums lump = s.groves.lump_sums();
    const InterimUtility U1(s.groves, s.expectations, 1), U2(s.groves, s.expectations, 2);
    for (const Type& a : s.env().Theta1.grid(5)) {
      const Estimate u = U1(a);
      const Estimate expected = s.expectations.W1(a) - 0.5 * ES + lump.seller;
      INFO(name << " seller type " << a[0]);
      CHECK(std::abs(u.value - expected.value) <= u.error + expected.error + 1e-13);
    }
    for (const Type& b : s.env().Theta2.grid(5)) {
      const Estimate u = U2(b);
      const Estimate expected = s.expectations.W2(b) - 0.5 * ES + lump.buyer;
      INFO(name << " buyer type " << b[0]);
      CHECK(std::abs(u.value - expected.value) <= u.error + expected.error + 1e-13);
    }
  }
}

TEST_CASE("Theorem 1: one-sided nontrivial, L1 + L2 = 0 and IIR binds", "[groves][theorem1]") {
  for (const std::string& name : kTheorem1Scenarios) {
    INFO(name);
    GrovesSetup s(name);
    const InterimAnalysis a = analyse_interim(s.groves, s.expectations, quick_options());
    const Estimate& total = a.lump_sum.total_loss;
    CHECK(std::abs(total.value) <= total.error + 1e-13);
    CHECK(a.lump_sum.feasible);
    // Equations (1) and (2): L1 = ES/2 and L2 = −ES/2.
    const double half_ES = 0.5 * a.expected_surplus.value;
    const double tolerance = a.seller.expected_loss.error + a.expected_surplus.error + 1e-13;
    CHECK(std::abs(a.seller.expected_loss.value - half_ES) <= tolerance);
    CHECK(std::abs(a.buyer.expected_loss.value + half_ES) <= tolerance);
    // With ℓ1 = L1 the seller's worst-off types exactly break even, and the
    // buyer's slack −(L1 + L2) is zero too: IIR holds and binds for both.
    CHECK(std::abs(a.seller.min_slack.value) <= a.seller.min_slack.error + 1e-13);
    CHECK(std::abs(a.buyer.min_slack.value) <= a.buyer.min_slack.error + 1e-13);
    CHECK(a.budget.max_imbalance.value <= a.budget.max_imbalance.error);
    CHECK(a.efficiency.decision_errors == 0);
  }
}

TEST_CASE("Theorem 1: the seller's worst-off types are those that never trade", "[groves]") {
  SECTION("lemons: v2 - v1 = 0.2 - 0.4 θ1 <= 0 on [0.5, 1]") {
    GrovesSetup s("lemons");
    const InterimAnalysis a = analyse_interim(s.groves, s.expectations, quick_options());
    const WorstOffSet& set = a.seller.worst_off;
    REQUIRE(set.shape == WorstOffShape::kIntervals);
    REQUIRE(set.intervals.size() == 1);
    // The slack rises with slope 0.4 left of 0.5, so the set's end is within tolerance/0.4.
    CHECK(set.intervals[0].low == Approx(0.5).margin(set.tolerance / 0.4 + 1e-12));
    CHECK(set.intervals[0].high == 1.0);
  }
  SECTION("lemons-finite: the grades 0.5 (a tie), 0.75 and 1") {
    GrovesSetup s("lemons-finite");
    const InterimAnalysis a = analyse_interim(s.groves, s.expectations, quick_options());
    CHECK(a.seller.worst_off.shape == WorstOffShape::kPoints);
    CHECK(a.seller.worst_off.points == std::vector<Type>{{0.5}, {0.75}, {1.0}});
  }
  SECTION("lemons-2d: a region of the square") {
    GrovesSetup s("lemons-2d");
    const InterimAnalysis a = analyse_interim(s.groves, s.expectations, quick_options());
    const WorstOffSet& set = a.seller.worst_off;
    REQUIRE(set.shape == WorstOffShape::kRegion);
    // No trade where θ1_2 ≥ 0.5 + 1.5 θ1_1 (MODEL: a + b1 x + b2 y ≤ (x + y)/2),
    // a triangle of area 1/12; a 33 x 33 grid counts its boundary points too.
    CHECK(set.region_share == Approx(1.0 / 12).margin(0.02));
    CHECK(set.region_lower[1] == Approx(0.5).margin(1.0 / 32));
    CHECK(set.region_upper[0] == Approx(1.0 / 3).margin(1.0 / 32));
  }
}

TEST_CASE("one-sided trivial: L1 + L2 = -min(v2 - v1)", "[groves][trivial]") {
  struct Case {
    std::string scenario;
    std::vector<Override> sets;
    double margin;  // min(v2 − v1), derived in the comment
  };
  const std::vector<Case> cases = {
      // trivial: v2 − v1 = a + (b − 1) θ1 on [0, 1] with b ≥ 1: the minimum is a, at θ1 = 0.
      {"trivial", {}, 0.1},
      {"trivial", {{"a", 0.5}, {"b", 2.0}}, 0.5},
      {"trivial", {{"a", 0.02}, {"b", 1.0}}, 0.02},
      // lemons-normal: v2 − v1 = 0.4 − 0.3 θ1 on [0, 1]: the minimum is 0.1, at θ1 = 1.
      {data_file("lemons-normal.toml"), {}, 0.1},
  };
  for (const Case& c : cases) {
    INFO(c.scenario << " margin " << c.margin);
    GrovesSetup s(c.scenario, c.sets);
    const InterimAnalysis a = analyse_interim(s.groves, s.expectations, quick_options());
    const Estimate& total = a.lump_sum.total_loss;
    CHECK(std::abs(total.value + c.margin) <= total.error + 1e-12);
    CHECK(a.lump_sum.feasible);
    // Default split = 1: the seller breaks even, the buyer keeps the slack.
    CHECK(std::abs(a.seller.min_slack.value) <= a.seller.min_slack.error + 1e-13);
    CHECK(a.buyer.min_slack.value == Approx(c.margin).margin(1e-12));
  }
}

TEST_CASE("the split parameter shares the buyer's slack", "[groves][trivial]") {
  // trivial with a = 0.1: the joint slack −(L1 + L2) is 0.1 (see above).
  GrovesSetup s("trivial", {}, {.split = 0.25});
  const InterimAnalysis a = analyse_interim(s.groves, s.expectations, quick_options());
  CHECK(a.buyer.min_slack.value == Approx(0.025).margin(1e-12));
  CHECK(a.seller.min_slack.value == Approx(0.075).margin(1e-12));
  // Lump sums move utility between the agents and never change L1, L2.
  GrovesSetup reference("trivial");
  CHECK(a.seller.expected_loss.value == Approx(reference.groves.L1().value).margin(1e-12));
  CHECK(s.groves.lump_sums().seller.value == -s.groves.lump_sums().buyer.value);
}

// Proposition 1: θ1, θ2 ~ U[0, 1], v1 = θ1 + γ1 θ2, v2 = θ2 + γ2 θ1.
namespace {

struct Gammas {
  double gamma1, gamma2;
};

InterimAnalysis analyse_linear(const Gammas& g) {
  GrovesSetup s("two-sided-linear", {{"gamma1", g.gamma1}, {"gamma2", g.gamma2}});
  InterimAnalysis a = analyse_interim(s.groves, s.expectations, quick_options());
  // Groves's own closed-form L1 (MODEL.md §3.1) must agree with the analysis,
  // which integrates the transfers; with split = 1 the seller breaks even.
  CHECK(std::abs(a.seller.min_slack.value) <= a.seller.min_slack.error + 1e-12);
  return a;
}

void check_buyer_and_total(const InterimAnalysis& a) {
  // The buyer's worst-off type is θ2 = 0 in both cases: W2 increases (its slope at 0 is γ1 > 0).
  CHECK(a.buyer.worst_off.shape == WorstOffShape::kPoint);
  CHECK(a.buyer.worst_off.points == std::vector<Type>{{0.0}});
  // Steps 1-3 and 2-3: L1 + L2 > 0, so no lump sum restores IIR.
  CHECK(a.lump_sum.total_loss.value > a.lump_sum.total_loss.error);
  CHECK_FALSE(a.lump_sum.feasible);
  CHECK(a.budget.max_imbalance.value <= a.budget.max_imbalance.error);
  CHECK(a.efficiency.decision_errors == 0);
}

}  // namespace

TEST_CASE("Proposition 1, case 1 (gamma2 <= gamma1): equations (3) and (4)", "[groves][prop1]") {
  const std::vector<Gammas> pairs = {{0.3, 0.1}, {0.5, 0.2},   {0.6, 0.3},  {0.7, 0.05},
                                     {0.9, 0.5}, {0.4, 0.4},   {0.8, 0.75}, {0.95, 0.1},
                                     {0.2, 0.1}, {0.55, 0.35}, {0.15, 0.05}};
  for (const Gammas& g : pairs) {
    INFO("gamma1 = " << g.gamma1 << ", gamma2 = " << g.gamma2);
    const InterimAnalysis a = analyse_linear(g);
    const double g1 = g.gamma1, g2 = g.gamma2;
    const double L1 = 0.25 + g1 / 4 + (1 - g1) * (1 - g1) / (12 * (1 - g2));   // (3)
    const double L2 = -0.25 + g1 / 4 + (1 - g1) * (1 - g1) / (12 * (1 - g2));  // (4)
    CHECK(relatively_close(a.seller.expected_loss.value, L1, 1e-8));
    CHECK(relatively_close(a.buyer.expected_loss.value, L2, 1e-8));

    // Seller types in [θ̂, 1], θ̂ = (1 − γ1)/(1 − γ2), never trade and are all
    // worst off. Left of θ̂ the slack exceeds its minimum by
    // E[(v2 − v1)⁺] = (1 − γ1)/2 · (1 − θ1/θ̂)², so a set drawn with tolerance
    // τ starts at θ̂ (1 − sqrt(2τ / (1 − γ1))).
    const WorstOffSet& set = a.seller.worst_off;
    const double theta_hat = (1 - g1) / (1 - g2);
    const double reach = theta_hat * std::sqrt(2 * set.tolerance / (1 - g1));
    if (g1 == g2) {
      CHECK(set.shape == WorstOffShape::kPoint);
      CHECK(set.points == std::vector<Type>{{1.0}});
    } else {
      REQUIRE(set.shape == WorstOffShape::kIntervals);
      REQUIRE(set.intervals.size() == 1);
      CHECK(set.intervals[0].low <= theta_hat + 1e-9);
      CHECK(set.intervals[0].low >= theta_hat - reach - 1e-9);
      CHECK(set.intervals[0].high == 1.0);
    }
    check_buyer_and_total(a);
  }
}

TEST_CASE("Proposition 1, case 2 (gamma1 < gamma2): equations (5) and (6)", "[groves][prop1]") {
  const std::vector<Gammas> pairs = {{0.1, 0.3},   {0.2, 0.5},  {0.3, 0.6},  {0.05, 0.9},
                                     {0.5, 0.7},   {0.1, 0.15}, {0.4, 0.95}, {0.6, 0.8},
                                     {0.25, 0.35}, {0.7, 0.75}, {0.01, 0.02}};
  for (const Gammas& g : pairs) {
    INFO("gamma1 = " << g.gamma1 << ", gamma2 = " << g.gamma2);
    const InterimAnalysis a = analyse_linear(g);
    const double g1 = g.gamma1, g2 = g.gamma2;
    const double tail = (1 - g2) * (1 - g2) / (12 * (1 - g1));
    const double L1 = -(g2 - g1) * (g2 - g1) / (2 * (1 - g1)) + 0.25 + g2 / 4 + tail;  // (5)
    const double L2 = -0.25 + g2 / 4 + tail;                                           // (6)
    CHECK(relatively_close(a.seller.expected_loss.value, L1, 1e-8));
    CHECK(relatively_close(a.buyer.expected_loss.value, L2, 1e-8));
    // Step 2-1: the slack is a parabola with its vertex at (1 − γ1)/(1 − γ2) > 1.
    CHECK(a.seller.worst_off.shape == WorstOffShape::kPoint);
    CHECK(a.seller.worst_off.points == std::vector<Type>{{1.0}});
    check_buyer_and_total(a);
  }
}

namespace {

// A mechanism written only for these tests, to show that the analysis is
// generic: a posted price p paid on trade, with a lottery q and a subsidy σ
// to the seller that breaks the budget.
class LotteryPrice final : public Mechanism {
 public:
  LotteryPrice(double q, double price, double subsidy) : q_(q), price_(price), subsidy_(subsidy) {}
  std::string name() const override { return "lottery-price"; }
  std::vector<MechanismParameterValue> parameters() const override { return {{"q", q_}}; }
  bool two_stage() const override { return false; }
  double trade_probability(TypeView, TypeView) const override { return q_; }
  Transfers transfers(TypeView, TypeView, bool traded, double, double) const override {
    return {(traded ? price_ : 0.0) + subsidy_, traded ? -price_ : 0.0};
  }

 private:
  double q_, price_, subsidy_;
};

}  // namespace

TEST_CASE("the interim analysis is generic over mechanisms", "[interim]") {
  const Scenario lemons = load_scenario("lemons");  // θ1 ~ U[0, 1], v1 = θ1, v2 = 0.2 + 0.6 θ1
  const Expectations expectations(lemons.environment);
  const LotteryPrice mechanism(0.5, 0.3, 0.01);
  const InterimAnalysis a = analyse_interim(mechanism, expectations, quick_options());
  // U1 = (1 − q) θ1 + q p + σ; U1° = θ1, so s1 = q (p − θ1) + σ = 0.16 − θ1/2, least at θ1 = 1.
  CHECK(a.seller.min_slack.value == Approx(0.5 * (0.3 - 1.0) + 0.01).margin(1e-12));
  CHECK(a.seller.worst_off.points == std::vector<Type>{{1.0}});
  // U2 = q (E[v2] − p) = 0.5 (0.5 − 0.3) = 0.1.
  CHECK(a.buyer.min_slack.value == Approx(0.1).margin(1e-12));
  // x = 1/2 is never x* (0 or 1), and the subsidy unbalances the budget by σ.
  CHECK(a.efficiency.decision_errors == a.efficiency.profiles);
  CHECK(a.budget.max_imbalance.value == Approx(0.01).margin(1e-15));
}

TEST_CASE("verify: verdicts and margins", "[verify]") {
  VerifyOptions options;
  options.interim = quick_options();
  SECTION("lemons: everything holds, IIR binds") {
    const Scenario s = load_scenario("lemons");
    const Verification v = verify(s, options);
    CHECK(v.EFF.verdict == Verdict::kHolds);
    CHECK(v.BB.verdict == Verdict::kHolds);
    CHECK(v.IIR.verdict == Verdict::kHolds);
    CHECK(v.BIC.verdict == Verdict::kHolds);  // Groves: no deviation gains (Definition 8)
    CHECK(std::abs(v.IIR.margin.value) <= v.IIR.margin.error);
  }
  SECTION("two-sided-linear: IIR fails by L1 + L2 with split = 1") {
    const Scenario s = load_scenario("two-sided-linear");
    const Verification v = verify(s, options);
    CHECK(v.IIR.verdict == Verdict::kFails);
    CHECK(v.IIR.margin.value == Approx(-v.analysis.lump_sum.total_loss.value).margin(1e-12));
  }
}

TEST_CASE("make_mechanism rejects unknown names and parameters", "[groves][input]") {
  const Scenario s = load_scenario("lemons");
  const Expectations e(s.environment);
  CHECK_THROWS_AS(make_mechanism("vcg", {}, s.environment, e), InputError);
  CHECK_THROWS_WITH(make_mechanism("vcg", {}, s.environment, e),
                    Catch::Contains("unknown mechanism 'vcg'") && Catch::Contains("groves"));
  CHECK_THROWS_WITH(make_mechanism("groves", {{"spilt", 0.5}}, s.environment, e),
                    Catch::Contains("no parameter 'spilt'") && Catch::Contains("split"));
  CHECK_THROWS_WITH(make_mechanism("groves", {{"split", 1.5}}, s.environment, e),
                    Catch::Contains("outside its range [0, 1]"));
  const auto groves = make_mechanism("groves", {{"split", 0.5}}, s.environment, e);
  CHECK(groves->name() == "groves");
  CHECK(groves->parameters()[0].value == 0.5);
}

TEST_CASE("twostage verify: bad input exits 2 with one line on stderr", "[cli][verify]") {
  using testing::run_twostage;
  const std::vector<std::vector<std::string>> bad = {
      {"verify", "lemons", "--mechanism", "vcg"},
      {"verify", "lemons", "--mechanism-param", "spilt=0.5"},
      {"verify", "lemons", "--mechanism-param", "split=2"},
      {"verify", "lemons", "--mechanism-param", "split"},
      {"verify", "lemons", "--mechanism-param", "split=nan"},
      {"verify", "no-such-scenario"},
      {"verify", "lemons", "--set", "b=x"},
  };
  for (const auto& args : bad) {
    std::string joined;
    for (const auto& a : args)
      joined += a + " ";
    INFO(joined);
    const auto result = run_twostage(args);
    CHECK(result.exit_code == 2);
    CHECK(result.out.empty());
    CHECK(std::count(result.err.begin(), result.err.end(), '\n') == 1);
  }
  const auto unknown = run_twostage({"verify", "lemons", "--mechanism", "vcg"});
  CHECK_THAT(unknown.err, Catch::Contains("unknown mechanism 'vcg'") && Catch::Contains("groves"));
  const auto param = run_twostage({"verify", "lemons", "--mechanism-param", "spilt=0.5"});
  CHECK_THAT(param.err, Catch::Contains("spilt") && Catch::Contains("split"));
}

TEST_CASE("twostage verify --json carries the documented keys", "[cli][verify]") {
  const auto result = testing::run_twostage({"verify", "lemons-finite", "--json"});
  REQUIRE(result.exit_code == 0);
  const auto j = nlohmann::json::parse(result.out);
  CHECK(j.at("expected_surplus").contains("error"));
  for (const char* agent : {"seller", "buyer"}) {
    const auto& a = j.at("agents").at(agent);
    CHECK(a.at("expected_loss").contains("value"));
    CHECK(a.at("min_slack").contains("error"));
    CHECK(a.at("worst_off_type").contains("shape"));
  }
  CHECK(j.at("lump_sum").at("feasible") == true);
  CHECK(j.at("lump_sum").at("seller").contains("error"));
  CHECK(j.at("lump_sum").at("buyer").contains("error"));
  CHECK(j.at("budget").at("max_imbalance").contains("error"));
  CHECK(j.at("efficiency").at("decision_errors") == 0);
  CHECK(j.at("verdicts").at("EFF") == "holds");
  CHECK(j.at("verdicts").at("BB") == "holds");
  CHECK(j.at("verdicts").at("IIR") == "holds");
  CHECK(j.at("verdicts").at("BIC") == "holds");
  // lemons-finite: grades 0.5 (a tie), 0.75 and 1 never trade.
  CHECK(j.at("agents").at("seller").at("worst_off_type").at("points") ==
        nlohmann::json::parse("[[0.5], [0.75], [1.0]]"));
}

}  // namespace twostage
