// bench/bench_search.cpp: the deviation search's screening sums and the game tree's best response.
//
// Issue 5's targets: 512 seller types × 512 reports × 2048 buyer nodes on
// two-sided-linear with Groves in under 0.5 s on 2 cores (about 10^9
// evaluations per second), and a best response whose time is linear in the
// number of tree nodes. Run:
//   build/release/bench/bench_search --benchmark_counters_tabular=true
// The screening benchmarks time the node sums with the tables already built
// (valuations on the nodes, the mechanism per report and node); building
// them is timed on its own, once, because it is what depends on the
// mechanism's cost per call (Groves integrates W inside transfers() on a
// continuous space) and on the valuations' form (built in or expression).
#include <benchmark/benchmark.h>

#include "mechanisms/groves.hpp"
#include "scenarios/scenario.hpp"
#include "sim/game_tree.hpp"
#include "sim/search.hpp"

namespace twostage {
namespace {

constexpr std::size_t kTypes = 512, kReports = 512, kNodes = 2048;

// two-sided-linear with its valuations written as expressions instead.
constexpr const char* kExpressionScenario = R"toml(
name = "two-sided-linear-expression"
description = "two-sided-linear with expression valuations"
[parameters.gamma1]
default = 0.3
range = "(0, 1)"
description = "weight of the buyer's type in the seller's value"
[parameters.gamma2]
default = 0.6
range = "(0, 1)"
description = "weight of the seller's type in the buyer's value"
[seller]
space = "interval"
distribution = "uniform"
low = 0
high = 1
[buyer]
space = "interval"
distribution = "uniform"
low = 0
high = 1
[valuations]
v1 = "theta1 + gamma1*theta2"
v2 = "theta2 + gamma2*theta1"
)toml";

struct Setup {
  Scenario scenario;
  Expectations expectations;
  GrovesMechanism groves;
  std::unique_ptr<DeviationEvaluator> evaluator;
  std::vector<Type> types, reports;

  explicit Setup(Scenario s, unsigned threads)
      : scenario(std::move(s)),
        expectations(scenario.environment),
        groves(scenario.environment, expectations) {
    SearchOptions options;
    options.nodes = kNodes;
    options.threads = threads;
    evaluator = make_exact_evaluator(groves, expectations, 1, options);
    types = scenario.environment.Theta1.grid(kTypes);
    reports = scenario.environment.Theta1.grid(kReports);
  }
};

Scenario builtin() {
  return load_scenario("two-sided-linear");
}
Scenario expression() {
  return parse_scenario(kExpressionScenario, "bench");
}

void screen(benchmark::State& state, Scenario (*make)(), unsigned threads) {
  Setup setup(make(), threads);
  GainTable table;
  setup.evaluator->screen(setup.types, setup.reports, table);  // builds the tables
  for (auto _ : state) {
    setup.evaluator->screen(setup.types, setup.reports, table);
    benchmark::DoNotOptimize(table.lower.data());
  }
  state.counters["evaluations/s"] = benchmark::Counter(
      static_cast<double>(kTypes * kReports * kNodes) * static_cast<double>(state.iterations()),
      benchmark::Counter::kIsRate);
}

void build_tables(benchmark::State& state, Scenario (*make)()) {
  for (auto _ : state) {
    Setup setup(make(), 2);
    GainTable table;
    setup.evaluator->screen(setup.types, setup.reports, table);
    benchmark::DoNotOptimize(table.lower.data());
  }
}

void tree_best_response(benchmark::State& state) {
  const Scenario scenario = builtin();
  const Expectations expectations(scenario.environment);
  const GrovesMechanism groves(scenario.environment, expectations);
  const GameTree tree = build_game_tree(groves, scenario.environment,
                                        {.types = static_cast<std::size_t>(state.range(0))});
  for (auto _ : state) {
    const TreeBestResponse br = best_response(tree, 1);
    benchmark::DoNotOptimize(br.exploitability);
  }
  state.counters["nodes"] = static_cast<double>(tree.size());
  state.counters["nodes/s"] =
      benchmark::Counter(static_cast<double>(tree.size()) * static_cast<double>(state.iterations()),
                         benchmark::Counter::kIsRate);
}

BENCHMARK_CAPTURE(screen, builtin_2_threads, &builtin, 2)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK_CAPTURE(screen, builtin_1_thread, &builtin, 1)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK_CAPTURE(screen, expression_2_threads, &expression, 2)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK_CAPTURE(build_tables, builtin, &builtin)->Unit(benchmark::kMillisecond)->Iterations(1);
BENCHMARK_CAPTURE(build_tables, expression, &expression)
    ->Unit(benchmark::kMillisecond)
    ->Iterations(1);
BENCHMARK(tree_best_response)->Arg(4)->Arg(8)->Arg(16)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace twostage

BENCHMARK_MAIN();
