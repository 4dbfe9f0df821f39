// tests/test_search.cpp: the best-response search over deviations (issue 5, exact mode).
//
// Reference values are derived in the comments from MODEL.md's definitions:
// Groves is truthful with truth only weakly optimal in stage 2 (Definition 8);
// the other mechanisms, built here, must fail by a known amount at a known
// type with a known deviation.
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "mechanisms/groves.hpp"
#include "scenarios/error.hpp"
#include "scenarios/facts.hpp"
#include "scenarios/scenario.hpp"
#include "sim/search.hpp"
#include "tests/run_program.hpp"
#include "tests/test_mechanisms.hpp"

namespace twostage {
namespace {

// Monte Carlo mode on small grids and few draws.
SearchOptions quick_mc_options();

// Small grids keep the suite quick; every check below holds at any size.
SearchOptions quick_options() {
  SearchOptions options;
  options.types = 9;
  options.reports = 17;
  options.nodes = 65;
  options.type_refinements = 2;
  options.refined_types = 2;
  return options;
}

SearchOptions quick_mc_options() {
  SearchOptions options = quick_options();
  options.mode = EvaluationMode::kMonteCarlo;
  options.mc_screen_draws = 256;
  options.mc_confirm_draws = 8192;
  return options;
}

const TypeGain& gain_at(const AgentSearch& s, double theta) {
  const auto it = std::find_if(s.curve.begin(), s.curve.end(), [&](const TypeGain& g) {
    return std::abs(g.theta[0] - theta) < 1e-12;
  });
  REQUIRE(it != s.curve.end());
  return *it;
}

}  // namespace

TEST_CASE("Groves is truthful on every built-in, truth only weakly optimal in stage 2",
          "[search][groves]") {
  for (const BuiltinScenario& builtin : builtin_scenarios()) {
    const Scenario scenario = load_scenario(std::string(builtin.name));
    const Expectations expectations(scenario.environment);
    const GrovesMechanism groves(scenario.environment, expectations);
    const SearchResult result = search(groves, expectations, SearchAgent::kBoth, quick_options());
    REQUIRE(result.agents.size() == 2);
    for (const AgentSearch& s : result.agents) {
      INFO(builtin.name << " agent " << s.agent);
      // Definition 8: an agent's utility after any report is the realised
      // surplus at the true types minus a constant, so no deviation gains;
      // its own payoff report never enters its transfer, so every lie ties.
      CHECK(s.exploitability_lower.value <= s.exploitability_lower.error);
      CHECK(s.exploitability_upper.value <= s.exploitability_upper.error);
      CHECK(s.truthful());
      CHECK(s.stage2_indifferent);
      CHECK(s.stays_out.size() <= s.curve.size());
    }
  }
}

TEST_CASE("Groves with its own payoff report in the transfer is caught in stage 2",
          "[search][fails]") {
  // two-sided-linear, γ1 = 0.3, γ2 = 0.6: Π1 = [0, 1.3], Π2 = [0, 1.6].
  // With ti += ui^r the best stage-2 report is the top of Πi whatever
  // happened, and stage 1 is then Groves, where truth is optimal. So
  //   ε1(θ1) = 1.3 − E_θ2[(1 − x*) v1],   ε2(θ2) = 1.6 − E_θ1[x* v2].
  // θ1 = 0 always trades (θ2 > 0 = θ1·4/7), so ε1(0) = 1.3, the maximum;
  // θ2 = 0 never trades, so ε2(0) = 1.6. At θ1 = 1/2 no trade iff
  // θ2 ≤ 2/7: E[(1 − x*) v1] = 1/7 + 0.15·(2/7)² = 7.6/49, ε1 = 1.3 − 7.6/49.
  const Scenario scenario = load_scenario("two-sided-linear");
  const Expectations expectations(scenario.environment);
  const testing::OwnReportGroves mechanism(scenario.environment, expectations);
  const SearchResult result = search(mechanism, expectations, SearchAgent::kBoth, quick_options());
  const AgentSearch& seller = result.agents[0];
  const AgentSearch& buyer = result.agents[1];

  CHECK_FALSE(seller.truthful());
  CHECK(seller.exploitability_lower.value == Approx(1.3).margin(1e-9));
  CHECK(seller.exploitability_upper.value == Approx(1.3).margin(1e-9));
  CHECK(seller.argmax_type == Type{0.0});
  CHECK(seller.deviation.report == Type{0.0});
  CHECK(seller.deviation.after[1].kind == PayoffRuleKind::kConstant);
  CHECK(seller.deviation.after[1].value == Approx(1.3).margin(1e-6));
  CHECK(gain_at(seller, 0.5).lower.value == Approx(1.3 - 7.6 / 49).margin(1e-8));

  CHECK_FALSE(buyer.truthful());
  CHECK(buyer.exploitability_lower.value == Approx(1.6).margin(1e-9));
  CHECK(buyer.argmax_type == Type{0.0});
  CHECK(buyer.deviation.after[0].kind == PayoffRuleKind::kConstant);
  CHECK(buyer.deviation.after[0].value == Approx(1.6).margin(1e-6));
  // Truth now strictly loses at stage 2: no tie anywhere it was searched.
  CHECK_FALSE(seller.stage2_indifferent);
}

TEST_CASE("a one-stage two-price mechanism fails without single crossing", "[search][fails]") {
  // lemons with a = −0.3, b = 1.5: v1 = θ1, v2 = −0.3 + 1.5 θ1, so trade is
  // efficient iff θ1 > 0.6 and ∂v2/∂θ1 = 1.5 > ∂v1/∂θ1 = 1: no single
  // crossing. Trading by x* at price 0.6 (trade) or 0 (no trade), a seller
  // below 0.6 keeps θ1 but gets 0.6 by claiming a type above 0.6, and one
  // above 0.6 gets 0.6 but keeps θ1 by claiming a type below:
  //   ε1(θ1) = |θ1 − 0.6|, largest at θ1 = 0 (0.6), then θ1 = 1 (0.4).
  const Scenario scenario = load_scenario("lemons", {{"a", -0.3}, {"b", 1.5}});
  REQUIRE(classify(scenario.environment).single_crossing.defined);
  REQUIRE_FALSE(classify(scenario.environment).single_crossing.holds);
  const Expectations expectations(scenario.environment);
  const testing::TwoPriceMechanism mechanism(scenario.environment, 0.6, 0.0);
  const SearchResult result =
      search(mechanism, expectations, SearchAgent::kSeller, quick_options());
  REQUIRE(result.agents.size() == 1);
  const AgentSearch& seller = result.agents[0];
  CHECK_FALSE(seller.truthful());
  CHECK(seller.exploitability_lower.value == Approx(0.6).margin(1e-12));
  CHECK(seller.argmax_type == Type{0.0});
  CHECK(seller.deviation.report[0] > 0.6);  // any report on the trading side
  CHECK(gain_at(seller, 1.0).lower.value == Approx(0.4).margin(1e-12));
  CHECK(gain_at(seller, 1.0).deviation.report[0] <= 0.6);
  CHECK(gain_at(seller, 0.25).lower.value == Approx(0.35).margin(1e-12));
  // One stage: payoff reports are ignored, so lies tie with the truth.
  CHECK(seller.stage2_indifferent);
}

TEST_CASE("a fine paid to the buyer is found by the direct path", "[search][fails]") {
  // MODEL.md §3.2: with the fine paid to the buyer he gains F by reporting
  // any payoff other than v2(θ1^r, θ̄2); the seller, whose lies are fined
  // more than any price difference (F = 1 > 0.6 = range of v2), is truthful.
  const Scenario scenario = load_scenario("lemons");
  const Expectations expectations(scenario.environment);
  const testing::FineToBuyer mechanism(scenario.environment, 1.0);
  const SearchResult result = search(mechanism, expectations, SearchAgent::kBoth, quick_options());
  const AgentSearch& seller = result.agents[0];
  const AgentSearch& buyer = result.agents[1];
  CHECK_THAT(buyer.evaluator, Catch::Contains("queried directly"));
  CHECK(seller.truthful());
  CHECK(buyer.exploitability_lower.value == Approx(1.0).margin(1e-9));
  CHECK(buyer.deviation.after[1].kind == PayoffRuleKind::kConstant);
}

TEST_CASE("the search refuses bad options", "[search][input]") {
  const Scenario scenario = load_scenario("lemons-finite");
  const Expectations expectations(scenario.environment);
  const GrovesMechanism groves(scenario.environment, expectations);
  SearchOptions zero = quick_options();
  zero.reports = 0;
  CHECK_THROWS_AS(search(groves, expectations, SearchAgent::kBoth, zero), InputError);
  SearchOptions no_draws = quick_options();
  no_draws.mode = EvaluationMode::kMonteCarlo;
  no_draws.mc_confirm_draws = 1;
  CHECK_THROWS_AS(search(groves, expectations, SearchAgent::kBoth, no_draws), InputError);
  CHECK_THROWS_AS(parse_search_agent("auctioneer"), InputError);
  CHECK_THROWS_AS(parse_evaluation_mode("fast"), InputError);
}

TEST_CASE("twostage search: bad input exits 2 with one line and no output", "[search][cli]") {
  const std::vector<std::vector<std::string>> bad = {
      {"search", "lemons", "--types", "0"},
      {"search", "lemons", "--nodes", "0"},
      {"search", "lemons", "--agent", "auctioneer"},
      {"search", "lemons", "--mode", "fast"},
      {"search", "lemons", "--mode", "mc", "--draws", "1"},
      {"search", "lemons", "--mechanism", "vcg"},
      {"export", "two-sided-linear", "--types", "100000"},
      {"export", "lemons", "--types", "0"},
      {"export", "lemons", "--format", "nfg"},
  };
  for (const auto& args : bad) {
    std::string joined;
    for (const auto& a : args)
      joined += a + " ";
    INFO(joined);
    const auto result = testing::run_twostage(args);
    CHECK(result.exit_code == 2);
    CHECK(result.out.empty());
    CHECK(std::count(result.err.begin(), result.err.end(), '\n') == 1);
  }
  const auto huge = testing::run_twostage({"export", "two-sided-linear", "--types", "100000"});
  CHECK_THAT(huge.err, Catch::Contains("nodes") && Catch::Contains("GB"));
}

TEST_CASE("twostage search --json and --out carry the documented keys", "[search][cli]") {
  const auto dir = std::filesystem::temp_directory_path() / "twostage-search-test";
  std::filesystem::remove_all(dir);
  const auto result = testing::run_twostage(
      {"search", "lemons-finite", "--json", "--out", dir.string(), "--types", "5", "--nodes", "9"});
  REQUIRE(result.exit_code == 0);
  const auto j = nlohmann::json::parse(result.out);
  CHECK(j.at("mode") == "exact");
  REQUIRE(j.at("agents").size() == 2);
  for (const auto& a : j.at("agents")) {
    CHECK(a.at("exploitability").at("lower").contains("error"));
    CHECK(a.at("exploitability").at("upper").contains("value"));
    CHECK(a.at("argmax_type").is_array());
    CHECK(a.at("deviation").at("report").is_array());
    CHECK(a.at("deviation").at("stage2").at("trade").contains("rule"));
    CHECK(a.at("stage2_indifference").at("flag") == true);
  }
  std::ifstream csv(dir / "gain-seller.csv");
  std::string header;
  std::getline(csv, header);
  CHECK(header == "agent,theta,lower,lower_error,upper,upper_error,U,outside_option,participates");
  int rows = 0;
  for (std::string line; std::getline(csv, line);)
    ++rows;
  CHECK(rows == 5);  // the five quality grades
  std::filesystem::remove_all(dir);
}

}  // namespace twostage

namespace twostage {

TEST_CASE("Monte Carlo mode: Groves is truthful on every built-in, lies tie in stage 2",
          "[search][groves][mc]") {
  for (const BuiltinScenario& builtin : builtin_scenarios()) {
    const Scenario scenario = load_scenario(std::string(builtin.name));
    const Expectations expectations(scenario.environment);
    const GrovesMechanism groves(scenario.environment, expectations);
    const SearchResult result =
        search(groves, expectations, SearchAgent::kBoth, quick_mc_options());
    CHECK(result.mode == EvaluationMode::kMonteCarlo);
    for (const AgentSearch& s : result.agents) {
      INFO(builtin.name << " agent " << s.agent);
      // With common random numbers every deviation is compared with the truth
      // on the same draws; Groves gives no gain on any draw (see the exact
      // test above), so the 95% interval of the gain contains zero.
      CHECK(s.truthful());
      CHECK(s.stage2_indifferent);
      CHECK_THAT(s.evaluator, Catch::Contains("monte carlo"));
    }
  }
}

TEST_CASE("Monte Carlo mode catches Groves with its own payoff report in the transfer",
          "[search][fails][mc]") {
  // The exact test above derives ε1(θ1) = 1.3 − E_θ2[(1 − x*) v1], largest
  // (1.3) at θ1 = 0, and ε2(0) = 1.6. Screening on a few hundred draws cannot
  // tell reports near 0 apart, so the confirmed deviation may trade a little
  // less often than the best one: the found gain lies within 1% below the
  // supremum, never above it beyond its interval, at a type near 0.
  const Scenario scenario = load_scenario("two-sided-linear");
  const Expectations expectations(scenario.environment);
  const testing::OwnReportGroves mechanism(scenario.environment, expectations);
  const SearchResult result =
      search(mechanism, expectations, SearchAgent::kBoth, quick_mc_options());
  const AgentSearch& seller = result.agents[0];
  const AgentSearch& buyer = result.agents[1];
  CHECK_FALSE(seller.truthful());
  CHECK(seller.exploitability_lower.value > 1.3 * 0.99);
  CHECK(seller.exploitability_lower.value <= 1.3 + seller.exploitability_lower.error);
  CHECK(seller.argmax_type[0] < 0.1);
  CHECK(seller.deviation.after[1].kind == PayoffRuleKind::kConstant);
  CHECK(seller.deviation.after[1].value == Approx(1.3).margin(1e-9));  // the top of Π1
  // At θ1 = 1/2 the gain is 1.3 − 7.6/49 in expectation.
  const TypeGain& half = gain_at(seller, 0.5);
  CHECK(std::abs(half.lower.value - (1.3 - 7.6 / 49)) <= 0.01);
  CHECK_FALSE(buyer.truthful());
  CHECK(buyer.exploitability_lower.value > 1.6 * 0.99);
  CHECK(buyer.exploitability_lower.value <= 1.6 + buyer.exploitability_lower.error);
  CHECK(buyer.deviation.after[0].value == Approx(1.6).margin(1e-9));  // the top of Π2
}

TEST_CASE("Monte Carlo mode finds the two-price mechanism's misreport", "[search][fails][mc]") {
  // As in the exact test: ε1(θ1) = |θ1 − 0.6|, largest (0.6) at θ1 = 0. The
  // one-stage mechanism's utility does not depend on the buyer's draw, so
  // the gain has no sampling error.
  const Scenario scenario = load_scenario("lemons", {{"a", -0.3}, {"b", 1.5}});
  const Expectations expectations(scenario.environment);
  const testing::TwoPriceMechanism mechanism(scenario.environment, 0.6, 0.0);
  const SearchResult result =
      search(mechanism, expectations, SearchAgent::kSeller, quick_mc_options());
  const AgentSearch& seller = result.agents[0];
  CHECK_FALSE(seller.truthful());
  CHECK(seller.exploitability_lower.value == Approx(0.6).margin(1e-9));
  CHECK(seller.deviation.report[0] > 0.6);
}

}  // namespace twostage
