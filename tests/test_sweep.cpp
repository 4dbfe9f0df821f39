// tests/test_sweep.cpp: `twostage sweep`: grids, closed forms, resume after SIGKILL, bad input.
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>
#include <catch2/catch.hpp>

#include "scenarios/error.hpp"
#include "sim/json.hpp"
#include "sim/sweep.hpp"
#include "tests/run_program.hpp"

extern char** environ;

namespace twostage {
namespace {

using testing::run_twostage;
using testing::write_temp_file;
namespace fs = std::filesystem;

// A fresh directory in the test's temporary directory.
fs::path fresh_dir(const std::string& name) {
  const fs::path dir = fs::path(write_temp_file(name + ".anchor", "")).parent_path() / name;
  fs::remove_all(dir);
  return dir;
}

std::string slurp(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

std::size_t point_files(const fs::path& dir) {
  std::size_t n = 0;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir / "points", ec))
    n += entry.path().extension() == ".json";
  return n;
}

// Proposition 1 (MODEL.md §3.1, the paper's (3)-(6)): L1 and L2 of
// generalized Groves in the two-sided linear-uniform environment.
std::pair<double, double> proposition1(double g1, double g2) {
  if (g2 <= g1) {
    const double common = g1 / 4 + (1 - g1) * (1 - g1) / (12 * (1 - g2));
    return {0.25 + common, -0.25 + common};
  }
  const double common = g2 / 4 + (1 - g2) * (1 - g2) / (12 * (1 - g1));
  return {-(g2 - g1) * (g2 - g1) / (2 * (1 - g1)) + 0.25 + common, -0.25 + common};
}

TEST_CASE("grid axes: evenly spaced values with both ends exact") {
  const GridAxis axis = parse_grid_axis("gamma1=0.05:0.95:19");
  CHECK(axis.parameter == "gamma1");
  CHECK(axis.count == 19);
  CHECK(axis.value(0) == 0.05);
  CHECK(axis.value(18) == 0.95);
  CHECK(axis.value(9) == 0.5);
  CHECK(axis.value(15) == 0.8);  // rounded, not 0.7999999999999999
  CHECK(parse_grid_axis("x=-1:2e0:1").value(0) == -1.0);
  CHECK(parse_grid_axis("x=0.5:0.5:3").value(2) == 0.5);

  for (const char* bad :
       {"gamma1=0.1:0.9", "gamma1=0.1:0.9:3:4", "=0.1:0.9:3", "gamma1", "gamma1=a:0.9:3",
        "gamma1=0.1:0.9:x", "gamma1=0.1:0.9:2.5", "gamma1=0.1:0.9:0", "gamma1=0.1:0.9:-1",
        "gamma1=0.9:0.1:3", "gamma1=nan:0.9:3", "gamma1=0.1:inf:3", "gamma1=0.1:0.9:2000000", ""}) {
    INFO(bad);
    CHECK_THROWS_AS(parse_grid_axis(bad), InputError);
  }
}

TEST_CASE("grid points: row-major, the first axis slowest") {
  SweepOptions o;
  o.scenario = "two-sided-linear";
  o.out = "unused";
  o.grids = {parse_grid_axis("gamma1=0.2:0.6:3"), parse_grid_axis("gamma2=0.3:0.5:2")};
  const Sweep sweep(o);
  REQUIRE(sweep.size() == 6);
  CHECK(sweep.coordinates(0) == std::vector<double>{0.2, 0.3});
  CHECK(sweep.coordinates(1) == std::vector<double>{0.2, 0.5});
  CHECK(sweep.coordinates(5) == std::vector<double>{0.6, 0.5});
}

TEST_CASE("verify sweep of two-sided-linear matches Proposition 1 at every point") {
  const fs::path dir = fresh_dir("sweep-prop1");
  const auto r = run_twostage({"sweep", "two-sided-linear", "--grid", "gamma1=0.2:0.6:3", "--grid",
                               "gamma2=0.3:0.5:2", "--plays", "0", "--metrics", "L1,L2,L1+L2",
                               "--out", dir.string()});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  const Json sweep = Json::parse(slurp(dir / "sweep.json"));
  REQUIRE(sweep["points"].size() == 6);
  for (const Json& point : sweep["points"]) {
    const double g1 = point["parameters"]["gamma1"], g2 = point["parameters"]["gamma2"];
    const auto [L1, L2] = proposition1(g1, g2);
    INFO("gamma1 " << g1 << ", gamma2 " << g2);
    CHECK(point["metrics"]["L1"]["value"].get<double>() == Approx(L1).margin(1e-9));
    CHECK(point["metrics"]["L2"]["value"].get<double>() == Approx(L2).margin(1e-9));
    CHECK(point["metrics"]["L1+L2"]["value"].get<double>() == Approx(L1 + L2).margin(1e-9));
  }
  // Both cases of the proposition are on the grid.
  CHECK(sweep["points"][2]["parameters"]["gamma1"] == 0.4);
  CHECK(sweep["points"][2]["parameters"]["gamma2"] == 0.3);

  const std::string csv = slurp(dir / "sweep.csv");
  CHECK(csv.rfind("index,gamma1,gamma2,L1,L1_error,L2,L2_error,L1+L2,L1+L2_error\n", 0) == 0);
  CHECK(std::count(csv.begin(), csv.end(), '\n') == 7);
}

// Starts the program without waiting for it; stdout goes nowhere, stderr to
// `stderr_path`.
pid_t spawn_twostage(const std::vector<std::string>& args,
                     const std::string& stderr_path = "/dev/null") {
  std::vector<std::string> all = {TWOSTAGE_EXE};
  all.insert(all.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (std::string& a : all)
    argv.push_back(a.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 2, stderr_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                   0644);
  pid_t pid = -1;
  const int status = posix_spawn(&pid, TWOSTAGE_EXE, &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  REQUIRE(status == 0);
  return pid;
}

TEST_CASE("a sweep killed with SIGKILL and resumed equals an uninterrupted one byte for byte") {
  constexpr std::size_t kPoints = 8;
  const auto args = [](const fs::path& dir) {
    return std::vector<std::string>{"sweep",   "two-sided-linear", "--command", "run",
                                    "--grid",  "gamma1=0.1:0.7:4", "--grid",    "gamma2=0.3:0.6:2",
                                    "--plays", "150000",           "--seed",    "7",
                                    "--out",   dir.string()};
  };
  const fs::path whole = fresh_dir("sweep-whole"), killed = fresh_dir("sweep-killed");
  REQUIRE(run_twostage(args(whole)).exit_code == 0);

  // Kill once a random number of points (at least one, not all) is on disk.
  std::random_device seed;
  const std::size_t target = std::uniform_int_distribution<std::size_t>(1, kPoints - 2)(seed);
  INFO("killed after " << target << " points");
  const pid_t pid = spawn_twostage(args(killed));
  int status = 0;
  bool exited = false;
  while (point_files(killed) < target) {
    if (::waitpid(pid, &status, WNOHANG) == pid) {
      exited = true;
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  if (!exited) {
    ::kill(pid, SIGKILL);
    ::waitpid(pid, &status, 0);
  }
  REQUIRE_FALSE(exited);  // the run must not finish before the kill
  const std::size_t written = point_files(killed);
  CHECK(written >= target);
  CHECK(written < kPoints);
  CHECK_FALSE(fs::exists(killed / "sweep.csv"));

  const auto resumed = run_twostage(args(killed));
  INFO(resumed.err);
  REQUIRE(resumed.exit_code == 0);
  CHECK(resumed.out.find(std::to_string(kPoints - written) + " computed") != std::string::npos);
  CHECK(point_files(killed) == kPoints);
  CHECK(slurp(killed / "sweep.csv") == slurp(whole / "sweep.csv"));
  CHECK(slurp(killed / "sweep.json") == slurp(whole / "sweep.json"));
}

TEST_CASE("the number of threads changes no byte of a sweep") {
  // Points run on several threads finish in any order; the files must not
  // show it. Monte Carlo points (run) and exact ones (verify) alike.
  for (const std::string kind : {"run", "verify"}) {
    INFO(kind);
    const auto args = [&kind](const fs::path& dir, const char* threads) {
      return std::vector<std::string>{
          "sweep",  "two-sided-linear", "--command", kind,    "--grid",    "gamma1=0.1:0.7:3",
          "--grid", "gamma2=0.3:0.6:2", "--plays",   "70000", "--threads", threads,
          "--out",  dir.string()};
    };
    const fs::path one = fresh_dir("sweep-threads-1-" + kind);
    const fs::path three = fresh_dir("sweep-threads-3-" + kind);
    REQUIRE(run_twostage(args(one, "1")).exit_code == 0);
    const auto r = run_twostage(args(three, "3"));
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    CHECK(slurp(three / "sweep.csv") == slurp(one / "sweep.csv"));
    CHECK(slurp(three / "sweep.json") == slurp(one / "sweep.json"));
  }
}

TEST_CASE("a directory made by a different command is refused") {
  const fs::path dir = fresh_dir("sweep-mixed");
  const std::vector<std::string> base = {"sweep", "two-sided-linear", "--grid", "gamma1=0.2:0.4:2",
                                         "--out", dir.string()};
  const auto with = [&base](std::vector<std::string> extra) {
    extra.insert(extra.begin(), base.begin(), base.end());
    return extra;
  };
  const std::vector<std::string> first = {"--command", "run", "--plays", "2000"};
  REQUIRE(run_twostage(with(first)).exit_code == 0);
  const std::vector<std::vector<std::string>> others = {
      {"--command", "run", "--plays", "3000"},
      {"--command", "run", "--plays", "2000", "--seed", "2"},
      {"--command", "run", "--plays", "2000", "--metrics", "trade_rate"},
      {"--command", "run", "--plays", "2000", "--set", "gamma2=0.5"},
      {"--command", "run", "--plays", "2000", "--mechanism-param", "split=0.5"},
      {"--command", "verify", "--plays", "2000"},
  };
  for (const auto& other : others) {
    const auto r = run_twostage(with(other));
    INFO(other[other.size() - 2] << " " << other.back() << ": " << r.err);
    CHECK(r.exit_code == 2);
    CHECK(r.out.empty());
    CHECK(std::count(r.err.begin(), r.err.end(), '\n') == 1);
    CHECK(r.err.find("different sweep") != std::string::npos);
  }
  // The original command still resumes (with nothing left to do).
  CHECK(run_twostage(with(first)).exit_code == 0);
}

TEST_CASE("the manifest holds the version and the scenario's checksum; an edited file is refused") {
  const fs::path dir = fresh_dir("sweep-edited");
  const std::string original =
      slurp(fs::path(TWOSTAGE_SOURCE_DIR) / "scenarios" / "two-sided-linear.toml");
  const std::string file = write_temp_file("sweep-edited.toml", original);
  const std::vector<std::string> args = {"sweep",   file, "--grid", "gamma1=0.2:0.4:2",
                                         "--plays", "0",  "--out",  dir.string()};
  REQUIRE(run_twostage(args).exit_code == 0);
  const Json manifest = Json::parse(slurp(dir / "manifest.json"));
  CHECK(manifest["version"] == TWOSTAGE_VERSION);
  const std::string crc = manifest["scenario_crc32"];
  CHECK(crc.size() == 8);

  // The same file with one default changed: the points on disk came from the
  // old one, so resuming would mix two environments.
  write_temp_file("sweep-edited.toml", original + "\n# edited after the sweep\n");
  const auto r = run_twostage(args);
  INFO(r.err);
  CHECK(r.exit_code == 2);
  CHECK(r.out.empty());
  CHECK(r.err.find("differs in 'scenario_crc32'") != std::string::npos);

  // Restored, it resumes.
  write_temp_file("sweep-edited.toml", original);
  CHECK(run_twostage(args).exit_code == 0);
}

TEST_CASE("a resume removes the partial file of a killed writer") {
  const fs::path dir = fresh_dir("sweep-partial");
  const std::vector<std::string> args = {
      "sweep", "two-sided-linear", "--grid", "gamma1=0.2:0.4:2", "--plays", "0",
      "--out", dir.string()};
  REQUIRE(run_twostage(args).exit_code == 0);
  // What SIGKILL between open() and rename() leaves: NAME.tmp.PID of a
  // process that no longer exists (PIDs never reach INT_MAX on Linux).
  const fs::path stale = dir / "points" / "0000001.json.tmp.2147483647";
  const fs::path live = dir / "points" / fmt::format("0000001.json.tmp.{}", ::getpid());
  std::ofstream(stale) << "{";
  std::ofstream(live) << "{";
  REQUIRE(run_twostage(args).exit_code == 0);
  CHECK_FALSE(fs::exists(stale));
  CHECK(fs::exists(live));  // a running process's file is not touched
  fs::remove(live);
}

TEST_CASE("Ctrl-C stops a sweep after a point, keeps the points and says so") {
  const fs::path dir = fresh_dir("sweep-interrupted");
  const std::string err_path = (dir.parent_path() / "sweep-interrupted.err").string();
  const std::vector<std::string> args = {"sweep",  "two-sided-linear",  "--command", "run",
                                         "--grid", "gamma1=0.1:0.9:40", "--plays",   "200000",
                                         "--out",  dir.string()};
  const pid_t pid = spawn_twostage(args, err_path);
  int status = 0;
  bool exited = false;
  while (point_files(dir) < 1) {
    if (::waitpid(pid, &status, WNOHANG) == pid) {
      exited = true;
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  REQUIRE_FALSE(exited);
  ::kill(pid, SIGINT);
  ::waitpid(pid, &status, 0);
  REQUIRE(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 130);
  const std::size_t kept = point_files(dir);
  CHECK(kept >= 1);
  CHECK(kept < 40);
  const std::string err = slurp(err_path);
  INFO(err);
  CHECK(err.find(fmt::format("interrupted: {} of 40 points are saved in {}", kept, dir.string())) !=
        std::string::npos);
  CHECK(err.find("nothing was written") == std::string::npos);
  CHECK_FALSE(fs::exists(dir / "sweep.csv"));
}

TEST_CASE("bad sweep input exits 2 with one line on stderr and nothing on stdout") {
  const std::string file = write_temp_file("sweep-not-a-dir", "x");
  const std::string out = fresh_dir("sweep-bad").string();
  const std::vector<std::vector<std::string>> cases = {
      {"--grid", "gamma1=0.1:0.9"},
      {"--grid", "gamma1=low:0.9:3"},
      {"--grid", "gamma1=0.1:0.9:0"},
      {"--grid", "gamma1=0.9:0.1:3"},
      {"--grid", ""},
      {"--grid", "gamma1=0.1:0.9:1001", "--grid", "gamma2=0.1:0.9:1001"},
      {"--grid", "theta=0.1:0.9:3"},
      {"--grid", "gamma1=0:0.9:3"},
      {"--grid", "gamma1=0.1:0.9:3", "--grid", "gamma1=0.2:0.3:2"},
      {"--grid", "gamma1=0.1:0.9:3", "--metrics", "L1,bogus"},
      {"--grid", "gamma1=0.1:0.9:3", "--command", "plot"},
      {"--grid", "gamma1=0.1:0.9:3", "--mechanism", "nonesuch"},
  };
  for (auto args : cases) {
    args.insert(args.begin(), {"sweep", "two-sided-linear", "--out", out});
    const auto r = run_twostage(args);
    INFO(args[4] << " " << args[5] << ": " << r.err);
    CHECK(r.exit_code == 2);
    CHECK(r.out.empty());
    CHECK(std::count(r.err.begin(), r.err.end(), '\n') == 1);
  }
  // The enormous grid names its size; an unknown metric lists the allowed ones.
  auto r = run_twostage({"sweep", "two-sided-linear", "--out", out, "--grid", "gamma1=0.1:0.9:1001",
                         "--grid", "gamma2=0.1:0.9:1001"});
  CHECK(r.err.find("1002001 points") != std::string::npos);
  r = run_twostage({"sweep", "two-sided-linear", "--out", out, "--grid", "gamma1=0.1:0.9:3",
                    "--metrics", "bogus"});
  CHECK(r.err.find("allowed: L1, L2, L1+L2") != std::string::npos);

  // An output directory that cannot be created.
  r = run_twostage({"sweep", "two-sided-linear", "--grid", "gamma1=0.1:0.9:2", "--plays", "0",
                    "--out", file + "/sub"});
  CHECK(r.exit_code == 2);
  CHECK(r.out.empty());
  CHECK(std::count(r.err.begin(), r.err.end(), '\n') == 1);
}

}  // namespace
}  // namespace twostage
