// bench/bench_expectations.cpp: tabulating W1 and W2 on a 1,000-point type grid.
//
// Two-sided-linear uses adaptive quadrature split at the cut-off (1-D types);
// lemons-2d uses randomised QMC for W2 over the seller's square and exact
// evaluation for W1 (the buyer's type is a point).
#include <benchmark/benchmark.h>

#include "scenarios/expectation.hpp"
#include "scenarios/scenario.hpp"

namespace twostage {
namespace {

constexpr std::size_t kGridPoints = 1000;

// kGridPoints types spread over the space: a line for 1-D, a 40 x 25 grid for 2-D.
std::vector<Type> grid_of(const TypeSpace& space) {
  std::vector<Type> grid;
  if (space.is_point())
    return std::vector<Type>(kGridPoints, space.points()[0]);
  if (space.dimension() == 1) {
    for (std::size_t i = 0; i < kGridPoints; ++i) {
      const double share = static_cast<double>(i) / (kGridPoints - 1);
      grid.push_back({space.lower(0) + share * (space.upper(0) - space.lower(0))});
    }
    return grid;
  }
  for (std::size_t i = 0; i < 40; ++i) {
    for (std::size_t j = 0; j < 25; ++j) {
      grid.push_back({space.lower(0) + (space.upper(0) - space.lower(0)) * i / 39.0,
                      space.lower(1) + (space.upper(1) - space.lower(1)) * j / 24.0});
    }
  }
  return grid;
}

void tabulate(benchmark::State& state, const char* scenario_name, int agent) {
  const Scenario scenario = load_scenario(scenario_name);
  const Expectations expectations(scenario.environment);
  const auto grid = grid_of(agent == 1 ? scenario.environment.Theta1 : scenario.environment.Theta2);
  for (auto _ : state) {
    double sum = 0.0;
    for (const Type& theta : grid) {
      sum += (agent == 1 ? expectations.W1(theta) : expectations.W2(theta)).value;
    }
    benchmark::DoNotOptimize(sum);
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * grid.size()));
}

void BM_W1_two_sided_linear(benchmark::State& s) {
  tabulate(s, "two-sided-linear", 1);
}
void BM_W2_two_sided_linear(benchmark::State& s) {
  tabulate(s, "two-sided-linear", 2);
}
void BM_W1_lemons_2d(benchmark::State& s) {
  tabulate(s, "lemons-2d", 1);
}
void BM_W2_lemons_2d(benchmark::State& s) {
  tabulate(s, "lemons-2d", 2);
}

BENCHMARK(BM_W1_two_sided_linear)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_W2_two_sided_linear)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_W1_lemons_2d)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_W2_lemons_2d)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace twostage

BENCHMARK_MAIN();
