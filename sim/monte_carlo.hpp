// sim/monte_carlo.hpp: many plays of the two-stage game, aggregated.
//
// Reproducibility: the plays are cut into chunks of a fixed size whatever the
// number of threads. Chunk k draws from its own streams, seeded from (seed,
// k) (agents/random.hpp), sums its plays in order, and the chunk sums are
// added in chunk order at the end. So the same seed gives bit-identical
// results with 1, 2 or 8 threads. Threads come from OpenMP.
#pragma once

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <functional>
#include <ostream>
#include <vector>

#include "agents/agent.hpp"
#include "mechanisms/mechanism.hpp"
#include "sim/mediator.hpp"

namespace twostage {

// Running sums of one per-play quantity, for its mean and a 95% interval.
struct Moments {
  // Sums of x − shift, where shift is the first value added. Raw sums Σx
  // and Σx² lose the variance to cancellation when the spread is small
  // against the mean (a utility of 0.5 ± 1e-10 has Σx² − n x̄² = 0 in
  // doubles); sums shifted by a value from the same population keep it.
  double count = 0.0, shift = 0.0, sum = 0.0, sum_sq = 0.0;

  void add(double x) {
    if (count == 0.0)
      shift = x;
    count += 1.0;
    const double d = x - shift;
    sum += d;
    sum_sq += d * d;
  }
  // Adds another set's sums, moved to this set's shift; deterministic for
  // a fixed order of merges.
  void merge(const Moments& other);
  double mean() const { return count > 0 ? shift + sum / count : 0.0; }
  // Σx, the sum of the values added (a count, for 0/1 values, up to rounding).
  double total() const { return count * shift + sum; }
  // Σ(x − x̄)².
  double squared_deviations() const {
    return count > 0 ? std::max(0.0, sum_sq - sum * sum / count) : 0.0;
  }
  // The sample variance s², with n − 1 in the denominator.
  double variance() const { return count > 1 ? squared_deviations() / (count - 1) : 0.0; }
  // Half-width of the normal 95% interval of the mean, 1.96 s/√n.
  double ci95() const;
};

struct TypeBin {
  double low = 0.0, high = 0.0;
  Moments gain;  // U_i − U_i° of the plays whose type falls in [low, high)
};

// Sums over a set of plays. Utilities are realised: Ui = πi + ti for a play
// that took place, less nothing an agent could not pay (a shortfall beyond
// its deposit is not collected), and the outside option otherwise; the
// realised outside options are v1(θ) for the seller and 0 for the buyer.
struct Tally {
  std::uint64_t plays = 0;
  Moments joined;                        // both agents took part
  Moments traded, decision_error;        // q̂, and q̂ ≠ x*(θ)
  Moments realised_surplus, first_best;  // (1 − q̂)v1 + q̂v2, and S(θ)
  Moments surplus_lost;                  // S(θ) − realised, per play
  Moments imbalance;                     // t1 + t2
  double max_imbalance = 0.0;            // max |t1 + t2|
  Moments burned, deficit, shortfall;    // per play
  std::uint64_t shortfall_plays = 0;
  Moments utility1, utility2, gain1, gain2;
  std::vector<TypeBin> bins1, bins2;
  double deposits = 0.0, payouts = 0.0;  // ledger totals
  // deposits + deficit − payouts − burned: zero up to rounding when money is conserved.
  double conservation_gap() const { return deposits + deficit.total() - payouts - burned.total(); }

  void merge(const Tally& other);
};

// Chunks played between two ordered merges (per rank): bounds the memory of
// a run to this many per-chunk tallies, whatever its number of plays.
inline constexpr std::uint64_t kChunksPerRound = 256;

struct MonteCarloOptions {
  std::uint64_t plays = 1'000'000;
  std::uint64_t seed = 1;
  int threads = 1;
  std::size_t chunk = std::size_t{1} << 16;  // plays per chunk; part of the results' definition
  std::size_t batch = 1024;                  // plays per mediator call
  std::size_t type_bins = 10;
  Deposits deposits;
  // σ of the error on the payoffs agents observe (stress test; 0: exact).
  double observation_noise = 0.0;
  // Optional per-play CSV rows, written in play order.
  std::ostream* records = nullptr;
  // Polled between batches; a set flag stops the run early, and its result
  // is then incomplete (MonteCarloResult::interrupted).
  const std::atomic<bool>* cancel = nullptr;
  // Called after each chunk with the share of plays done (from any thread).
  // Chunks are played and merged kChunksPerRound × ranks at a time.
  std::function<void(double)> progress;
  // Several processes (MPI ranks): this one plays the chunks k with
  // k % ranks == rank, and `exchange` must then fill in the other chunks'
  // tallies (sim/parallel.hpp) before they are added in chunk order, so the
  // result does not depend on the number of ranks either.
  int rank = 0, ranks = 1;
  std::function<void(std::vector<Tally>&)> exchange;
  // Keep the cumulative figures after each chunk (for `run --plot`).
  bool record_convergence = false;
};

// Cumulative figures over the first `plays` plays, i.e. chunks 0..k merged.
struct ConvergencePoint {
  std::uint64_t plays = 0;
  Moments utility1, utility2, traded;
};

struct MonteCarloResult {
  Tally tally;
  bool interrupted = false;
  // One point per chunk, in chunk order, when options.record_convergence is
  // set. Taken from the same ordered merge as `tally`, so the last point is
  // the final result and the record changes no result.
  std::vector<ConvergencePoint> convergence;
};

// Deposits large enough that truthful play never falls short: four times the
// largest |vi| over Θ plus the lump sum (Groves pays at most a payoff report,
// S and two W terms, each bounded by max |v|).
Deposits default_deposits(const Environment& environment, const Mechanism& mechanism);

MonteCarloResult run_monte_carlo(const Environment& environment, const Mechanism& mechanism,
                                 const Agent& seller, const Agent& buyer,
                                 const MonteCarloOptions& options);

// A tally as a flat array of numbers (for sending between processes) and back;
// `shape` gives the bins' count and bounds.
std::vector<double> serialize(const Tally& tally);
Tally deserialize(const double* data, const Tally& shape);

// The header line of the per-play CSV.
std::string records_header(std::size_t m1, std::size_t m2);

}  // namespace twostage
