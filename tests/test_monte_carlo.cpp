// tests/test_monte_carlo.cpp: agents, the mediator and Monte Carlo play.
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <thread>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "agents/agent.hpp"
#include "mechanisms/groves.hpp"
#include "scenarios/error.hpp"
#include "scenarios/scenario.hpp"
#include "sim/monte_carlo.hpp"
#include "sim/run.hpp"
#include "sim/verify_mc.hpp"
#include "tests/run_program.hpp"

using namespace twostage;

namespace {

// Everything one Monte Carlo run needs, built from a scenario.
struct Bench {
  Scenario scenario;
  Expectations expectations;
  GrovesMechanism groves;

  explicit Bench(Scenario s)
      : scenario(std::move(s)),
        expectations(scenario.environment),
        groves(scenario.environment, expectations) {}

  MonteCarloResult run(const Strategy& seller, const Strategy& buyer, std::uint64_t plays,
                       int threads = 1, std::uint64_t seed = 11) const {
    const Agent s(1, scenario.environment, seller), b(2, scenario.environment, buyer);
    MonteCarloOptions o;
    o.plays = plays;
    o.seed = seed;
    o.threads = threads;
    o.deposits = default_deposits(scenario.environment, groves);
    return run_monte_carlo(scenario.environment, groves, s, b, o);
  }
};

template <typename View>
concept ReadsTheta1 = requires(View v) {
  v.theta1;
};
template <typename View>
concept ReadsTheta2 = requires(View v) {
  v.theta2;
};
template <typename View>
concept ReadsOwnType = requires(View v) {
  v.theta;
};

// |estimate − exact| within two 95% half-widths (about four standard errors);
// the seeds are fixed, so the outcome is reproducible.
// `slack` adds the known numerical error of the exact side and of the
// mechanism's fast transfers.
void check_agrees(const Moments& m, double exact, double slack = 1e-12) {
  INFO("Monte Carlo " << m.mean() << " ± " << m.ci95() << ", exact " << exact);
  CHECK(std::abs(m.mean() - exact) <= 2 * m.ci95() + slack);
}

}  // namespace

TEST_CASE("moments keep a spread that is tiny against the mean", "[mc][moments]") {
  // x_k = 1/2 + 1e-10·(k mod 2) for k < n: mean 1/2 + 5e-11, and with n even the
  // sample variance is exactly (n/4)·1e-20/(n − 1). Raw sums Σx² − n x̄² lose
  // it entirely (1e-20 is far below the rounding of Σx² ≈ n/4).
  const int n = 100000;
  Moments one_pass;
  std::vector<Moments> chunks(7);
  for (int k = 0; k < n; ++k) {
    const double x = 0.5 + 1e-10 * (k % 2);
    one_pass.add(x);
    chunks[static_cast<std::size_t>(k) * 7 / n].add(x);
  }
  const double variance = 0.25 * n * 1e-20 / (n - 1);
  CHECK(std::abs(one_pass.variance() - variance) <= 1e-6 * variance);
  CHECK(std::abs(one_pass.mean() - (0.5 + 5e-11)) <= 1e-16);
  // Merged from chunks, in order: the same figures.
  Moments merged;
  for (const Moments& c : chunks)
    merged.merge(c);
  CHECK(merged.count == n);
  CHECK(std::abs(merged.variance() - variance) <= 1e-6 * variance);
  CHECK(std::abs(merged.mean() - one_pass.mean()) <= 1e-16);
  CHECK(std::abs(merged.total() - n * (0.5 + 5e-11)) <= 1e-9);
  CHECK(merged.ci95() > 0);
  // Merging into and from an empty set changes nothing.
  Moments copy = merged;
  copy.merge(Moments{});
  CHECK(copy.mean() == merged.mean());
  CHECK(copy.variance() == merged.variance());
}

TEST_CASE("Monte Carlo means agree with the exact interim analysis", "[mc]") {
  // Truthful Groves: Ui(θi) = Wi(θi) − ES/2 + ℓi (MODEL.md §3.1), so
  // E[U1] = ES/2 + ℓ1, E[U2] = ES/2 + ℓ2, and the seller's gain over his
  // realised outside option v1(θ) has mean ES/2 + ℓ1 − E[v1].
  auto check_scenario = [](const Scenario& scenario, double trade_probability) {
    const Bench bench(scenario);
    const auto result = bench.run({}, {}, 400'000);
    const Tally& t = result.tally;
    const double ES = bench.expectations.ES().value;
    const double l1 = bench.groves.lump_sums().seller.value;
    const double l2 = bench.groves.lump_sums().buyer.value;
    const Environment& env = bench.scenario.environment;
    const double Ev1 =
        expect(env.Theta1,
               [&](TypeView a) { return bench.expectations.seller_outside_option(a).value; }, {},
               {})
            .value;
    const double slack = bench.groves.batch_transfer_error() + 1e-12;
    check_agrees(t.utility1, ES / 2 + l1, slack);
    check_agrees(t.utility2, ES / 2 + l2, slack);
    check_agrees(t.gain1, ES / 2 + l1 - Ev1, slack);
    check_agrees(t.first_best, ES);
    check_agrees(t.traded, trade_probability);
    CHECK(t.decision_error.total() == 0);
  };
  SECTION("Theorem 1: lemons") {
    // Trade iff v2 − v1 = 0.2 − 0.4 θ1 > 0, i.e. θ1 < 1/2.
    check_scenario(load_scenario("lemons"), 0.5);
  }
  SECTION("Theorem 1: lemons-finite") {
    // Trade at the grades 0 and 0.25 (v2 − v1 = 0.2, 0.1), probabilities 0.1 + 0.2.
    check_scenario(load_scenario("lemons-finite"), 0.3);
  }
  SECTION("Proposition 1, Case 2 (γ1 = 0.3 < γ2 = 0.6)") {
    // Trade iff θ2 > c θ1 with c = (1 − γ2)/(1 − γ1) = 4/7 < 1: probability 1 − c/2.
    check_scenario(load_scenario("two-sided-linear"), 1 - (4.0 / 7) / 2);
  }
  SECTION("Proposition 1, Case 1 (γ1 = 0.6 > γ2 = 0.2)") {
    // c = 0.8/0.4 = 2 > 1: θ2 > 2θ1 has probability 1/(2c) = 1/4.
    check_scenario(load_scenario("two-sided-linear", {{"gamma1", 0.6}, {"gamma2", 0.2}}), 0.25);
  }
}

TEST_CASE("the budget balances on the truthful path and money is conserved", "[mc]") {
  const Bench bench(load_scenario("two-sided-linear"));
  const Tally t = bench.run({}, {}, 200'000).tally;
  CHECK(t.max_imbalance < 1e-12);
  CHECK(t.burned.total() == 0);
  CHECK(t.shortfall_plays == 0);
  CHECK(std::abs(t.conservation_gap()) <= 1e-9 * t.deposits);
}

TEST_CASE("the ledger records shortfalls and conserves money", "[ledger]") {
  Ledger ledger;
  // The seller owes 3 but lodged 1: he is paid nothing, 2 falls short, and the
  // mediator pays the buyer's 1 + 3 out of 2 deposits and a deficit of 2.
  const Settlement s = ledger.settle(1.0, 1.0, -3.0, 3.0);
  CHECK(s.payout1 == 0.0);
  CHECK(s.shortfall1 == 2.0);
  CHECK(s.payout2 == 4.0);
  CHECK(s.deficit == 2.0);
  CHECK(s.burned == 0.0);
  // Transfers that sum to −0.5: the mediator keeps (burns) 0.5.
  const Settlement b = ledger.settle(2.0, 2.0, -1.0, 0.5);
  CHECK(b.burned == 0.5);
  CHECK(b.payout1 == 1.0);
  CHECK(b.payout2 == 2.5);
  CHECK(ledger.shortfall() == 2.0);
  CHECK(ledger.imbalance() == 0.0);

  SECTION("in play: a lying buyer with a small deposit") {
    // Payoff lies move the seller's Groves transfer (t1 = u2^r − h1 + ℓ1); with
    // the seller's deposit near zero, some plays leave him owing money.
    const Bench bench(load_scenario("two-sided-linear"));
    const Agent seller(1, bench.scenario.environment, {});
    const Agent buyer(2, bench.scenario.environment, parse_strategy({"payoff=constant:0"}));
    MonteCarloOptions o;
    o.plays = 100'000;
    o.deposits = {0.01, 10.0};
    const Tally t =
        run_monte_carlo(bench.scenario.environment, bench.groves, seller, buyer, o).tally;
    CHECK(t.shortfall_plays > 0);
    CHECK(t.shortfall.total() > 0);
    CHECK(std::abs(t.conservation_gap()) <= 1e-9 * (t.deposits + t.payouts));
    CHECK(t.max_imbalance > 0.1);  // the lie unbalances the budget
  }
}

TEST_CASE("results are bit-identical across thread counts", "[mc][determinism]") {
  const Bench bench(load_scenario("two-sided-linear"));
  const Strategy trembling = parse_strategy({"report=tremble:0.1", "payoff=tremble:0.05"});
  // 300,000 plays are 5 chunks of 65,536, the last one partial.
  const auto one = bench.run(trembling, trembling, 300'000, 1);
  for (int threads : {2, 8}) {
    const auto many = bench.run(trembling, trembling, 300'000, threads);
    INFO(threads << " threads");
    // Every figure of the tally, moments and type bins included, bit for bit.
    CHECK(serialize(many.tally) == serialize(one.tally));
    CHECK(many.tally.utility1.mean() == one.tally.utility1.mean());
  }
  // A different seed gives different plays.
  CHECK(bench.run(trembling, trembling, 300'000, 1, 12).tally.utility1.mean() !=
        one.tally.utility1.mean());
}

TEST_CASE("a misreporting seller earns less than a truthful one under Groves", "[mc]") {
  // Truth is optimal for the seller (BIC), and a shift of 0.2 changes the
  // decision on a set of positive probability. Same seed: common random
  // numbers, so the difference is measured on the same types and lotteries.
  const Bench bench(load_scenario("two-sided-linear"));
  const auto truthful = bench.run({}, {}, 200'000).tally.utility1;
  const auto lying = bench.run(parse_strategy({"report=shift:0.2"}), {}, 200'000).tally.utility1;
  INFO("truthful " << truthful.mean() << ", lying " << lying.mean());
  CHECK(lying.mean() < truthful.mean() - truthful.ci95() - lying.ci95());
}

TEST_CASE("strategies parse, compose and act as specified", "[strategy]") {
  const Strategy s =
      parse_strategy({"report=scale:0.5,shift:0.1;payoff=other", "participate=above:0.2"});
  CHECK(s.describe() == "participate=above:0.2;report=scale:0.5,shift:0.1;payoff=other");
  const Scenario scenario = load_scenario("lemons");
  const Agent seller(1, scenario.environment, s);
  Engine engine(1);
  const double theta[3] = {0.0, 0.5, 1.0};
  double report[3];
  seller.report_types(theta, 3, report, engine);
  CHECK(report[0] == Approx(0.1));   // 0.5·0 + 0.1
  CHECK(report[1] == Approx(0.35));  // 0.5·0.5 + 0.1
  CHECK(report[2] == Approx(0.6));   // 0.5·1 + 0.1
  std::uint8_t joins[3];
  seller.decide_participation(theta, 3, joins);
  CHECK((joins[0] == 0 && joins[1] == 1 && joins[2] == 1));
  // "other": after a trade the seller reports what keeping the good would
  // have paid him, v1 = θ1 (the buyer's type is the point 0 here).
  const std::uint8_t traded[3] = {1, 1, 0};
  const double payoff[3] = {0.0, 0.0, 1.0};
  double said[3];
  seller.report_payoffs({3, 1, theta, report, traded, payoff}, said, engine);
  CHECK(said[0] == Approx(0.0));
  CHECK(said[1] == Approx(0.5));
  CHECK(said[2] == Approx(0.0));  // no trade: the other decision pays him nothing
  // Reports stay in Θ1 = [0, 1].
  const Agent high(1, scenario.environment, parse_strategy({"report=shift:5"}));
  high.report_types(theta, 3, report, engine);
  CHECK(report[0] == 1.0);
  CHECK_THROWS_AS(parse_strategy({"report=shift"}), InputError);
  CHECK_THROWS_AS(parse_strategy({"report=other"}), InputError);
  CHECK_THROWS_AS(parse_strategy({"payoff=type:1"}), InputError);
  CHECK_THROWS_AS(parse_strategy({"report=tremble:2"}), InputError);
  CHECK_THROWS_AS(parse_strategy({"bid=shift:1"}), InputError);
  CHECK_THROWS_AS(Agent(1, scenario.environment, parse_strategy({"report=type:0.1/0.2"})),
                  InputError);
}

TEST_CASE("the stage-2 view carries the agent's own information only", "[privacy]") {
  // An agent's stage-2 move receives a StageTwoView and nothing else; the view
  // holds its own type, report and payoff and the public decision: two sizes
  // and four pointers, so no field could carry the other agent's type or report.
  static_assert(std::is_same_v<decltype(&Agent::report_payoffs),
                               void (Agent::*)(const StageTwoView&, double*, Engine&) const>);
  static_assert(sizeof(StageTwoView) == 2 * sizeof(std::size_t) + 4 * sizeof(void*));
  static_assert(!ReadsTheta1<StageTwoView> && !ReadsTheta2<StageTwoView>);
  static_assert(ReadsOwnType<StageTwoView>);  // the probe itself works
  SUCCEED("checked at compile time; tests/privacy_violation.cpp must fail to compile");
}

TEST_CASE("twostage run prints the documented JSON", "[cli][run]") {
  const auto result = testing::run_twostage(
      {"run", "two-sided-linear", "--plays", "100000", "--seed", "5", "--json", "--threads", "2"});
  REQUIRE(result.exit_code == 0);
  const auto j = nlohmann::json::parse(result.out);
  CHECK(j["plays"] == 100000);
  CHECK(j["seed"] == 5);
  for (const char* key : {"trade_rate", "efficiency", "burned"}) {
    INFO(key);
    CHECK(j[key]["ci95"].size() == 2);
  }
  CHECK(j["budget"]["max_imbalance"].get<double>() < 1e-12);
  for (const char* agent : {"seller", "buyer"}) {
    CHECK(j["agents"][agent]["mean_utility"]["ci95"].size() == 2);
    CHECK(j["agents"][agent]["mean_gain_over_outside_option"].contains("value"));
  }
  // The same run with one thread prints the same bytes.
  const auto single = testing::run_twostage(
      {"run", "two-sided-linear", "--plays", "100000", "--seed", "5", "--json", "--threads", "1"});
  CHECK(single.out == result.out);
}

TEST_CASE("twostage run writes its files with --out", "[cli][run]") {
  const std::string dir = testing::write_temp_file("placeholder", "") + "-run";
  const auto result =
      testing::run_twostage({"run", "lemons-finite", "--plays", "1000", "--out", dir, "--records"});
  REQUIRE(result.exit_code == 0);
  std::ifstream plays(dir + "/plays.csv");
  std::string header, line;
  std::getline(plays, header);
  CHECK(header.rfind("play,theta1,theta2,joined", 0) == 0);
  int rows = 0;
  while (std::getline(plays, line))
    ++rows;
  CHECK(rows == 1000);
  CHECK(std::filesystem::exists(dir + "/run.json"));
  CHECK(std::filesystem::exists(dir + "/slack_by_type.csv"));
  CHECK_FALSE(std::filesystem::exists(dir + "/plays.csv.partial"));
}

TEST_CASE("twostage run refuses bad input", "[cli][run][bad-input]") {
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
      {{"run", "--plays", "0"}, "at least 1"},
      {{"run", "--plays", "-5"}, "at least 1"},
      {{"run", "--seed", "abc"}, "--seed"},
      {{"run", "--threads", "0"}, "at least 1"},
      {{"run", "--seller", "report=shfit:0.1"}, "unknown report rule 'shfit:0.1'"},
      {{"run", "--buyer", "payoff=scale"}, "needs a value"},
      {{"run", "--buyer", "payoff=scale:x"}, "not a finite number"},
      {{"run", "--records"}, "--records needs --out"},
  };
  for (const auto& [args, expected] : cases) {
    const auto result = testing::run_twostage(args);
    INFO(args.back() << ": " << result.err);
    CHECK(result.exit_code == 2);
    CHECK(result.out.empty());
    CHECK(std::count(result.err.begin(), result.err.end(), '\n') == 1);
    CHECK(result.err.find(expected) != std::string::npos);
  }
}

TEST_CASE("Ctrl-C stops a run promptly and prints nothing", "[cli][run]") {
  std::string plays = "100000000000";
  std::vector<std::string> storage = {TWOSTAGE_EXE, "run", "lemons", "--plays", plays};
  std::vector<char*> argv;
  for (auto& s : storage)
    argv.push_back(s.data());
  argv.push_back(nullptr);
  const std::string out_path = testing::write_temp_file("interrupted.out", "");
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, out_path.c_str(), O_WRONLY | O_TRUNC,
                                   0);
  posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, "/dev/null", O_WRONLY, 0);
  pid_t pid = 0;
  REQUIRE(posix_spawn(&pid, TWOSTAGE_EXE, &actions, nullptr, argv.data(), environ) == 0);
  posix_spawn_file_actions_destroy(&actions);
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  const auto start = std::chrono::steady_clock::now();
  kill(pid, SIGINT);
  int status = 0;
  waitpid(pid, &status, 0);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  CHECK(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 130);
  CHECK(seconds < 5.0);  // one chunk of plays per thread at most
  CHECK(std::filesystem::file_size(out_path) == 0);
}

namespace {

// Groves whose batch transfers (used in play) pay the seller 0.05 more than
// its single-play transfers (used by the exact analysis): a bug of the kind
// the Monte Carlo check exists to catch.
class InconsistentGroves final : public Mechanism {
 public:
  explicit InconsistentGroves(const GrovesMechanism& groves) : groves_(groves) {}
  std::string name() const override { return "inconsistent"; }
  std::vector<MechanismParameterValue> parameters() const override { return {}; }
  bool two_stage() const override { return true; }
  double trade_probability(TypeView a, TypeView b) const override {
    return groves_.trade_probability(a, b);
  }
  Transfers transfers(TypeView a, TypeView b, bool traded, double u1, double u2) const override {
    return groves_.transfers(a, b, traded, u1, u2);
  }
  void transfers(const ReportBatch& reports, const std::uint8_t* traded, const double* u1,
                 const double* u2, double* t1, double* t2) const override {
    static_cast<const Mechanism&>(groves_).transfers(reports, traded, u1, u2, t1, t2);
    for (std::size_t i = 0; i < reports.size; ++i)
      t1[i] += 0.05;
  }

 private:
  const GrovesMechanism& groves_;
};

}  // namespace

TEST_CASE("verify's Monte Carlo check agrees with the exact analysis", "[mc][verify]") {
  MonteCarloOptions options;
  options.plays = 200'000;
  options.seed = 3;
  for (const char* name : {"lemons", "lemons-finite", "two-sided-linear", "lemons-2d"}) {
    INFO(name);
    const Bench bench(load_scenario(name));
    const MonteCarloCheck check = check_by_monte_carlo(bench.groves, bench.expectations, options);
    CHECK(check.agree);
    REQUIRE(check.comparisons.size() == 3);
    CHECK(check.max_imbalance < 1e-9);
  }
  SECTION("and catches play that departs from the mechanism's definition") {
    const Bench bench(load_scenario("lemons"));
    const InconsistentGroves broken(bench.groves);
    const MonteCarloCheck check = check_by_monte_carlo(broken, bench.expectations, options);
    CHECK_FALSE(check.agree);
    CHECK_FALSE(check.comparisons[0].agree);  // the seller's utility is off by 0.05
    CHECK(check.comparisons[2].agree);        // the decisions are untouched
  }
}

TEST_CASE("twostage verify carries its Monte Carlo check", "[cli][verify]") {
  const auto result =
      testing::run_twostage({"verify", "lemons", "--plays", "20000", "--seed", "4", "--json"});
  REQUIRE(result.exit_code == 0);
  const auto j = nlohmann::json::parse(result.out);
  CHECK(j["monte_carlo"]["plays"] == 20000);
  CHECK(j["monte_carlo"]["agree"] == true);
  CHECK(j["monte_carlo"]["comparisons"]["trade_rate"]["exact"]["value"].get<double>() ==
        Approx(0.5));
  const auto skipped = testing::run_twostage({"verify", "lemons", "--plays", "0", "--json"});
  REQUIRE(skipped.exit_code == 0);
  CHECK(nlohmann::json::parse(skipped.out)["monte_carlo"].is_null());
  const auto bad = testing::run_twostage({"verify", "lemons", "--plays", "-1"});
  CHECK(bad.exit_code == 2);
  CHECK(bad.out.empty());
}
