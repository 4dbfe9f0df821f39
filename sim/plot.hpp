// sim/plot.hpp: figures drawn by gnuplot, with their data and scripts kept.
//
// Every figure is three kinds of file in one directory: the data it shows
// (CSV with a header row, or whitespace columns for heatmaps), NAME.gp, the
// gnuplot script that draws it, and the pictures NAME.png and NAME.svg the
// script produced. The script reads its data by relative name, so a user can
// edit it and re-run `gnuplot NAME.gp` inside the directory. gnuplot runs as
// a child process with an argument vector (no shell), in that directory, and
// its stderr is captured for the error message. docs/plots.md lists the
// figures and their files.
//
// Callers compute everything first and plot last, so a failed computation
// never leaves figures behind; they call require_gnuplot() before the
// computation so that a missing gnuplot is reported at once.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "sim/json.hpp"

namespace twostage {

class Sweep;
struct Verification;
struct SearchResult;
struct RunReport;
struct Comparison;

// Whether an executable `gnuplot` is on PATH.
bool gnuplot_available();
// Throws InputError naming the Debian package when gnuplot is not on PATH.
void require_gnuplot(std::string_view option = "--plot");

// `text` as a gnuplot string literal: single quotes, with ' doubled, so a
// scenario name or path cannot end the literal and inject commands.
std::string gnuplot_string(std::string_view text);

struct DataFile {
  std::string name;  // relative to the figure's directory
  std::string text;
};

struct Figure {
  std::string name;  // NAME.gp, NAME.png, NAME.svg
  std::string title;
  std::vector<DataFile> data;
  // gnuplot commands that draw the figure once the terminal and output are
  // set; the script runs them once for PNG and once for SVG.
  std::string body;
  int width = 1000, height = 560;
};

// Writes the data, the script and both pictures into `directory` (created
// if needed). Throws InputError when a file cannot be written or gnuplot is
// missing, and std::runtime_error, with gnuplot's stderr, when it fails.
void render(const Figure& figure, const std::string& directory);

// A heatmap of z over a grid of (x, y); points absent from the full grid of
// distinct x and y values are drawn blank.
struct HeatmapPoint {
  double x = 0.0, y = 0.0, z = 0.0;
};

struct Heatmap {
  std::string title, x_label, y_label, z_label;
  std::vector<HeatmapPoint> points;
  // Print each cell's value on it (readable up to about 12 × 12 cells).
  bool cell_labels = true;
};

// Writes NAME.dat, NAME.gp, NAME.png and NAME.svg into `directory`.
void plot_heatmap(const Heatmap& heatmap, const std::string& directory, const std::string& name);

// `verify --plot`: slack.png, Ui, Ui° and si over each agent's type grid with
// the worst-off types marked.
void plot_verification(const Verification& verification, const std::string& directory);
// `search --plot`: gain.png, the bracket [lower, upper] of εi(θi) by type.
void plot_search(const SearchResult& result, const std::string& scenario_name,
                 const std::string& directory);
// `run --plot`: convergence.png, cumulative means and their 95% intervals
// after each chunk. Needs the run's convergence record.
void plot_convergence(const RunReport& report, const std::string& directory);
// `compare --plot`: compare.png, the compare table as grouped bars.
void plot_comparison(const Comparison& comparison, const std::string& directory);
// `sweep --plot`: one figure per numeric metric, sweep-METRIC.png, from the
// point records in grid order: a curve with error bars over one axis, a
// heatmap over two. Metrics whose values are text (verdicts) are left out.
// Throws InputError for a sweep of more than two axes.
void plot_sweep(const Sweep& sweep, const std::vector<Json>& points, const std::string& directory);
// Refuses (InputError) --plot for a sweep it cannot draw: more than two axes.
void require_plottable_sweep(std::size_t axes);

}  // namespace twostage
