// tests/test_mechanisms_issue6.cpp: shoot-the-liar (MODEL.md §3.2), the
// one-stage benchmarks (§3.3) and categorical mechanism parameters.
//
// Every reference value is derived in a comment from the scenario's
// valuations. Built-in lemons: θ1 ~ U[0, 1], v1 = θ1, v2 = a + bθ1 with
// a = 0.2, b = 0.6 by default, so v2 − v1 = 0.2 − 0.4θ1 and x* trades iff
// θ1 < 1/2. Built-in trivial: v2 = 0.1 + 1.5θ1, v2 − v1 = 0.1 + 0.5θ1 > 0.
#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "mechanisms/one_stage_efficient.hpp"
#include "mechanisms/posted_price.hpp"
#include "mechanisms/registry.hpp"
#include "mechanisms/shoot_the_liar.hpp"
#include "scenarios/error.hpp"
#include "scenarios/scenario.hpp"
#include "sim/search.hpp"
#include "sim/verify.hpp"
#include "tests/run_program.hpp"

namespace twostage {
namespace {

std::string data_file(const std::string& name) {
  return std::string(TWOSTAGE_SOURCE_DIR) + "/tests/data/" + name;
}

// A `--mechanism-param name=value` as the command line passes it.
Override param(const std::string& name, const std::string& text) {
  return {.name = name, .value = 0.0, .text = text};
}

SearchOptions quick_search() {
  SearchOptions options;
  options.types = 9;  // includes 0, 1/2 and 1 on [0, 1]
  options.reports = 17;
  options.nodes = 65;
  options.type_refinements = 2;
  options.refined_types = 2;
  return options;
}

VerifyOptions quick_verify(const std::string& mechanism, std::vector<Override> parameters) {
  VerifyOptions options;
  options.mechanism = mechanism;
  options.mechanism_parameters = std::move(parameters);
  options.interim.curve_points = 3;
  options.interim.set_scan_1d = 129;
  options.interim.profiles = 400;
  options.search = quick_search();
  options.monte_carlo.plays = 0;
  return options;
}

// A scenario with its expectations and one mechanism built through the registry.
struct Setup {
  Scenario scenario;
  Expectations expectations;
  std::unique_ptr<Mechanism> mechanism;

  Setup(const std::string& name, const std::string& mechanism_name,
        const std::vector<Override>& parameters, const std::vector<Override>& sets = {})
      : scenario(load_scenario(name, sets)),
        expectations(scenario.environment),
        mechanism(make_mechanism(mechanism_name, parameters, scenario.environment, expectations)) {}
  const Environment& env() const { return scenario.environment; }
};

}  // namespace

TEST_CASE("shoot-the-liar is EFF, BB, IIR and BIC in one-sided trivial environments",
          "[shoot-the-liar]") {
  // trivial: IIR slack s1(θ1) = v2 − v1 = 0.1 + 0.5θ1, smallest 0.1 at θ1 = 0;
  // the buyer pays exactly v2, so s2 = 0 and IIR binds for him.
  // trivial-finite: v2 − v1 = 0.3 + 0.2θ1 on {0, 0.5, 1}, smallest 0.3 at 0.
  // Default fine (range of v2 + 0.1 max|v2|): 1.5 + 0.16 = 1.66 and 1.2 + 0.15 = 1.35.
  struct Case {
    std::string scenario;
    double seller_min_slack, fine;
  };
  for (const Case& c :
       {Case{"trivial", 0.1, 1.66}, Case{data_file("trivial-finite.toml"), 0.3, 1.35}}) {
    INFO(c.scenario);
    const Scenario scenario = load_scenario(c.scenario);
    const Verification v = verify(scenario, quick_verify("shoot-the-liar", {}));
    CHECK(v.EFF.verdict == Verdict::kHolds);
    CHECK(v.BB.verdict == Verdict::kHolds);
    CHECK(v.IIR.verdict == Verdict::kHolds);
    CHECK(v.BIC.verdict == Verdict::kHolds);
    CHECK(v.analysis.seller.min_slack.value == Approx(c.seller_min_slack).margin(1e-9));
    CHECK(v.analysis.buyer.min_slack.value == Approx(0.0).margin(1e-9));
    REQUIRE(v.parameters.size() == 4);
    CHECK(v.parameters[0].text == "always");
    CHECK(v.parameters[1].value == Approx(c.fine).epsilon(1e-9));
    CHECK(v.parameters[2].text == "burned");
  }
}

TEST_CASE("shoot-the-liar with trade=always in the lemons market loses E[(v1 - v2)+] and IIR",
          "[shoot-the-liar]") {
  // Always trading realises E[v2] = 0.2 + 0.3 = 0.5 against ES = E[max(v1, v2)]
  // = ∫_0^½ (0.2 + 0.6θ)dθ + ∫_½^1 θ dθ = 0.175 + 0.375 = 0.55: the loss is
  // E[(v1 − v2)⁺] = ∫_½^1 (0.4θ − 0.2)dθ = 0.05.
  Setup s("lemons", "shoot-the-liar", {});
  const Estimate realised = expect(
      s.env().Theta1,
      [&](TypeView a) {
        const TypeView b = s.env().Theta2.points()[0];
        const double q = s.mechanism->trade_probability(a, b);
        return q * s.env().v2(a, b) + (1 - q) * s.env().v1(a, b);
      },
      {}, s.expectations.options());
  CHECK(s.expectations.ES().value - realised.value == Approx(0.05).margin(1e-9));

  // The seller is paid v2(θ1) for an object worth v1(θ1) to him: s1 = 0.2 − 0.4θ1,
  // lowest at the best quality θ1 = 1, where it is −0.2.
  const Verification v = verify(s.scenario, quick_verify("shoot-the-liar", {}));
  CHECK(v.IIR.verdict == Verdict::kFails);
  CHECK(v.analysis.seller.min_slack.value == Approx(-0.2).margin(1e-9));
  CHECK(v.analysis.seller.worst_off.argmin[0] == Approx(1.0).margin(1e-6));
  CHECK(v.EFF.verdict == Verdict::kFails);  // trades for θ1 ≥ 1/2 too
  CHECK(v.BB.verdict == Verdict::kHolds);
  CHECK(v.BIC.verdict == Verdict::kHolds);
}

TEST_CASE("shoot-the-liar: a fine paid to the buyer buys his inconsistent report",
          "[shoot-the-liar][search]") {
  // trade=efficient: the object moves iff θ1 < 1/2, P(trade) = 1/2. Any
  // payoff report other than v2(θ1^r) earns the buyer F = 1 when it moves,
  // so his gain is F·P(trade) = 0.5; the seller stays truthful (F = 1 > 0.6,
  // the range of v2).
  Setup s("lemons", "shoot-the-liar",
          {param("trade", "efficient"), param("fine", "1"), param("fine_to", "buyer")});
  const SearchResult r = search(*s.mechanism, s.expectations, SearchAgent::kBoth, quick_search());
  const AgentSearch& seller = r.agents[0];
  const AgentSearch& buyer = r.agents[1];
  CHECK(seller.truthful());
  CHECK(buyer.exploitability_lower.value == Approx(0.5).margin(1e-9));
  CHECK(buyer.deviation.after[1].kind == PayoffRuleKind::kConstant);

  // Burned, the same lie changes nothing the buyer keeps.
  Setup burned("lemons", "shoot-the-liar", {param("trade", "efficient"), param("fine", "1")});
  const SearchResult rb =
      search(*burned.mechanism, burned.expectations, SearchAgent::kBuyer, quick_search());
  CHECK(rb.agents[0].truthful());
}

TEST_CASE("shoot-the-liar: a fine below the range of v2 pays the seller to lie",
          "[shoot-the-liar][search]") {
  // F = 0.1 < 0.6. Type θ1 reporting r ≠ θ1 is paid v2(r) and fined F:
  // gain 0.6(r − θ1) − 0.1, largest for θ1 = 0 reporting r = 1: 0.5.
  Setup s("lemons", "shoot-the-liar", {param("fine", "0.1")});
  const SearchResult r = search(*s.mechanism, s.expectations, SearchAgent::kSeller, quick_search());
  const AgentSearch& seller = r.agents[0];
  CHECK(seller.exploitability_lower.value == Approx(0.5).margin(1e-7));
  CHECK(seller.argmax_type[0] == Approx(0.0).margin(1e-9));
  CHECK(seller.deviation.report[0] == Approx(1.0).margin(1e-6));
}

TEST_CASE("posted price reproduces the lemons market's equilibrium", "[posted-price]") {
  // v2 = a + bθ1: E[v2 | θ1 ≤ p] = a + bp/2, so the fixed point is
  // p* = a/(1 − b/2) when it lies in [0, 1]. Defaults: p* = 0.2/0.7 = 2/7.
  // Then P(sale) = 2/7 and the surplus lost is E[(v2 − v1)⁺] − ∫_0^{2/7}(0.2 − 0.4θ)dθ
  // = 0.05 − (0.4/7 − 0.8/49) = 1/20 − 2/49 = 9/980.
  {
    Setup s("lemons", "posted-price", {});
    const auto& m = dynamic_cast<const PostedPriceMechanism&>(*s.mechanism).market();
    CHECK(m.price == Approx(2.0 / 7.0).margin(1e-9));
    CHECK(m.buyer_buys);
    CHECK_FALSE(m.unravelled);
    CHECK(m.buyer_value.value == Approx(2.0 / 7.0).margin(1e-9));
    CHECK(m.trade_rate.value == Approx(2.0 / 7.0).margin(1e-9));
    CHECK(m.surplus_lost.value == Approx(9.0 / 980.0).margin(1e-9));
    const Type buyer = s.env().Theta2.points()[0];
    CHECK(s.mechanism->trade_probability(Type{0.2}, buyer) == 1.0);
    CHECK(s.mechanism->trade_probability(Type{0.3}, buyer) == 0.0);
    CHECK(s.mechanism->transfers(Type{0.2}, buyer, true, 0.0, 0.0).t1 ==
          Approx(2.0 / 7.0).margin(1e-9));
  }
  // a = 0.3, b = 1.2: p* = 0.3/0.4 = 0.75.
  {
    Setup s("lemons", "posted-price", {}, {{"a", 0.3}, {"b", 1.2}});
    CHECK(dynamic_cast<const PostedPriceMechanism&>(*s.mechanism).equilibrium_price() ==
          Approx(0.75).margin(1e-9));
  }
  // a = 0.5, b = 1: E[v2] = 1 = max v1, every seller type sells at p* = 1.
  {
    Setup s("lemons", "posted-price", {}, {{"a", 0.5}, {"b", 1.0}});
    const auto& m = dynamic_cast<const PostedPriceMechanism&>(*s.mechanism).market();
    CHECK(m.price == Approx(1.0).margin(1e-9));
    CHECK(m.trade_rate.value == Approx(1.0).margin(1e-9));
  }
}

TEST_CASE("posted price: adverse selection unravels a market where trade is efficient",
          "[posted-price]") {
  // a = 0, b = 1.5: v2 − v1 = 0.5θ1 > 0 (trade always efficient), yet
  // E[v2 | θ1 ≤ p] = 0.75p < p for every p > 0: no price trades, and all of
  // ES − E[v1] = E[0.5θ1] = 0.25 is lost.
  Setup s("lemons", "posted-price", {}, {{"a", 0.0}, {"b", 1.5}});
  const auto& m = dynamic_cast<const PostedPriceMechanism&>(*s.mechanism).market();
  CHECK(m.unravelled);
  CHECK_FALSE(m.buyer_buys);
  CHECK(m.trade_rate.value == 0.0);
  CHECK(m.surplus_lost.value == Approx(0.25).margin(1e-9));
  CHECK(s.mechanism->trade_probability(Type{0.0}, s.env().Theta2.points()[0]) == 0.0);

  // A given price: at p = 0.4 the buyer expects 0.2 + 0.6·0.2 = 0.32 < 0.4 and
  // declines; at p = 0.25 he expects 0.275 ≥ 0.25 and buys from 1/4 of sellers.
  Setup high("lemons", "posted-price", {param("mode", "given"), param("price", "0.4")});
  CHECK_FALSE(dynamic_cast<const PostedPriceMechanism&>(*high.mechanism).buyer_buys());
  Setup low("lemons", "posted-price", {param("mode", "given"), param("price", "0.25")});
  const auto& ml = dynamic_cast<const PostedPriceMechanism&>(*low.mechanism).market();
  CHECK(ml.buyer_buys);
  CHECK(ml.buyer_value.value == Approx(0.275).margin(1e-9));
  CHECK(ml.trade_rate.value == Approx(0.25).margin(1e-9));
  CHECK(low.mechanism->parameters()[0].text == "given");
}

TEST_CASE("one-stage efficient prices: truthful at the cut-off price, exploitable off it",
          "[one-stage-efficient][search]") {
  // Cut-off θ1 = 1/2 where v1 = v2 = 1/2, so the default p_trade = 1/2 and
  // p_none = 0. The seller then trades iff θ1 < 1/2 by his own choice: BIC.
  // The buyer pays 1/2 for an object worth 0.2 + 0.6θ1 < 1/2 below the
  // cut-off: U2 = ∫_0^½ (0.6θ − 0.3)dθ = 0.075 − 0.15 = −0.075, so IIR fails.
  {
    const Scenario scenario = load_scenario("lemons");
    const Verification v = verify(scenario, quick_verify("one-stage-efficient", {}));
    CHECK(v.parameters[0].value == Approx(0.5).margin(1e-12));
    CHECK(v.EFF.verdict == Verdict::kHolds);
    CHECK(v.BB.verdict == Verdict::kHolds);
    CHECK(v.BIC.verdict == Verdict::kHolds);
    CHECK(v.IIR.verdict == Verdict::kFails);
    CHECK(v.analysis.buyer.min_slack.value == Approx(-0.075).margin(1e-9));
  }
  // p_trade = 0.6: a seller θ1 ∈ [1/2, 0.6) who claims a trading type is paid
  // 0.6 for an object worth θ1, gaining 0.6 − θ1, most (0.1) at θ1 = 1/2.
  Setup s("lemons", "one-stage-efficient", {param("p_trade", "0.6")});
  const SearchResult r = search(*s.mechanism, s.expectations, SearchAgent::kSeller, quick_search());
  CHECK(r.agents[0].exploitability_lower.value == Approx(0.1).margin(1e-7));
  CHECK(r.agents[0].argmax_type[0] == Approx(0.5).margin(1e-6));
}

TEST_CASE("categorical and derived mechanism parameters are checked", "[registry][input]") {
  const Scenario lemons = load_scenario("lemons");
  const Expectations e(lemons.environment);
  auto make = [&](const std::string& name, const std::vector<Override>& o) {
    return make_mechanism(name, o, lemons.environment, e);
  };
  CHECK_THROWS_WITH(make("shoot-the-liar", {param("trade", "sometimes")}),
                    Catch::Contains("sometimes") && Catch::Contains("always, efficient"));
  CHECK_THROWS_WITH(make("shoot-the-liar", {param("fine_to", "seller")}),
                    Catch::Contains("burned, buyer"));
  CHECK_THROWS_WITH(make("shoot-the-liar", {param("fine", "-1")}),
                    Catch::Contains("outside its range [0, inf)"));
  CHECK_THROWS_AS(make("shoot-the-liar", {param("tolerance", "-1e-3")}), InputError);
  CHECK_THROWS_WITH(make("shoot-the-liar", {param("fine", "lots")}),
                    Catch::Contains("not a finite number"));
  CHECK_THROWS_AS(make("shoot-the-liar", {param("fine", "inf")}), InputError);
  // A categorical parameter has no numeric value.
  CHECK_THROWS_AS(make("shoot-the-liar", {{"trade", 1.0}}), InputError);
  CHECK_THROWS_AS(make("posted-price", {param("mode", "auction")}), InputError);
  // Numbers without text still work, as existing callers pass them.
  const auto liar = make("shoot-the-liar", {{"fine", 2.0}, param("trade", "efficient")});
  CHECK(liar->parameters()[0].text == "efficient");
  CHECK(liar->parameters()[1].value == 2.0);
  CHECK_FALSE(liar->parameters()[1].categorical());

  // Posted price is Akerlof's one-sided market.
  const Scenario two_sided = load_scenario("two-sided-linear");
  const Expectations e2(two_sided.environment);
  CHECK_THROWS_AS(make_mechanism("posted-price", {}, two_sided.environment, e2), InputError);
  // Shoot-the-liar is defined there: the price is v2 at both reports.
  const auto liar2 = make_mechanism("shoot-the-liar", {}, two_sided.environment, e2);
  const Type a{0.5}, b{0.25};
  // v2 = θ2 + 0.6θ1 = 0.55; a consistent report is not fined.
  CHECK(liar2->transfers(a, b, true, 0.0, 0.55).t1 == Approx(0.55));
  CHECK(liar2->transfers(a, b, false, 0.0, 3.0).t1 == 0.0);
}

TEST_CASE("twostage verify: categorical mechanism parameters on the command line",
          "[cli][registry]") {
  using testing::run_twostage;
  const std::vector<std::vector<std::string>> bad = {
      {"verify", "lemons", "--mechanism", "shoot-the-liar", "--mechanism-param", "fine=-1"},
      {"verify", "lemons", "--mechanism", "shoot-the-liar", "--mechanism-param", "trade=maybe"},
      {"verify", "lemons", "--mechanism", "shoot-the-liar", "--mechanism-param", "tolerance=-1"},
      {"verify", "lemons", "--mechanism", "shoot-the-liar", "--mechanism-param", "trade="},
      {"verify", "two-sided-linear", "--mechanism", "posted-price"},
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
  const auto maybe = run_twostage(
      {"verify", "lemons", "--mechanism", "shoot-the-liar", "--mechanism-param", "trade=maybe"});
  CHECK_THAT(maybe.err, Catch::Contains("always, efficient"));

  const auto good =
      run_twostage({"verify", "lemons-finite", "--mechanism", "shoot-the-liar", "--mechanism-param",
                    "trade=efficient", "--plays", "0", "--json"});
  REQUIRE(good.exit_code == 0);
  const auto j = nlohmann::json::parse(good.out);
  CHECK(j.at("mechanism").at("parameters").at("trade") == "efficient");
  CHECK(j.at("mechanism").at("parameters").at("fine_to") == "burned");
  CHECK(j.at("mechanism").at("parameters").at("fine").is_number());
  CHECK(j.at("mechanism").at("two_stage") == true);
}

}  // namespace twostage
