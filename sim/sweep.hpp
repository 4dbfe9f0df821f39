// sim/sweep.hpp: `twostage sweep`, one command's figures over a grid of scenario parameters.
//
// The grid is the product of `--grid name=low:high:count` axes; the first axis
// varies slowest. Each point runs `verify`, `run`, `search` or `compare` on
// the scenario with the point's parameter values and keeps the chosen metrics.
// Every finished point is its own file, renamed into place, so a killed sweep
// loses at most the points in progress and a rerun resumes where it stopped.
// The final sweep.csv and sweep.json are assembled from the point files only,
// which makes a resumed sweep byte-identical to an uninterrupted one.
// docs/sweep.md documents the command and its files.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "scenarios/scenario.hpp"
#include "sim/json.hpp"

namespace twostage {

// Refused above this many points: a typo in a count should not start a
// sweep that would take weeks and fill a disk with point files.
inline constexpr std::size_t kMaxSweepPoints = 1'000'000;

// One `--grid name=low:high:count`: count evenly spaced values, ends included.
struct GridAxis {
  std::string parameter;
  double low = 0.0, high = 0.0;
  std::size_t count = 1;

  // The i-th value; the last one is exactly `high` (count 1 gives `low`).
  double value(std::size_t i) const;
};
// Parses one axis strictly; throws InputError naming what is wrong.
GridAxis parse_grid_axis(std::string_view text);

enum class SweepKind { kVerify, kRun, kSearch, kCompare };
// "verify", "run", "search", "compare"; anything else throws InputError.
SweepKind parse_sweep_kind(const std::string& text);
std::string to_string(SweepKind kind);

// A column of the sweep: where it sits in the command's JSON report.
struct SweepMetric {
  std::string name;
  std::string pointer;    // JSON pointer into the command's report
  bool estimate = false;  // an object with "value" (and "error" or "ci95")
  bool by_default = false;
  std::string description;
};
// Every metric `kind` offers, in their column order.
const std::vector<SweepMetric>& sweep_metrics(SweepKind kind);

struct SweepOptions {
  SweepKind kind = SweepKind::kVerify;
  std::string scenario;
  std::vector<std::string> sets;  // --set texts, applied at every point
  std::string mechanism{"groves"};
  std::vector<std::string> mechanism_parameters;  // --mechanism-param texts
  std::vector<GridAxis> grids;
  std::vector<std::string> metrics;  // empty: the kind's defaults
  std::int64_t plays = 100'000;      // run, compare; verify's Monte Carlo check (0 skips it)
  std::uint64_t seed = 1;
  std::string out;
  // Points computed at once in this process, each on one thread. Not part
  // of the manifest: no figure depends on it.
  int threads = 1;
};

// A validated sweep: construction checks every option (and loads the
// scenario once) so that bad input fails before any point is computed.
class Sweep {
 public:
  // Throws InputError for bad options, naming the option.
  explicit Sweep(SweepOptions options);

  std::size_t size() const { return size_; }
  // The parameter values of point `index`, one per axis.
  std::vector<double> coordinates(std::size_t index) const;
  // The record of one point: its index, parameter values and metrics. It
  // depends on nothing but the options and the index (fixed seeds), so
  // points can be computed in any order or on any process.
  Json compute_point(std::size_t index) const;
  // What identifies the sweep: a resume must match it exactly.
  const Json& manifest() const { return manifest_; }
  const std::vector<SweepMetric>& metrics() const { return metrics_; }
  const SweepOptions& options() const { return options_; }

 private:
  Json run_command(const Scenario& scenario) const;

  SweepOptions options_;
  std::vector<Override> sets_, mechanism_parameters_;
  std::vector<SweepMetric> metrics_;
  std::size_t size_ = 0;
  Json manifest_;
};

struct SweepSummary {
  std::size_t points = 0, computed = 0, resumed = 0;
  // Every point's record in grid order, on the process that wrote the
  // final files (rank 0 under mpirun); empty elsewhere.
  std::vector<Json> records;
};

// Runs the sweep into options().out: writes or checks manifest.json,
// computes the points not yet in DIR/points, then writes sweep.csv and
// sweep.json. Throws InputError for a directory that cannot be written or
// that holds a different sweep.
SweepSummary run_sweep(const Sweep& sweep);

// An estimate object's error: its own "error", or the half-width of its
// Monte Carlo "ci95"; null when it has neither.
Json estimate_error(const Json& estimate);

// The final files' text, from the point records in grid order.
std::string sweep_csv(const Sweep& sweep, const std::vector<Json>& points);
Json sweep_json(const Sweep& sweep, const std::vector<Json>& points);

}  // namespace twostage
