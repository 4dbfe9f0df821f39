// tests/test_compare.cpp: stress tests and `twostage compare` (issue 6).
#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <boost/math/distributions/normal.hpp>
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "agents/agent.hpp"
#include "scenarios/error.hpp"
#include "sim/design.hpp"
#include "sim/monte_carlo.hpp"
#include "sim/stress.hpp"
#include "tests/run_program.hpp"

using namespace twostage;

namespace {

Tally play(const Scenario& scenario, const std::string& mechanism, std::vector<Override> parameters,
           const Stress& stress, std::uint64_t plays = 200'000) {
  const Design design = design_mechanism(scenario, mechanism, std::move(parameters), stress);
  const Agent seller(1, scenario.environment, stress.apply({}));
  const Agent buyer(2, scenario.environment, stress.apply({}));
  MonteCarloOptions o;
  o.plays = plays;
  o.seed = 21;
  o.deposits = default_deposits(scenario.environment, *design.mechanism);
  if (stress.deposit)
    o.deposits = {*stress.deposit, *stress.deposit};
  o.observation_noise = stress.noise;
  return run_monte_carlo(scenario.environment, *design.mechanism, seller, buyer, o).tally;
}

}  // namespace

TEST_CASE("stress specs parse and refuse bad values", "[stress]") {
  const Stress s = parse_stress("noise:0.05,deposit:1,fine:0.1/0.5");
  CHECK(s.noise == 0.05);
  CHECK(*s.deposit == 1.0);
  CHECK(s.fines == std::vector<double>{0.1, 0.5});
  CHECK(s.label() == "noise:0.05,deposit:1,fine:0.1/0.5");
  CHECK(parse_stress("tremble:0.01").apply({}).report.size() == 1);
  for (const char* bad : {"noise:-1", "deposit:-0.5", "fine:1/-2", "tremble:2", "noise:nan",
                          "storm:1", "noise", "prior:"}) {
    INFO(bad);
    CHECK_THROWS_AS(parse_stress(bad), InputError);
  }
}

TEST_CASE("observation noise fines honest sellers at the rate the noise predicts", "[stress]") {
  // Shoot-the-liar with trade=always: every play trades, and the truthful
  // buyer reports what he observes, π2 + ε with ε ~ N(0, σ²). The seller is
  // fined F when |ε| > τ, so P(fine) = 2 (1 − Φ(τ/σ)); with τ = σ that is
  // 2 (1 − Φ(1)) ≈ 0.3173, and with the fine burned the mean money burned per
  // play is F·P(fine).
  const Scenario scenario = load_scenario("trivial");
  Stress noise;
  noise.noise = 0.05;
  const double F = 1.0;
  const Tally t = play(scenario, "shoot-the-liar",
                       {{"trade", 0, "always"}, {"fine", F}, {"tolerance", 0.05}}, noise);
  const double rate = 2 * (1 - boost::math::cdf(boost::math::normal(), 1.0));
  INFO("burned " << t.burned.mean() << " ± " << t.burned.ci95() << ", predicted " << F * rate);
  CHECK(std::abs(t.burned.mean() - F * rate) <= 2 * t.burned.ci95());
  CHECK(t.traded.mean() == 1.0);
  // Without noise nobody is fined.
  CHECK(play(scenario, "shoot-the-liar", {{"fine", F}}, Stress{}, 20'000).burned.total() == 0.0);
}

TEST_CASE("limited deposits leave shortfalls, and agents keep what they cannot pay", "[stress]") {
  // Groves on lemons (point buyer): W1 = S and W2 = ES, so h2 = S − ES/2, and
  // with ℓ2 = −L1 = −ES/2 the buyer's transfer is t2 = u1^r − S. After a
  // trade u1^r = 0 and he owes S = v2 ≥ 0.2, more than a deposit of 0.1.
  const Scenario scenario = load_scenario("lemons");
  Stress small;
  small.deposit = 0.1;
  const Tally limited = play(scenario, "groves", {}, small, 50'000);
  const Tally full = play(scenario, "groves", {}, Stress{}, 50'000);
  CHECK(limited.shortfall_plays > 0);
  CHECK(full.shortfall_plays == 0);
  // The unpaid amount stays with the buyer: his mean utility rises by exactly
  // the mean shortfall (same draws, same transfers otherwise).
  CHECK(limited.utility2.mean() - full.utility2.mean() ==
        Approx(limited.shortfall.mean()).epsilon(1e-9));
  CHECK(std::abs(limited.conservation_gap()) <= 1e-9 * limited.payouts);
}

TEST_CASE("a misspecified prior changes the designed mechanism", "[stress]") {
  // Groves designed for `trivial` (v2 = 0.1 + 1.5 θ1 > v1) always trades; on
  // the true lemons market trade is efficient only for θ1 < 0.5, so half of
  // the plays are decision errors and the surplus lost is
  // E[(v1 − v2)⁺] = ∫_{1/2}^1 (0.4 θ − 0.2) dθ = 0.05.
  const Scenario scenario = load_scenario("lemons");
  Stress prior;
  prior.prior = "trivial";
  const Tally t = play(scenario, "groves", {}, prior);
  CHECK(t.traded.mean() == 1.0);
  CHECK(std::abs(t.decision_error.mean() - 0.5) <= 2 * t.decision_error.ci95());
  CHECK(std::abs(t.surplus_lost.mean() - 0.05) <= 2 * t.surplus_lost.ci95());
  Stress wrong_dimension;
  wrong_dimension.prior = "lemons-2d";
  CHECK_THROWS_AS(design_mechanism(scenario, "groves", {}, wrong_dimension), InputError);
}

TEST_CASE("twostage compare prints the side-by-side table as JSON and CSV", "[compare][cli]") {
  const std::string dir = testing::write_temp_file("placeholder-compare", "") + "-dir";
  const auto result = testing::run_twostage(
      {"compare", "trivial", "--mechanisms", "groves,shoot-the-liar,posted-price", "--stress",
       "noise:0.01", "--stress", "fine:0.5/2", "--plays", "20000", "--json", "--out", dir});
  REQUIRE(result.exit_code == 0);
  const auto j = nlohmann::json::parse(result.out);
  // groves, shoot-the-liar at two fines, posted-price.
  REQUIRE(j["mechanisms"].size() == 4);
  CHECK(j["mechanisms"][1]["label"] == "shoot-the-liar (fine 0.5)");
  for (const auto& row : j["mechanisms"]) {
    INFO(row["label"]);
    CHECK(row["play"].size() == 2);  // no stress, then noise
    CHECK(row["play"][1]["stress"] == "noise:0.01");
    for (const char* key : {"EFF", "BB", "IIR", "BIC", "verdicts", "required_deposits"}) {
      CHECK(row.contains(key));
    }
  }
  // MODEL.md §3.1 and §3.2: in a one-sided trivial environment both Groves
  // with lump sums and shoot-the-liar (with a fine above the range of v2,
  // 1.5 here) satisfy every property.
  for (int row : {0, 2}) {
    for (const char* p : {"EFF", "BB", "IIR", "BIC"}) {
      INFO(j["mechanisms"][row]["label"] << " " << p);
      CHECK(j["mechanisms"][row]["verdicts"][p] == "holds");
    }
  }
  CHECK(std::filesystem::exists(dir + "/compare.json"));
  std::ifstream csv(dir + "/compare.csv");
  std::string header, line;
  std::getline(csv, header);
  CHECK(header.rfind("mechanism,stress,decision_errors", 0) == 0);
  int rows = 0;
  while (std::getline(csv, line))
    ++rows;
  CHECK(rows == 8);  // 4 mechanism rows × 2 plays
}

TEST_CASE("twostage compare refuses bad input", "[compare][cli][bad-input]") {
  const std::vector<std::vector<std::string>> bad = {
      {"compare", "lemons", "--mechanisms", "groves,vcg"},
      {"compare", "lemons", "--stress", "noise:-0.1"},
      {"compare", "lemons", "--stress", "deposit:-1"},
      {"compare", "lemons", "--mechanisms", "groves", "--stress", "fine:1"},
      {"compare", "lemons", "--mechanisms", "shoot-the-liar", "--stress", "fine:-1"},
      {"compare", "lemons", "--plays", "0"},
      {"run", "lemons", "--stress", "fine:1/2", "--mechanism", "shoot-the-liar"},
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
}

TEST_CASE("reports say plainly when a lemons market unravels", "[compare][cli]") {
  // lemons with a = 0, b = 1.5: E[v2 | v1 ≤ p] = 1.5·p/2 = 0.75 p < p for every
  // p > 0, so no price trades (the posted-price tests derive this too).
  const auto result =
      testing::run_twostage({"verify", "lemons", "--mechanism", "posted-price", "--set", "a=0",
                             "--set", "b=1.5", "--plays", "0", "--json"});
  REQUIRE(result.exit_code == 0);
  const auto notes = nlohmann::json::parse(result.out)["mechanism"]["notes"];
  REQUIRE(notes.size() == 1);
  CHECK(notes[0].get<std::string>().find("unravels") != std::string::npos);
}

TEST_CASE("search takes the mechanism stresses", "[compare][cli][search]") {
  // Shoot-the-liar on lemons with a fine of 0.1, below the range of v2 (0.6):
  // a seller of type 0 who reports type 1 is paid v2(1) = 0.8 instead of
  // v2(0) = 0.2 and fined 0.1 when the buyer reports his true payoff 0.2:
  // a gain of 0.8 − 0.1 − 0.2 = 0.5 (the mechanism tests derive the same).
  const auto result = testing::run_twostage({"search", "lemons", "--mechanism", "shoot-the-liar",
                                             "--mechanism-param", "trade=always", "--stress",
                                             "fine:0.1", "--agent", "seller", "--json"});
  REQUIRE(result.exit_code == 0);
  const auto j = nlohmann::json::parse(result.out);
  CHECK(j["agents"][0]["exploitability"]["lower"]["value"].get<double>() ==
        Approx(0.5).margin(1e-9));
  // With the default fine (above the range of v2) and deposits of 0.05, a
  // lie's transfer 0.8 − F is cut to −0.05, still below the truth's 0.2: the
  // seller stays truthful. With a deposit of 0.5 and a fine of 0.1 the cut
  // does not bind (0.8 − 0.1 > −0.5) and the gain of 0.5 remains.
  const auto capped = testing::run_twostage({"search", "lemons", "--mechanism", "shoot-the-liar",
                                             "--mechanism-param", "trade=always", "--stress",
                                             "deposit:0.05", "--agent", "seller", "--json"});
  REQUIRE(capped.exit_code == 0);
  const auto c = nlohmann::json::parse(capped.out)["agents"][0]["exploitability"]["lower"];
  CHECK(c["value"].get<double>() <= c["error"].get<double>());
  const auto loose = testing::run_twostage({"search", "lemons", "--mechanism", "shoot-the-liar",
                                            "--mechanism-param", "trade=always", "--stress",
                                            "fine:0.1,deposit:0.5", "--agent", "seller", "--json"});
  REQUIRE(loose.exit_code == 0);
  CHECK(nlohmann::json::parse(loose.out)["agents"][0]["exploitability"]["lower"]["value"]
            .get<double>() == Approx(0.5).margin(1e-9));
  const auto noise = testing::run_twostage({"search", "lemons", "--stress", "noise:0.1"});
  CHECK(noise.exit_code == 2);
  CHECK(noise.out.empty());
}

TEST_CASE("scenario files set mechanism parameters, the command line overrides them",
          "[compare][cli][scenario]") {
  std::ifstream shipped(std::string(TWOSTAGE_SOURCE_DIR) + "/scenarios/lemons.toml");
  std::stringstream text;
  text << shipped.rdbuf() << "\n[mechanisms.shoot-the-liar]\nfine = 0.25\ntrade = \"efficient\"\n";
  const std::string path = testing::write_temp_file("lemons-with-fine.toml", text.str());
  auto parameters = [&](std::vector<std::string> extra) {
    std::vector<std::string> args = {"verify",  path, "--mechanism", "shoot-the-liar",
                                     "--plays", "0",  "--json"};
    args.insert(args.end(), extra.begin(), extra.end());
    const auto result = testing::run_twostage(args);
    REQUIRE(result.exit_code == 0);
    return nlohmann::json::parse(result.out)["mechanism"]["parameters"];
  };
  const auto from_file = parameters({});
  CHECK(from_file["fine"] == 0.25);
  CHECK(from_file["trade"] == "efficient");
  CHECK(parameters({"--mechanism-param", "fine=2"})["fine"] == 2.0);
  const std::string bad =
      testing::write_temp_file("lemons-bad-choice.toml", text.str() + "fine_to = \"auctioneer\"\n");
  const auto refused =
      testing::run_twostage({"verify", bad, "--mechanism", "shoot-the-liar", "--plays", "0"});
  CHECK(refused.exit_code == 2);
  CHECK(refused.out.empty());
  CHECK(refused.err.find("auctioneer") != std::string::npos);
}
