// tests/test_reproduce.cpp: `twostage reproduce paper` against the paper's closed forms.
#include <cmath>
#include <filesystem>
#include <string>

#include <unistd.h>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "sim/plot.hpp"
#include "tests/run_program.hpp"

using namespace twostage;
using twostage::testing::run_twostage;

namespace {

std::filesystem::path fresh_directory(const std::string& name) {
  const auto dir = std::filesystem::temp_directory_path() /
                   ("twostage-reproduce-" + std::to_string(::getpid())) / name;
  std::filesystem::remove_all(dir);
  return dir;
}

// Every check of one result lies within its error bound, and the verdict says so.
void require_reproduced(const nlohmann::json& result, std::size_t at_least) {
  REQUIRE(result["checks"].size() >= at_least);
  for (const auto& check : result["checks"]) {
    INFO(check.dump());
    const double difference =
        check["computed"]["value"].get<double>() - check["closed_form"].get<double>();
    CHECK(std::abs(difference) <= check["bound"].get<double>());
    CHECK(check["within"].get<bool>());
  }
  CHECK(result["verdict"]["reproduced"].get<bool>());
  CHECK(result["verdict"]["line"].get<std::string>().find("reproduced: max |difference|") !=
        std::string::npos);
}

}  // namespace

// One run serves every assertion. A 5 × 5 grid of gammas (both cases of
// Proposition 1, and the diagonal) keeps the suite's share to seconds; the
// default 9 × 9 grid checks the same formulas at more points.
TEST_CASE("reproduce paper agrees with Theorem 1 and Proposition 1 and draws its figures",
          "[reproduce]") {
  const auto out = fresh_directory("paper");
  const bool plots = gnuplot_available();
  std::vector<std::string> args = {"reproduce", "paper", "--json", "--gammas", "5"};
  if (plots) {
    args.push_back("--out");
    args.push_back(out.string());
  }
  const auto result = run_twostage(args);
  INFO(result.err);
  REQUIRE(result.exit_code == 0);
  const auto json = nlohmann::json::parse(result.out);

  // Theorem 1: four one-sided built-ins and the four one-sided files of
  // tests/data, three checks each (L1, L2, L1 + L2).
  require_reproduced(json["theorem_1"], 8 * 3);
  const auto& instances = json["theorem_1_instances"];
  for (const char* name : {"lemons", "lemons-2d", "lemons-finite", "trivial", "lemons-beta",
                           "lemons-normal", "trivial-finite", "grades-finite-2d"}) {
    bool found = false;
    for (const auto& i : instances)
      found = found || i.get<std::string>().rfind(std::string(name) + " (", 0) == 0;
    INFO(name);
    CHECK(found);
  }
  // In a trivial environment the sum is −min(v2 − v1) < 0 (trivial: a = 0.1).
  for (const auto& check : json["theorem_1"]["checks"]) {
    if (check["instance"] == "trivial" && check["quantity"] == "L1 + L2")
      CHECK(check["closed_form"].get<double>() == Approx(-0.1));
  }

  // Proposition 1: the 5 × 5 grid, six checks per pair, both cases present,
  // and L1 + L2 > 0 everywhere (no lump sum rescues IIR).
  require_reproduced(json["proposition_1"], 25 * 6);
  bool first_case = false, second_case = false;
  for (const auto& check : json["proposition_1"]["checks"]) {
    if (check["quantity"] != "L1 + L2")
      continue;
    CHECK(check["computed"]["value"].get<double>() > 0);
    first_case = first_case || check["gamma2"].get<double>() <= check["gamma1"].get<double>();
    second_case = second_case || check["gamma1"].get<double>() < check["gamma2"].get<double>();
  }
  CHECK(first_case);
  CHECK(second_case);

  if (!plots) {
    WARN("gnuplot is not installed (Debian package gnuplot-nox): figure checks skipped");
    return;
  }
  for (const char* file :
       {"theorem1.csv", "proposition1.csv", "reproduce.json", "proposition1-loss.dat",
        "proposition1-loss.gp", "proposition1-loss.png", "proposition1-loss.svg",
        "proposition1-difference.png", "closed-form-vs-computed.gp", "closed-form-vs-computed.png",
        "closed-form-vs-computed.svg"}) {
    INFO(file);
    CHECK(std::filesystem::file_size(out / file) > 0);
  }
}

TEST_CASE("reproduce takes only 'paper' and reports bad input on one line", "[reproduce]") {
  const auto result = run_twostage({"reproduce", "book"});
  CHECK(result.exit_code == 2);
  CHECK(result.out.empty());
}
