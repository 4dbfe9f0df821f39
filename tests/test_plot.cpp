// tests/test_plot.cpp: --plot on verify, search, run and compare, and the heatmap.
#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include <unistd.h>

#include <catch2/catch.hpp>

#include "sim/plot.hpp"
#include "tests/run_program.hpp"

using namespace twostage;
using twostage::testing::run_twostage;

namespace {

std::filesystem::path fresh_directory(const std::string& name) {
  const auto dir = std::filesystem::temp_directory_path() /
                   ("twostage-plot-" + std::to_string(::getpid())) / name;
  std::filesystem::remove_all(dir);
  return dir;
}

std::string slurp(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// The picture in both formats and the script beside it.
void require_figure(const std::filesystem::path& dir, const std::string& name) {
  for (const char* ext : {".gp", ".png", ".svg"}) {
    INFO(name + ext);
    REQUIRE(std::filesystem::exists(dir / (name + ext)));
    CHECK(std::filesystem::file_size(dir / (name + ext)) > 0);
  }
  CHECK(slurp(dir / (name + ".png")).substr(1, 3) == "PNG");
}

#define SKIP_WITHOUT_GNUPLOT()                                                          \
  if (!gnuplot_available()) {                                                           \
    WARN("gnuplot is not installed (Debian package gnuplot-nox): figure test skipped"); \
    return;                                                                             \
  }

}  // namespace

TEST_CASE("gnuplot strings cannot be ended by the text they quote", "[plot]") {
  CHECK(gnuplot_string("lemons") == "'lemons'");
  CHECK(gnuplot_string("it's") == "'it''s'");
  CHECK(gnuplot_string("a\n!rm x") == "'a !rm x'");
}

TEST_CASE("verify --plot draws the slack curves after the report", "[plot]") {
  SKIP_WITHOUT_GNUPLOT();
  const auto dir = fresh_directory("verify");
  const auto r = run_twostage({"verify", "two-sided-linear", "--plays", "0", "--plot", dir});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(!r.out.empty());
  require_figure(dir, "slack");
  CHECK(slurp(dir / "slack-seller.csv").rfind("x,U,U_error,outside_option", 0) == 0);
  CHECK(std::filesystem::exists(dir / "worst-off-buyer.csv"));
}

TEST_CASE("search --plot draws the gain brackets", "[plot]") {
  SKIP_WITHOUT_GNUPLOT();
  const auto dir = fresh_directory("search");
  const auto r = run_twostage(
      {"search", "lemons", "--types", "5", "--reports", "9", "--nodes", "33", "--plot", dir});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  require_figure(dir, "gain");
  CHECK(std::filesystem::exists(dir / "gain-seller.csv"));
}

TEST_CASE("run --plot draws the convergence of the estimates", "[plot]") {
  SKIP_WITHOUT_GNUPLOT();
  const auto dir = fresh_directory("run");
  const auto r = run_twostage(
      {"run", "lemons", "--plays", "200000", "--threads", "2", "--plot", dir, "--json"});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  require_figure(dir, "convergence");
  // One row per chunk of 65,536 plays, the last at the total.
  const std::string data = slurp(dir / "convergence.csv");
  CHECK(std::count(data.begin(), data.end(), '\n') == 1 + 4);
  CHECK(data.find("\n200000,") != std::string::npos);
}

TEST_CASE("the convergence record changes no result", "[plot]") {
  const auto plain = run_twostage({"run", "lemons", "--plays", "70000", "--json"});
  REQUIRE(plain.exit_code == 0);
  if (!gnuplot_available())
    return;
  const auto dir = fresh_directory("run-same");
  const auto plotted = run_twostage({"run", "lemons", "--plays", "70000", "--json", "--plot", dir});
  REQUIRE(plotted.exit_code == 0);
  CHECK(plain.out == plotted.out);
}

TEST_CASE("compare --plot draws the table as grouped bars", "[plot]") {
  SKIP_WITHOUT_GNUPLOT();
  const auto dir = fresh_directory("compare");
  const auto r = run_twostage({"compare", "trivial", "--mechanisms", "groves,shoot-the-liar",
                               "--plays", "20000", "--plot", dir});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  require_figure(dir, "compare");
  CHECK(slurp(dir / "compare-bars.csv").rfind("figure,groves", 0) == 0);
}

TEST_CASE("plot_heatmap writes its data, script and pictures", "[plot]") {
  SKIP_WITHOUT_GNUPLOT();
  const auto dir = fresh_directory("heatmap");
  Heatmap h{.title = "test: x*y",
            .x_label = "x",
            .y_label = "y",
            .z_label = "x*y",
            .points = {},
            .cell_labels = true};
  for (double x : {0.25, 0.5, 0.75})
    for (double y : {0.1, 0.2})
      h.points.push_back({x, y, x * y});
  h.points.pop_back();  // a missing cell is drawn blank
  plot_heatmap(h, dir.string(), "product");
  require_figure(dir, "product");
  CHECK(slurp(dir / "product.dat").find("0.75,0.2,NaN") != std::string::npos);
}

TEST_CASE("sweep --plot draws a curve over one axis and a heatmap over two", "[plot]") {
  SKIP_WITHOUT_GNUPLOT();
  const auto dir = fresh_directory("sweep");
  const auto one = run_twostage({"sweep", "two-sided-linear", "--plays", "0", "--metrics",
                                 "L1+L2,BIC,lump_sum_feasible", "--grid", "gamma1=0.2:0.6:3",
                                 "--out", dir / "one", "--plot", dir / "one-figures"});
  INFO(one.err);
  REQUIRE(one.exit_code == 0);
  require_figure(dir / "one-figures", "sweep-L1+L2");
  require_figure(dir / "one-figures", "sweep-lump_sum_feasible");
  // A verdict is a word: no figure, and stderr says so.
  CHECK_FALSE(std::filesystem::exists(dir / "one-figures" / "sweep-BIC.png"));
  CHECK(one.err.find("no figure for BIC") != std::string::npos);
  const std::string curve = slurp(dir / "one-figures" / "sweep-L1+L2.csv");
  CHECK(curve.rfind("gamma1,L1+L2,error\n", 0) == 0);
  CHECK(std::count(curve.begin(), curve.end(), '\n') == 4);

  const auto two = run_twostage({"sweep", "two-sided-linear", "--plays", "0", "--metrics", "L1+L2",
                                 "--grid", "gamma1=0.2:0.6:3", "--grid", "gamma2=0.3:0.5:2",
                                 "--out", dir / "two", "--plot", dir / "two-figures"});
  INFO(two.err);
  REQUIRE(two.exit_code == 0);
  require_figure(dir / "two-figures", "sweep-L1+L2");
  // Three x blocks of two y rows, blank lines between blocks.
  const std::string grid = slurp(dir / "two-figures" / "sweep-L1+L2.dat");
  CHECK(grid.find("0.6,0.5,") != std::string::npos);
  CHECK(std::count(grid.begin(), grid.end(), '\n') == 1 + 3 * 3);

  // Three axes cannot be drawn: refused before anything is computed.
  const auto three = run_twostage({"sweep", "lemons-2d", "--plays", "0", "--grid", "a=0:0.1:2",
                                   "--grid", "b1=0:0.1:2", "--grid", "b2=0:0.1:2", "--out",
                                   dir / "three", "--plot", dir / "three-figures"});
  CHECK(three.exit_code == 2);
  CHECK(three.out.empty());
  CHECK(three.err.find("this sweep has 3") != std::string::npos);
  CHECK_FALSE(std::filesystem::exists(dir / "three"));
}

TEST_CASE("plotting without gnuplot exits 2 naming the package, with nothing on stdout", "[plot]") {
  const std::string saved = std::getenv("PATH") ? std::getenv("PATH") : "";
  const auto empty = fresh_directory("no-path");
  std::filesystem::create_directories(empty);
  ::setenv("PATH", empty.c_str(), 1);
  const auto r = run_twostage({"verify", "lemons", "--plays", "0", "--plot", empty / "figs"});
  ::setenv("PATH", saved.c_str(), 1);
  CHECK(r.exit_code == 2);
  CHECK(r.out.empty());
  CHECK(r.err.find("gnuplot-nox") != std::string::npos);
  CHECK(!std::filesystem::exists(empty / "figs"));
}
