// bench/bench_verify.cpp: `twostage verify` end to end on each built-in scenario.
//
// Each iteration loads the scenario, builds Groves (ES, L1, L2, W tables),
// runs the interim analysis with the command line's default options and
// forms the verdicts, i.e. everything `twostage verify NAME` computes except
// printing. Targets (issue 3): under 1 s for 1-D scenarios, under 10 s for
// lemons-2d.
#include <benchmark/benchmark.h>

#include "scenarios/scenario.hpp"
#include "sim/verify.hpp"

namespace twostage {
namespace {

void verify_builtin(benchmark::State& state, const std::string& name) {
  for (auto _ : state) {
    const Scenario scenario = load_scenario(name);
    const Verification v = verify(scenario);
    benchmark::DoNotOptimize(v.IIR.margin.value);
  }
}

void register_builtins() {
  for (const BuiltinScenario& builtin : builtin_scenarios()) {
    const std::string name(builtin.name);
    benchmark::RegisterBenchmark(("verify/" + name).c_str(), [name](benchmark::State& state) {
      verify_builtin(state, name);
    })->Unit(benchmark::kMillisecond);
  }
}

}  // namespace
}  // namespace twostage

int main(int argc, char** argv) {
  twostage::register_builtins();
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv))
    return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
