// sim/plot.cpp
#include "sim/plot.hpp"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <optional>
#include <set>
#include <stdexcept>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <spdlog/spdlog.h>

#include "scenarios/error.hpp"
#include "sim/compare.hpp"
#include "sim/run.hpp"
#include "sim/search.hpp"
#include "sim/sweep.hpp"
#include "sim/verify.hpp"

extern char** environ;

namespace twostage {
namespace {

constexpr const char* kGnuplot = "gnuplot";
constexpr const char* kGnuplotPackage = "gnuplot-nox";

void write_file(const std::filesystem::path& path, const std::string& text) {
  // Through a temporary name, so an existing figure is replaced whole.
  const std::string partial = path.string() + ".partial";
  {
    std::ofstream out(partial, std::ios::binary);
    out << text;
    if (!out)
      throw_input_error("--plot: cannot write '{}'", path.string());
  }
  std::filesystem::rename(partial, path);
}

// The script: the data and figure settings, then the body drawn once per
// format. pngcairo draws smoother text than libgd's png, which is the
// fallback when gnuplot was built without cairo.
std::string script(const Figure& f) {
  std::string out = fmt::format(
      "# {}.gp: {}\n"
      "# Written by twostage (docs/plots.md). Edit and re-run with `gnuplot {}.gp` in this\n"
      "# directory; it rewrites {}.png and {}.svg.\n"
      "set datafile separator comma\n"
      "set datafile columnheaders\n"
      "set datafile missing 'NaN'\n"
      "do for [format in 'png svg'] {{\n"
      "  if (format eq 'svg') {{\n"
      "    set terminal svg size {},{} dynamic noenhanced font 'sans,11' background rgb 'white'\n"
      "  }} else {{\n"
      "    if (strstrt(GPVAL_TERMINALS, 'pngcairo') > 0) {{\n"
      "      set terminal pngcairo size {},{} noenhanced font 'sans,10' background rgb 'white'\n"
      "    }} else {{\n"
      "      set terminal png size {},{} noenhanced background rgb 'white'\n"
      "    }}\n"
      "  }}\n"
      "  set output {}.'.'.format\n",
      f.name, f.title, f.name, f.name, f.name, f.width, f.height, f.width, f.height, f.width,
      f.height, gnuplot_string(f.name));
  // Indent the body inside the loop for the reader of the script.
  std::size_t start = 0;
  while (start < f.body.size()) {
    const std::size_t end = f.body.find('\n', start);
    const std::string line =
        f.body.substr(start, end == std::string::npos ? std::string::npos : end - start);
    out += line.empty() ? "\n" : "  " + line + "\n";
    start = end == std::string::npos ? f.body.size() : end + 1;
  }
  out += "  set output\n}\n";
  return out;
}

// Runs `gnuplot NAME.gp` in `directory` and returns its stderr; throws
// std::runtime_error with that stderr when gnuplot fails.
std::string run_gnuplot(const std::filesystem::path& directory, const std::string& script_name) {
  int pipe_fds[2];
  if (::pipe(pipe_fds) != 0)
    throw std::runtime_error(fmt::format("cannot create a pipe: {}", std::strerror(errno)));
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addchdir_np(&actions, directory.c_str());
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, pipe_fds[1], STDERR_FILENO);
  posix_spawn_file_actions_addclose(&actions, pipe_fds[0]);
  posix_spawn_file_actions_addclose(&actions, pipe_fds[1]);
  std::string program = kGnuplot, argument = script_name;
  char* argv[] = {program.data(), argument.data(), nullptr};
  pid_t pid = 0;
  const int rc = posix_spawnp(&pid, kGnuplot, &actions, nullptr, argv, environ);
  posix_spawn_file_actions_destroy(&actions);
  ::close(pipe_fds[1]);
  if (rc != 0) {
    ::close(pipe_fds[0]);
    if (rc == ENOENT)
      require_gnuplot();
    throw std::runtime_error(fmt::format("cannot start gnuplot: {}", std::strerror(rc)));
  }
  std::string err;
  char buffer[4096];
  for (ssize_t n; (n = ::read(pipe_fds[0], buffer, sizeof buffer)) != 0;) {
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0)
      break;
    err.append(buffer, static_cast<std::size_t>(n));
  }
  ::close(pipe_fds[0]);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    throw std::runtime_error(fmt::format("gnuplot failed on {} in {}: {}", script_name,
                                         directory.string(), err.empty() ? "(no message)" : err));
  }
  return err;
}

std::string agent_name(int agent) {
  return agent == 1 ? "seller" : "buyer";
}

// The x coordinate of a type on a plot: θ itself for one-dimensional types,
// else its place in the grid (labelled so).
bool one_dimensional(const std::vector<Type>& types) {
  return std::all_of(types.begin(), types.end(), [](const Type& t) { return t.size() == 1; });
}

std::string x_label(int agent, bool one_dim) {
  const int i = agent;
  return one_dim ? fmt::format("{} type θ{}", agent_name(agent), i)
                 : fmt::format("{} type θ{} (index in the type grid; coordinates in the data)",
                               agent_name(agent), i);
}

std::string theta_columns(const Type& theta) {
  std::string out;
  for (double x : theta)
    out += fmt::format(",{:.10g}", x);
  return out;
}

std::string theta_header(std::size_t m) {
  std::string out;
  for (std::size_t k = 0; k < m; ++k)
    out += m == 1 ? ",theta" : fmt::format(",theta_{}", k + 1);
  return out;
}

// ---- verify ----------------------------------------------------------------

std::string slack_data(const AgentInterim& a, bool one_dim) {
  const std::size_t m = a.curve.empty() ? 0 : a.curve.front().theta.size();
  std::string out =
      "x,U,U_error,outside_option,outside_option_error,slack,slack_error" + theta_header(m) + "\n";
  for (std::size_t k = 0; k < a.curve.size(); ++k) {
    const SlackPoint& p = a.curve[k];
    const double x = one_dim ? p.theta[0] : static_cast<double>(k);
    out += fmt::format("{:.10g},{:.10g},{:.3g},{:.10g},{:.3g},{:.10g},{:.3g}{}\n", x, p.U.value,
                       p.U.error, p.outside_option.value, p.outside_option.error, p.slack.value,
                       p.slack.error, theta_columns(p.theta));
  }
  return out;
}

// Worst-off types as points at the minimum slack: the listed points on one
// dimension, and on a box the grid points of the curve within the set's
// tolerance of the minimum (its exact region is in the JSON report).
std::string worst_off_data(const AgentInterim& a, bool one_dim) {
  std::string out = "x,slack\n";
  const double min_slack = a.min_slack.value;
  if (one_dim) {
    std::vector<Type> points = a.worst_off.points;
    if (!a.worst_off.argmin.empty())
      points.push_back(a.worst_off.argmin);
    for (const Type& t : points) {
      if (t.size() == 1)
        out += fmt::format("{:.10g},{:.10g}\n", t[0], min_slack);
    }
    return out;
  }
  for (std::size_t k = 0; k < a.curve.size(); ++k) {
    const Estimate& s = a.curve[k].slack;
    if (s.value <= min_slack + a.worst_off.tolerance + s.error + a.min_slack.error)
      out += fmt::format("{},{:.10g}\n", k, s.value);
  }
  return out;
}

std::string slack_panel(const AgentInterim& a, const std::string& data, const std::string& worst,
                        bool one_dim) {
  std::string out =
      fmt::format("set title {}\n",
                  gnuplot_string(fmt::format("{}: L{} = {:.4g}, min slack {:.4g} (lump sum {:.4g})",
                                             agent_name(a.agent), a.agent, a.expected_loss.value,
                                             a.min_slack.value, a.lump_sum.value)));
  out += fmt::format("set xlabel {}\n", gnuplot_string(x_label(a.agent, one_dim)));
  out += "unset object\n";
  // Worst-off intervals are shaded: a whole range of types ties for the minimum.
  for (const Interval& iv : a.worst_off.intervals) {
    out += fmt::format(
        "set object rectangle from {:.10g}, graph 0 to {:.10g}, graph 1 behind "
        "fillcolor rgb '#ffe0b0' fillstyle solid 1.0 noborder\n",
        iv.low, iv.high);
  }
  const bool single = a.curve.size() == 1;
  const std::string style = single ? "linespoints" : "lines";
  out += fmt::format(
      "plot {d} using 1:2 with {s} linewidth 2 linecolor rgb '#1f77b4' title 'U (truthful "
      "utility)', \\\n"
      "     {d} using 1:4 with {s} linewidth 2 dashtype 2 linecolor rgb '#555555' "
      "title 'U° (outside option)', \\\n"
      "     {d} using 1:6:7 with yerrorlines linewidth 2 pointtype 7 pointsize 0.5 "
      "linecolor rgb '#d62728' title 's = U − U° (slack, ± error)', \\\n"
      "     {w} using 1:2 with points pointtype 9 pointsize 2 linecolor rgb 'black' "
      "title {t}, \\\n"
      "     0 with lines linecolor rgb '#999999' notitle\n",
      fmt::arg("d", gnuplot_string(data)), fmt::arg("s", style),
      fmt::arg("w", gnuplot_string(worst)),
      fmt::arg("t", gnuplot_string(a.worst_off.intervals.empty()
                                       ? "worst-off types"
                                       : "worst-off types (shaded: worst-off interval)")));
  return out;
}

// ---- search ----------------------------------------------------------------

std::string gain_data(const AgentSearch& s, bool one_dim) {
  const std::size_t m = s.curve.empty() ? 0 : s.curve.front().theta.size();
  std::string out = "x,lower,lower_error,upper,upper_error" + theta_header(m) + "\n";
  for (std::size_t k = 0; k < s.curve.size(); ++k) {
    const TypeGain& g = s.curve[k];
    const double x = one_dim ? g.theta[0] : static_cast<double>(k);
    out += fmt::format("{:.10g},{:.10g},{:.3g},{:.10g},{:.3g}{}\n", x, g.lower.value, g.lower.error,
                       g.upper.value, g.upper.error, theta_columns(g.theta));
  }
  return out;
}

std::string gain_panel(const AgentSearch& s, const std::string& data, bool one_dim) {
  std::string out = fmt::format(
      "set title {}\n",
      // Short enough for half the figure's width: two panels share it.
      gnuplot_string(fmt::format("{}: exploitability in [{:.3g}, {:.3g}]{}", agent_name(s.agent),
                                 s.exploitability_lower.value, s.exploitability_upper.value,
                                 s.truthful() ? ", truthful" : "")));
  out += fmt::format("set xlabel {}\n", gnuplot_string(x_label(s.agent, one_dim)));
  out += fmt::format(
      "plot {d} using 1:2:4 with filledcurves fillcolor rgb '#c6dbef' fillstyle solid 0.6 "
      "title 'bracket of ε(θ)', \\\n"
      "     {d} using 1:4:5 with yerrorlines linewidth 2 pointtype 6 pointsize 0.6 "
      "linecolor rgb '#08519c' title 'upper: information-relaxed reply', \\\n"
      "     {d} using 1:2:3 with yerrorlines linewidth 2 pointtype 7 pointsize 0.6 "
      "linecolor rgb '#d62728' title 'lower: best playable deviation', \\\n"
      "     0 with lines linecolor rgb '#999999' title 'truth (gain 0)'\n",
      fmt::arg("d", gnuplot_string(data)));
  return out;
}

std::string panel_header(std::size_t panels, const std::string& title) {
  return fmt::format(
      "set multiplot layout 1,{} title {}\n"
      "set key below box\n"
      "set grid\n",
      panels, gnuplot_string(title));
}

// ---- heatmap ---------------------------------------------------------------

std::string heatmap_data(const Heatmap& h, std::vector<double>& xs, std::vector<double>& ys) {
  std::set<double> x_set, y_set;
  for (const HeatmapPoint& p : h.points) {
    x_set.insert(p.x);
    y_set.insert(p.y);
  }
  xs.assign(x_set.begin(), x_set.end());
  ys.assign(y_set.begin(), y_set.end());
  // Missing cells read NaN; gnuplot's image needs the complete grid, one
  // block of rows per x with a blank line between blocks.
  std::vector<double> z(xs.size() * ys.size(), std::numeric_limits<double>::quiet_NaN());
  for (const HeatmapPoint& p : h.points) {
    const auto i =
        static_cast<std::size_t>(std::lower_bound(xs.begin(), xs.end(), p.x) - xs.begin());
    const auto j =
        static_cast<std::size_t>(std::lower_bound(ys.begin(), ys.end(), p.y) - ys.begin());
    z[i * ys.size() + j] = p.z;
  }
  std::string out = "x,y,z\n";
  for (std::size_t i = 0; i < xs.size(); ++i) {
    for (std::size_t j = 0; j < ys.size(); ++j) {
      const double v = z[i * ys.size() + j];
      out += std::isnan(v) ? fmt::format("{:.10g},{:.10g},NaN\n", xs[i], ys[j])
                           : fmt::format("{:.10g},{:.10g},{:.10g}\n", xs[i], ys[j], v);
    }
    out += "\n";
  }
  return out;
}

// A diverging palette centred on zero when z takes both signs, so the sign
// reads at a glance; a sequential one otherwise.
std::string palette(const Heatmap& h) {
  double low = INFINITY, high = -INFINITY;
  for (const HeatmapPoint& p : h.points) {
    if (std::isfinite(p.z)) {
      low = std::min(low, p.z);
      high = std::max(high, p.z);
    }
  }
  if (low < 0 && high > 0) {
    const double m = std::max(-low, high);
    return fmt::format(
        "set palette defined (0 '#2166ac', 0.5 '#f7f7f7', 1 '#b2182b')\n"
        "set cbrange [{:.10g}:{:.10g}]\n",
        -m, m);
  }
  return "set palette defined (0 '#fff5eb', 0.5 '#fd8d3c', 1 '#7f2704')\n";
}

}  // namespace

bool gnuplot_available() {
  const char* path = std::getenv("PATH");
  if (path == nullptr)
    return false;
  const std::string paths = path;
  for (std::size_t start = 0; start <= paths.size();) {
    const std::size_t colon = paths.find(':', start);
    const std::string dir =
        paths.substr(start, colon == std::string::npos ? std::string::npos : colon - start);
    const std::string candidate = (dir.empty() ? std::string(".") : dir) + "/" + kGnuplot;
    if (::access(candidate.c_str(), X_OK) == 0)
      return true;
    start = colon == std::string::npos ? paths.size() + 1 : colon + 1;
  }
  return false;
}

void require_gnuplot(std::string_view option) {
  if (!gnuplot_available()) {
    throw_input_error(
        "{}: gnuplot is not installed (not found on PATH); install the Debian package {} "
        "(apt-get install {})",
        option, kGnuplotPackage, kGnuplotPackage);
  }
}

std::string gnuplot_string(std::string_view text) {
  std::string out = "'";
  for (char c : text) {
    if (c == '\'')
      out += "''";
    else if (c == '\n' || c == '\r')
      out += ' ';  // a newline would end the command
    else
      out += c;
  }
  return out + "'";
}

void render(const Figure& figure, const std::string& directory) {
  require_gnuplot();
  const std::filesystem::path dir(directory);
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec || !std::filesystem::is_directory(dir))
    throw_input_error("--plot {}: cannot create the directory", directory);
  for (const DataFile& d : figure.data)
    write_file(dir / d.name, d.text);
  const std::string script_name = figure.name + ".gp";
  write_file(dir / script_name, script(figure));
  const std::string warnings = run_gnuplot(dir, script_name);
  if (!warnings.empty())
    spdlog::warn("gnuplot on {}: {}", script_name, warnings);
  spdlog::debug("plot: wrote {}/{}.png and .svg", directory, figure.name);
}

void plot_heatmap(const Heatmap& h, const std::string& directory, const std::string& name) {
  std::vector<double> xs, ys;
  Figure f{.name = name, .title = h.title, .data = {}, .body = {}, .width = 820, .height = 700};
  const std::string data = name + ".dat";
  f.data.push_back({data, heatmap_data(h, xs, ys)});
  // Half a cell beyond the extreme centres, so edge cells show whole.
  const double dx = xs.size() > 1 ? (xs.back() - xs.front()) / double(xs.size() - 1) : 1.0;
  const double dy = ys.size() > 1 ? (ys.back() - ys.front()) / double(ys.size() - 1) : 1.0;
  f.body = fmt::format(
      "set title {}\n"
      "set xlabel {}\n"
      "set ylabel {}\n"
      "set cblabel {} offset 2,0\n"
      "set xrange [{:.10g}:{:.10g}]\n"
      "set yrange [{:.10g}:{:.10g}]\n"
      "set rmargin 14\n"
      "{}"
      "set tics out\n"
      "unset key\n",
      gnuplot_string(h.title), gnuplot_string(h.x_label), gnuplot_string(h.y_label),
      gnuplot_string(h.z_label), xs.empty() ? 0.0 : xs.front() - dx / 2,
      xs.empty() ? 1.0 : xs.back() + dx / 2, ys.empty() ? 0.0 : ys.front() - dy / 2,
      ys.empty() ? 1.0 : ys.back() + dy / 2, palette(h));
  f.body += fmt::format("plot {} using 1:2:3 with image", gnuplot_string(data));
  if (h.cell_labels) {
    f.body += fmt::format(", \\\n     {} using 1:2:(sprintf('%.3g', $3)) with labels font ',8'",
                          gnuplot_string(data));
  }
  f.body += "\n";
  render(f, directory);
}

void plot_verification(const Verification& v, const std::string& directory) {
  Figure f{.name = "slack", .title = "IIR slack curves by type", .data = {}, .body = {}};
  f.body = panel_header(2, fmt::format("{} with {}: interim utility, outside option and slack "
                                       "(money, in the valuations' units)",
                                       v.scenario ? v.scenario->name : "", v.mechanism));
  f.body += "set ylabel 'money (units of v)'\n";
  for (const AgentInterim* a : {&v.analysis.seller, &v.analysis.buyer}) {
    std::vector<Type> types;
    for (const SlackPoint& p : a->curve)
      types.push_back(p.theta);
    const bool one_dim = one_dimensional(types);
    const std::string data = fmt::format("slack-{}.csv", agent_name(a->agent));
    const std::string worst = fmt::format("worst-off-{}.csv", agent_name(a->agent));
    f.data.push_back({data, slack_data(*a, one_dim)});
    f.data.push_back({worst, worst_off_data(*a, one_dim)});
    f.body += slack_panel(*a, data, worst, one_dim);
  }
  f.body += "unset multiplot\n";
  render(f, directory);
}

void plot_search(const SearchResult& result, const std::string& scenario_name,
                 const std::string& directory) {
  Figure f{.name = "gain", .title = "gain from deviation by type", .data = {}, .body = {}};
  f.body = panel_header(result.agents.size(),
                        fmt::format("{}: gain from the best deviation over truth, εi(θi) "
                                    "(money, units of v)",
                                    scenario_name));
  f.body += "set ylabel 'gain over truth (units of v)'\n";
  for (const AgentSearch& s : result.agents) {
    std::vector<Type> types;
    for (const TypeGain& g : s.curve)
      types.push_back(g.theta);
    const bool one_dim = one_dimensional(types);
    const std::string data = fmt::format("gain-{}.csv", agent_name(s.agent));
    f.data.push_back({data, gain_data(s, one_dim)});
    f.body += gain_panel(s, data, one_dim);
  }
  f.body += "unset multiplot\n";
  render(f, directory);
}

void plot_convergence(const RunReport& report, const std::string& directory) {
  const auto& points = report.result.convergence;
  std::string data = "plays,U1,U1_ci95,U2,U2_ci95,trade_rate,trade_rate_ci95\n";
  for (const ConvergencePoint& p : points) {
    data += fmt::format("{},{:.10g},{:.4g},{:.10g},{:.4g},{:.10g},{:.4g}\n", p.plays,
                        p.utility1.mean(), p.utility1.ci95(), p.utility2.mean(), p.utility2.ci95(),
                        p.traded.mean(), p.traded.ci95());
  }
  Figure f{.name = "convergence",
           .title = "Monte Carlo estimates against plays",
           .data = {{"convergence.csv", data}},
           .body = {},
           .width = 1400};
  const std::string file = gnuplot_string("convergence.csv");
  f.body = panel_header(
      3, fmt::format("{} with {}: cumulative means after each chunk of {} "
                     "plays, with 95% intervals",
                     report.scenario ? report.scenario->name : "",
                     report.mechanism ? report.mechanism->name() : "", report.options.chunk));
  // A log scale shows the early chunks and the settled tail together. Each
  // estimate has its own panel and scale: the two utilities can differ by
  // orders of magnitude, and one axis would flatten the smaller.
  const bool log_x = points.size() > 2;
  f.body += log_x ? "set logscale x\n" : "";
  f.body += "set xlabel 'plays'\n";
  f.body += fmt::format(
      "set title 'seller: mean realised utility U1'\n"
      "set ylabel 'units of v'\n"
      "plot {f} using 1:($2-$3):($2+$3) with filledcurves fillcolor rgb '#c6dbef' "
      "fillstyle solid 0.6 title '95% interval', \\\n"
      "     {f} using 1:2 with linespoints pointtype 7 pointsize 0.5 linewidth 2 "
      "linecolor rgb '#08519c' title 'U1'\n"
      "set title 'buyer: mean realised utility U2'\n"
      "plot {f} using 1:($4-$5):($4+$5) with filledcurves fillcolor rgb '#fdd0a2' "
      "fillstyle solid 0.6 title '95% interval', \\\n"
      "     {f} using 1:4 with linespoints pointtype 7 pointsize 0.5 linewidth 2 "
      "linecolor rgb '#d94801' title 'U2'\n"
      "set title 'trade rate (share of plays where the object moved)'\n"
      "set ylabel 'share of plays'\n"
      "plot {f} using 1:($6-$7):($6+$7) with filledcurves fillcolor rgb '#c7e9c0' "
      "fillstyle solid 0.6 title '95% interval', \\\n"
      "     {f} using 1:6 with linespoints pointtype 7 pointsize 0.5 linewidth 2 "
      "linecolor rgb '#238b45' title 'trade rate'\n"
      "unset multiplot\n",
      fmt::arg("f", file));
  render(f, directory);
}

void plot_comparison(const Comparison& c, const std::string& directory) {
  // Rows are the compare table's figures, columns the mechanisms, so each
  // figure is one group of bars.
  struct Metric {
    std::string label;
    double (*value)(const CompareRow&);
  };
  static const Metric kMetrics[] = {
      {"surplus lost per play",
       [](const CompareRow& r) {
         return r.play.empty() ? std::nan("") : r.play[0].tally.surplus_lost.mean();
       }},
      {"max |t1 + t2| (BB)",
       [](const CompareRow& r) { return r.exact.analysis.budget.max_imbalance.value; }},
      {"seller min slack (IIR)",
       [](const CompareRow& r) { return r.exact.analysis.seller.min_slack.value; }},
      {"buyer min slack (IIR)",
       [](const CompareRow& r) { return r.exact.analysis.buyer.min_slack.value; }},
      {"seller exploitability (BIC)",
       [](const CompareRow& r) {
         return r.exact.search.agents.empty()
                    ? std::nan("")
                    : r.exact.search.agents.front().exploitability_lower.value;
       }},
      {"buyer exploitability (BIC)",
       [](const CompareRow& r) {
         return r.exact.search.agents.size() < 2
                    ? std::nan("")
                    : r.exact.search.agents.back().exploitability_lower.value;
       }},
  };
  std::string data = "figure";
  for (const CompareRow& r : c.rows) {
    std::string label = r.label;
    std::replace(label.begin(), label.end(), ',', ';');  // the separator
    data += "," + label;
  }
  data += "\n";
  for (const Metric& m : kMetrics) {
    data += m.label;
    for (const CompareRow& r : c.rows) {
      const double v = m.value(r);
      data += std::isnan(v) ? std::string(",NaN") : fmt::format(",{:.10g}", v);
    }
    data += "\n";
  }
  Figure f{.name = "compare",
           .title = "compare table as grouped bars",
           .data = {{"compare-bars.csv", data}},
           .body = {},
           .width = 1100,
           .height = 600};
  f.body = fmt::format(
      "set title {}\n"
      "set ylabel 'money (units of v); exploitability is the lower bound found'\n"
      "set style data histograms\n"
      "set style histogram clustered gap 1\n"
      "set style fill solid 0.85 border rgb 'black'\n"
      "set boxwidth 0.9\n"
      "set grid ytics\n"
      "set xtics rotate by -20 nomirror\n"
      "set key outside right top title 'mechanism'\n"
      "set xzeroaxis linetype -1\n"
      "plot for [i=2:{}] 'compare-bars.csv' using i:xtic(1) title columnheader(i)\n",
      gnuplot_string(fmt::format("{}: mechanisms side by side ({} plays each, no stress)",
                                 c.scenario ? c.scenario->name : "", c.options.plays)),
      c.rows.size() + 1);
  render(f, directory);
}

namespace {

// A metric's number at one point: an estimate's value and its error bar (its
// own error, or the half-width of a Monte Carlo 95% interval), a plain
// number, or a flag as 0/1. Text and missing values give nothing.
struct SweepValue {
  double value = 0.0, error = 0.0;
};

std::optional<SweepValue> sweep_value(const Json& cell) {
  if (cell.is_boolean())
    return SweepValue{cell.get<bool>() ? 1.0 : 0.0, 0.0};
  if (cell.is_number())
    return SweepValue{cell.get<double>(), 0.0};
  if (!cell.is_object() || !cell.contains("value") || !cell["value"].is_number())
    return std::nullopt;
  const Json error = estimate_error(cell);
  return SweepValue{cell["value"].get<double>(), error.is_number() ? error.get<double>() : 0.0};
}

std::string sweep_subject(const Sweep& sweep) {
  const SweepOptions& o = sweep.options();
  return fmt::format("{} {} with {}", to_string(o.kind), o.scenario, o.mechanism);
}

}  // namespace

void require_plottable_sweep(std::size_t axes) {
  if (axes > 2) {
    throw_input_error(
        "--plot: draws sweeps over one or two --grid axes (a curve or a heatmap); "
        "this sweep has {}",
        axes);
  }
}

void plot_sweep(const Sweep& sweep, const std::vector<Json>& points, const std::string& directory) {
  const std::vector<GridAxis>& axes = sweep.options().grids;
  require_plottable_sweep(axes.size());
  std::vector<std::string> skipped;
  for (const SweepMetric& m : sweep.metrics()) {
    std::vector<std::pair<std::vector<double>, SweepValue>> cells;
    for (const Json& point : points) {
      if (const auto v = sweep_value(point["metrics"][m.name])) {
        std::vector<double> at;
        for (const GridAxis& axis : axes)
          at.push_back(point["parameters"][axis.parameter].get<double>());
        cells.emplace_back(std::move(at), *v);
      }
    }
    if (cells.empty()) {
      skipped.push_back(m.name);
      continue;
    }
    const std::string name = "sweep-" + m.name;
    const std::string title =
        fmt::format("{}: {} ({})", sweep_subject(sweep), m.name, m.description);
    if (axes.size() == 2) {
      Heatmap h{.title = title,
                .x_label = axes[0].parameter,
                .y_label = axes[1].parameter,
                .z_label = m.name,
                .points = {},
                .cell_labels = axes[0].count <= 12 && axes[1].count <= 12};
      for (const auto& [at, v] : cells)
        h.points.push_back({at[0], at[1], v.value});
      plot_heatmap(h, directory, name);
      continue;
    }
    std::string data = fmt::format("{},{},error\n", axes[0].parameter, m.name);
    for (const auto& [at, v] : cells)
      data += fmt::format("{:.10g},{:.10g},{:.4g}\n", at[0], v.value, v.error);
    Figure f{.name = name, .title = title, .data = {{name + ".csv", data}}, .body = {}};
    f.body = fmt::format(
        "set title {}\n"
        "set xlabel {}\n"
        "set ylabel {}\n"
        "set grid\n"
        "set xzeroaxis linetype -1\n"
        "plot {} using 1:2:3 with yerrorlines linewidth 2 pointtype 7 pointsize 0.7 "
        "linecolor rgb '#08519c' title {}\n",
        gnuplot_string(title), gnuplot_string(axes[0].parameter), gnuplot_string(m.name),
        gnuplot_string(name + ".csv"),
        gnuplot_string(m.name + " (bars: error, or Monte Carlo 95% interval)"));
    render(f, directory);
  }
  if (!skipped.empty()) {
    spdlog::info("sweep --plot: no figure for {} (not numbers)", fmt::join(skipped, ", "));
  }
}

}  // namespace twostage
