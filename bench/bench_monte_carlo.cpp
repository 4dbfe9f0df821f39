// bench/bench_monte_carlo.cpp: plays per second of Monte Carlo play.
//
// Two-sided-linear with Groves, both agents truthful, 1 and 2 threads:
//   agent_based  the mediator, the agents and the Groves mechanism of sim/,
//                agents/ and mechanisms/, exactly as `twostage run` uses them;
//   hand_loop    the same plays (same streams, same statistics) written as one
//                plain loop with W1 and W2 in closed form (paper, eqs. (7), (9)).
// items_per_second is plays per second.
#include <benchmark/benchmark.h>
#include <omp.h>

#include <algorithm>
#include <cmath>

#include <boost/random/uniform_01.hpp>

#include "agents/agent.hpp"
#include "mechanisms/groves.hpp"
#include "scenarios/scenario.hpp"
#include "sim/monte_carlo.hpp"

namespace twostage {
namespace {

constexpr std::uint64_t kPlays = 1u << 23;
constexpr double kGamma1 = 0.3, kGamma2 = 0.6;

struct Setup {
  Scenario scenario = load_scenario("two-sided-linear", {{"gamma1", kGamma1}, {"gamma2", kGamma2}});
  Expectations expectations{scenario.environment};
  GrovesMechanism groves{scenario.environment, expectations};
  Agent seller{1, scenario.environment, Strategy{}};
  Agent buyer{2, scenario.environment, Strategy{}};
  Setup() { groves.batch_transfer_error(); }  // builds the W interpolants outside the timing
};

Setup& setup() {
  static Setup s;
  return s;
}

void BM_agent_based(benchmark::State& state) {
  Setup& s = setup();
  MonteCarloOptions options;
  options.plays = kPlays;
  options.threads = static_cast<int>(state.range(0));
  options.deposits = default_deposits(s.scenario.environment, s.groves);
  for (auto _ : state) {
    const auto result =
        run_monte_carlo(s.scenario.environment, s.groves, s.seller, s.buyer, options);
    benchmark::DoNotOptimize(result.tally.utility1.mean());
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * kPlays));
}

// The closed forms of W for γ1 < γ2 and γ1 ≥ γ2 alike: (9) and (7) while the
// efficient cut-off lies inside [0, 1], and E[v1], E[v2] beyond it.
double W1(double a) {
  return (1 - kGamma2) / (1 - kGamma1) * a <= 1
             ? 0.5 + kGamma2 * a + 0.5 * (1 - kGamma2) * (1 - kGamma2) / (1 - kGamma1) * a * a
             : a + kGamma1 / 2;
}
double W2(double b) {
  return (1 - kGamma1) / (1 - kGamma2) * b <= 1
             ? 0.5 + kGamma1 * b + 0.5 * (1 - kGamma1) * (1 - kGamma1) / (1 - kGamma2) * b * b
             : b + kGamma2 / 2;
}

void BM_hand_loop(benchmark::State& state) {
  Setup& s = setup();
  const double l1 = s.groves.lump_sums().seller.value, l2 = s.groves.lump_sums().buyer.value;
  const std::uint64_t chunk = std::uint64_t{1} << 16, chunks = kPlays / chunk;
  for (auto _ : state) {
    std::vector<Tally> tallies(chunks);
#pragma omp parallel for schedule(dynamic, 1) num_threads(static_cast <int>(state.range(0)))
    for (std::int64_t c = 0; c < static_cast<std::int64_t>(chunks); ++c) {
      Engine nature = make_engine(1, c, Stream::kNature),
             lottery = make_engine(1, c, Stream::kLottery);
      boost::random::uniform_01<double> u;
      Tally& t = tallies[c];
      for (std::uint64_t i = 0; i < chunk; ++i) {
        const double a = u(nature), b = u(nature);
        const double v1 = a + kGamma1 * b, v2 = b + kGamma2 * a;
        const bool traded = u(lottery) < (v2 > v1 ? 1.0 : 0.0);
        const double pi1 = traded ? 0.0 : v1, pi2 = traded ? v2 : 0.0;
        const double S = std::max(v1, v2), w1 = W1(a), w2 = W2(b);
        const double t1 = pi2 - 0.5 * (S - w1 + w2) + l1, t2 = pi1 - 0.5 * (S - w2 + w1) + l2;
        t.traded.add(traded);
        t.realised_surplus.add(traded ? v2 : v1);
        t.first_best.add(S);
        t.imbalance.add(t1 + t2);
        t.max_imbalance = std::max(t.max_imbalance, std::abs(t1 + t2));
        t.utility1.add(pi1 + t1);
        t.utility2.add(pi2 + t2);
        t.gain1.add(pi1 + t1 - v1);
      }
    }
    double total = 0.0;
    for (const Tally& t : tallies)
      total += t.utility1.mean();
    benchmark::DoNotOptimize(total);
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * kPlays));
}

BENCHMARK(BM_agent_based)->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_hand_loop)->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace
}  // namespace twostage

BENCHMARK_MAIN();
