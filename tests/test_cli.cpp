// tests/test_cli.cpp: the command line as a user meets it, through the executable.
//
// Bad input must give exit code 2, exactly one line on stderr that names the
// problem, and nothing on stdout.
#include <algorithm>
#include <regex>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "tests/run_program.hpp"

using twostage::testing::run_twostage;
using twostage::testing::write_temp_file;

namespace {

// A valid scenario file; each bad-input case replaces one piece of it.
const std::string kGoodScenario = R"toml(name = "test"
[parameters.k]
default = 0.5
range = "(0, 1)"
[seller]
space = "interval"
distribution = "uniform"
low = 0
high = 1
[buyer]
space = "finite"
points = [0, 1]
probabilities = [0.5, 0.5]
[valuations]
v1 = "theta1 + k*theta2"
v2 = "theta2 + k*theta1"
)toml";

std::string replace(std::string text, const std::string& from, const std::string& to) {
  const auto at = text.find(from);
  REQUIRE(at != std::string::npos);
  return text.replace(at, from.size(), to);
}

// Runs describe on `args` and checks the bad-input contract; `expected` must
// appear in the single stderr line.
void check_bad_input(const std::vector<std::string>& args, const std::string& expected) {
  const auto result = run_twostage(args);
  INFO("stderr: " << result.err);
  CHECK(result.exit_code == 2);
  CHECK(result.out.empty());
  CHECK(std::count(result.err.begin(), result.err.end(), '\n') == 1);
  CHECK(result.err.find(expected) != std::string::npos);
}

void check_bad_file(const std::string& name, const std::string& text, const std::string& expected) {
  check_bad_input({"describe", write_temp_file(name, text)}, expected);
}

}  // namespace

TEST_CASE("describe prints the documented JSON", "[cli]") {
  const auto result = run_twostage({"describe", "two-sided-linear", "--json", "--grid", "3"});
  REQUIRE(result.exit_code == 0);
  CHECK(result.err.empty());
  const auto json = nlohmann::json::parse(result.out);
  CHECK(json["sides"] == "two-sided");
  CHECK(json["trivial"] == false);
  CHECK(json["single_crossing"]["holds"] == true);
  CHECK(json["expected_surplus"]["value"].get<double>() == Approx(0.838095238095238));
  CHECK(json["expected_surplus"]["error"].get<double>() < 1e-9);
  CHECK(json["seller_table"].size() == 3);
  CHECK(json["buyer_table"][0]["W2"]["value"].get<double>() == Approx(0.5));
}

TEST_CASE("the default scenario is lemons", "[cli]") {
  const auto result = run_twostage({"describe"});
  REQUIRE(result.exit_code == 0);
  CHECK(result.out.find("Scenario lemons") == 0);
}

TEST_CASE("scenarios lists every built-in with its parameters", "[cli]") {
  const auto result = run_twostage({"scenarios", "--json"});
  REQUIRE(result.exit_code == 0);
  const auto json = nlohmann::json::parse(result.out);
  REQUIRE(json.size() == 5);
  CHECK(json[2]["name"] == "two-sided-linear");
  CHECK(json[2]["parameters"][0]["name"] == "gamma1");
  CHECK(json[2]["parameters"][0]["range"] == "(0, 1)");
}

TEST_CASE("a scenario file works wherever a built-in name does", "[cli]") {
  const auto path = write_temp_file("good.toml", kGoodScenario);
  const auto result = run_twostage({"describe", path, "--set", "k=0.25", "--json"});
  REQUIRE(result.exit_code == 0);
  const auto json = nlohmann::json::parse(result.out);
  CHECK(json["scenario"]["parameters"][0]["value"] == 0.25);
  CHECK(json["valuations"]["v1"] == "theta1 + k*theta2");
}

TEST_CASE("bad command lines are refused", "[cli][bad-input]") {
  check_bad_input({"describe", "no-such-scenario"}, "unknown scenario 'no-such-scenario'");
  check_bad_input({"describe", "missing/file.toml"}, "does not exist");
  check_bad_input({"describe", "lemons", "--set", "zzz=1"}, "no parameter 'zzz'");
  check_bad_input({"describe", "two-sided-linear", "--set", "gamma1=1"},
                  "outside the allowed range (0, 1)");
  check_bad_input({"describe", "two-sided-linear", "--set", "gamma1=nan"}, "not a finite number");
  check_bad_input({"describe", "two-sided-linear", "--set", "gamma1=inf"}, "not a finite number");
  check_bad_input({"describe", "lemons", "--set", "a"}, "expected name=value");
  check_bad_input({"describe", "lemons", "--grid", "0"}, "--grid");
  check_bad_input({"describe", "lemons-2d", "--grid", "1001"}, "1002001 table rows");
  check_bad_input({"describe", "--bogus"}, "--bogus");
  check_bad_input({"frobnicate"}, "frobnicate");
  check_bad_input({}, "subcommand is required");
}

TEST_CASE("bad scenario files are refused with file, line and key", "[cli][bad-input]") {
  check_bad_file("syntax.toml", replace(kGoodScenario, "low = 0", "low = = 0"),
                 "syntax.toml:8: malformed TOML");
  check_bad_file("unknown-key.toml", replace(kGoodScenario, "low = 0", "lwo = 0"),
                 "unknown-key.toml:8: seller.lwo: unknown key");
  check_bad_file("no-parse.toml", replace(kGoodScenario, "theta1 + k*theta2", "theta1 + * theta2"),
                 "valuations.v1");
  check_bad_file("unknown-var.toml",
                 replace(kGoodScenario, "theta2 + k*theta1", "theta2 + q*theta1"),
                 "unknown variable 'q'");
  check_bad_file("range.toml", replace(kGoodScenario, "default = 0.5", "default = 1.5"),
                 "parameters.k.default: 1.5 is outside the parameter's range (0, 1)");
  check_bad_file("empty.toml", replace(kGoodScenario, "high = 1", "high = 0"), "empty or inverted");
  check_bad_file("inverted.toml", replace(kGoodScenario, "high = 1", "high = -1"),
                 "empty or inverted");
  check_bad_file("negative.toml", replace(kGoodScenario, "[0.5, 0.5]", "[1.5, -0.5]"),
                 "probability -0.5 is not allowed");
  check_bad_file("sum.toml", replace(kGoodScenario, "[0.5, 0.5]", "[0.5, 0.6]"),
                 "probabilities sum to 1.1");
  check_bad_file("nan.toml", replace(kGoodScenario, "high = 1", "high = nan"),
                 "seller.high: nan is not allowed");
  check_bad_file("inf.toml", replace(kGoodScenario, "points = [0, 1]", "points = [0, inf]"),
                 "buyer.points: inf is not allowed");
  check_bad_file("nan-valuation.toml", replace(kGoodScenario, "theta1 + k*theta2", "log(theta1)"),
                 "valuations.v1 is -inf");
  check_bad_file("space.toml", replace(kGoodScenario, "space = \"interval\"", "space = \"ball\""),
                 "unknown type space 'ball'");
  check_bad_file("dist.toml", replace(kGoodScenario, "\"uniform\"", "\"cauchy\""),
                 "unknown distribution 'cauchy'");
}
