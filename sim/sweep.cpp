// sim/sweep.cpp: `twostage sweep` (docs/sweep.md).
#include "sim/sweep.hpp"

#include "sim/parallel.hpp"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstring>
#include <exception>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <mutex>
#include <optional>
#include <set>
#include <sstream>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "scenarios/error.hpp"
#include "scenarios/expectation.hpp"
#include "sim/compare.hpp"
#include "sim/design.hpp"
#include "sim/interrupt.hpp"
#include "sim/run_command.hpp"
#include "sim/search.hpp"
#include "sim/stress.hpp"
#include "sim/verify.hpp"

namespace twostage {
namespace {

namespace fs = std::filesystem;

constexpr std::string_view kManifestFormat = "twostage-sweep-1";
// Zero-padded so that a directory listing shows the points in grid order.
constexpr int kPointNameDigits = 7;

double parse_number(std::string_view grid, std::string_view text, const char* what) {
  double value = 0.0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size() ||
      !std::isfinite(value)) {
    throw_input_error("--grid {}: {} '{}' is not a finite number", grid, what, text);
  }
  return value;
}

// `--mechanism-param name=value` as cli.cpp reads it: the value stays text.
Override parse_mechanism_parameter(const std::string& text) {
  const auto eq = text.find('=');
  if (eq == std::string::npos || eq == 0 || eq + 1 == text.size())
    throw_input_error("--mechanism-param {}: expected name=value", text);
  return {.name = text.substr(0, eq), .value = 0.0, .text = text.substr(eq + 1)};
}

// Writes `text` so that `path` either keeps its old content or holds all of
// the new: a temporary name in the same directory, fsync, rename, and fsync
// of the directory so the rename itself survives a crash.
void write_durably(const fs::path& path, const std::string& text) {
  const fs::path partial = path.string() + fmt::format(".tmp.{}", ::getpid());
  const auto fail = [&](const char* step) {
    throw_input_error("cannot write '{}' ({}: {})", path.string(), step, std::strerror(errno));
  };
  const int fd = ::open(partial.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0)
    fail("open");
  for (std::size_t done = 0; done < text.size();) {
    const ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0) {
      ::close(fd);
      fail("write");
    }
    done += static_cast<std::size_t>(n);
  }
  if (::fsync(fd) != 0 || ::close(fd) != 0)
    fail("fsync");
  if (::rename(partial.c_str(), path.c_str()) != 0)
    fail("rename");
  const int dir = ::open(path.parent_path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir >= 0) {
    ::fsync(dir);
    ::close(dir);
  }
}

std::optional<std::string> read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in)
    return std::nullopt;
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// A process killed between open and rename (SIGKILL, power loss) leaves its
// "NAME.tmp.PID"; it never became a record. Removes those whose process is
// gone, and leaves any of a live process (another sweep on this directory).
void remove_stale_partials(const fs::path& dir) {
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    const std::string name = entry.path().filename().string();
    const auto mark = name.rfind(".tmp.");
    if (mark == std::string::npos)
      continue;
    const std::string_view digits = std::string_view(name).substr(mark + 5);
    pid_t pid = 0;
    const auto [end, parse] = std::from_chars(digits.data(), digits.data() + digits.size(), pid);
    if (parse != std::errc() || end != digits.data() + digits.size() || pid <= 0)
      continue;
    if (pid == ::getpid() || ::kill(pid, 0) == 0 || errno != ESRCH)
      continue;
    std::error_code removed;
    if (fs::remove(entry.path(), removed))
      spdlog::info("sweep: removed {}, left by a stopped process", entry.path().string());
  }
}

fs::path point_path(const fs::path& out, std::size_t index) {
  return out / "points" / fmt::format("{:0{}}.json", index, kPointNameDigits);
}

// A point file that exists was renamed into place whole; it is checked
// anyway so that a hand-edited or foreign file is recomputed, not trusted.
std::optional<Json> read_point(const fs::path& path, std::size_t index) {
  const auto text = read_file(path);
  if (!text)
    return std::nullopt;
  Json point = Json::parse(*text, nullptr, /*allow_exceptions=*/false);
  if (point.is_discarded() || !point.is_object() || !point.contains("index") ||
      point["index"] != index) {
    spdlog::warn("sweep: {} is not a point record; computing it again", path.string());
    return std::nullopt;
  }
  return point;
}

std::string format_seconds(double seconds) {
  const auto s = static_cast<long long>(std::llround(seconds));
  if (s >= 3600)
    return fmt::format("{}h {:02}m", s / 3600, s / 60 % 60);
  if (s >= 60)
    return fmt::format("{}m {:02}s", s / 60, s % 60);
  return fmt::format("{}s", s);
}

// One CSV cell: numbers in their shortest round-trip form, text quoted
// only when it must be.
std::string csv_cell(const Json& value) {
  if (value.is_null())
    return "";
  if (value.is_number_float())
    return fmt::format("{}", value.get<double>());
  if (value.is_number_unsigned())
    return fmt::format("{}", value.get<std::uint64_t>());
  if (value.is_number_integer())
    return fmt::format("{}", value.get<std::int64_t>());
  if (value.is_boolean())
    return value.get<bool>() ? "true" : "false";
  const std::string text = value.is_string() ? value.get<std::string>() : value.dump();
  if (text.find_first_of(",\"\n") == std::string::npos)
    return text;
  std::string quoted = "\"";
  for (char c : text)
    quoted += c == '"' ? std::string("\"\"") : std::string(1, c);
  return quoted + "\"";
}

SweepMetric metric(std::string name, std::string pointer, bool estimate, bool by_default,
                   std::string description) {
  return {std::move(name), std::move(pointer), estimate, by_default, std::move(description)};
}

}  // namespace

Json estimate_error(const Json& estimate) {
  if (estimate.contains("error"))
    return estimate["error"];
  if (estimate.contains("ci95") && estimate["ci95"].size() == 2) {
    const Json& ci = estimate["ci95"];
    return (ci[1].get<double>() - ci[0].get<double>()) / 2;
  }
  return nullptr;
}

double GridAxis::value(std::size_t i) const {
  if (count <= 1)
    return low;
  if (i + 1 == count)
    return high;  // exactly, whatever the rounding of the step
  if (i == 0)
    return low;
  // Rounded to 12 significant digits, so that 0.05:0.95:19 gives 0.8 and not
  // 0.7999999999999999: the values read back as typed in CSV files and --set.
  const double raw = low + (high - low) * static_cast<double>(i) / static_cast<double>(count - 1);
  return std::stod(fmt::format("{:.12g}", raw));
}

GridAxis parse_grid_axis(std::string_view text) {
  const auto eq = text.find('=');
  if (eq == std::string_view::npos || eq == 0)
    throw_input_error("--grid {}: expected name=low:high:count", text);
  GridAxis axis;
  axis.parameter = std::string(text.substr(0, eq));
  const std::string_view spec = text.substr(eq + 1);
  const auto colon1 = spec.find(':');
  const auto colon2 = colon1 == std::string_view::npos ? colon1 : spec.find(':', colon1 + 1);
  if (colon2 == std::string_view::npos || spec.find(':', colon2 + 1) != std::string_view::npos)
    throw_input_error("--grid {}: expected name=low:high:count", text);
  axis.low = parse_number(text, spec.substr(0, colon1), "low");
  axis.high = parse_number(text, spec.substr(colon1 + 1, colon2 - colon1 - 1), "high");
  const std::string_view count = spec.substr(colon2 + 1);
  long long n = 0;
  const auto [end, ec] = std::from_chars(count.data(), count.data() + count.size(), n);
  if (count.empty() || ec != std::errc() || end != count.data() + count.size())
    throw_input_error("--grid {}: count '{}' is not a whole number", text, count);
  if (n < 1)
    throw_input_error("--grid {}: count must be at least 1", text);
  if (axis.low > axis.high)
    throw_input_error("--grid {}: low {} is above high {}", text, axis.low, axis.high);
  if (static_cast<unsigned long long>(n) > kMaxSweepPoints) {
    throw_input_error("--grid {}: {} values, more than the limit of {} points", text, n,
                      kMaxSweepPoints);
  }
  axis.count = static_cast<std::size_t>(n);
  return axis;
}

SweepKind parse_sweep_kind(const std::string& text) {
  for (SweepKind k : {SweepKind::kVerify, SweepKind::kRun, SweepKind::kSearch, SweepKind::kCompare})
    if (to_string(k) == text)
      return k;
  throw_input_error("--command {}: expected verify, run, search or compare", text);
}

std::string to_string(SweepKind kind) {
  switch (kind) {
    case SweepKind::kVerify:
      return "verify";
    case SweepKind::kRun:
      return "run";
    case SweepKind::kSearch:
      return "search";
    case SweepKind::kCompare:
      return "compare";
  }
  return "?";
}

const std::vector<SweepMetric>& sweep_metrics(SweepKind kind) {
  // Pointers follow the JSON reports documented in docs/verify.md,
  // docs/cli.md, docs/search.md; a report that lacks one gives an empty cell.
  static const std::vector<SweepMetric> verify_metrics = {
      metric("L1", "/agents/seller/expected_loss", true, true, "seller's expected loss"),
      metric("L2", "/agents/buyer/expected_loss", true, true, "buyer's expected loss"),
      metric("L1+L2", "/lump_sum/total_loss", true, true, "L1 + L2; IIR is rescuable iff ≤ 0"),
      metric("min_slack_seller", "/agents/seller/min_slack", true, true,
             "seller's smallest slack after lump sums"),
      metric("min_slack_buyer", "/agents/buyer/min_slack", true, true,
             "buyer's smallest slack after lump sums"),
      metric("ES", "/expected_surplus", true, true, "expected surplus at x*"),
      metric("EFF", "/verdicts/EFF", false, true, "verdict"),
      metric("BB", "/verdicts/BB", false, true, "verdict"),
      metric("IIR", "/verdicts/IIR", false, true, "verdict"),
      metric("BIC", "/verdicts/BIC", false, true, "verdict"),
      metric("lump_sum_feasible", "/lump_sum/feasible", false, false, "L1 + L2 ≤ 0"),
      metric("lump_sum_seller", "/lump_sum/seller", true, false, "the seller's lump sum ℓ1"),
      metric("max_imbalance", "/budget/max_imbalance", true, false, "largest |t1 + t2|"),
      metric("decision_errors", "/efficiency/decision_errors", false, false,
             "grid profiles where the decision is not x*"),
      metric("exploitability_seller", "/deviation_search/agents/0/exploitability/lower", true,
             false, "gain of the best seller deviation found"),
      metric("exploitability_buyer", "/deviation_search/agents/1/exploitability/lower", true, false,
             "gain of the best buyer deviation found"),
  };
  static const std::vector<SweepMetric> run_metrics = {
      metric("trade_rate", "/trade_rate", true, true, "share of plays that trade"),
      metric("efficiency", "/efficiency", true, true, "realised over first-best surplus"),
      metric("mean_utility_seller", "/agents/seller/mean_utility", true, true, "E[U1]"),
      metric("mean_utility_buyer", "/agents/buyer/mean_utility", true, true, "E[U2]"),
      metric("gain_seller", "/agents/seller/mean_gain_over_outside_option", true, true,
             "E[U1 − U1°]"),
      metric("gain_buyer", "/agents/buyer/mean_gain_over_outside_option", true, true,
             "E[U2 − U2°]"),
      metric("max_imbalance", "/budget/max_imbalance", false, true, "largest |t1 + t2| in play"),
      metric("surplus", "/surplus/realised", true, false, "mean realised surplus"),
      metric("first_best", "/surplus/first_best", true, false, "mean first-best surplus"),
      metric("decision_errors", "/decision_errors", true, false, "share of plays off x*"),
      metric("participation", "/participation", true, false, "share of plays both join"),
      metric("burned", "/burned", true, false, "mean money burned"),
      metric("deficit", "/deficit", true, false, "mean mediator deficit"),
      metric("shortfall_plays", "/shortfall/plays", false, false, "plays a deposit fell short"),
  };
  static const std::vector<SweepMetric> search_metrics = {
      metric("exploitability_seller", "/agents/0/exploitability/lower", true, true,
             "gain of the best seller deviation found"),
      metric("exploitability_seller_upper", "/agents/0/exploitability/upper", true, true,
             "upper bound on the seller's gain"),
      metric("exploitability_buyer", "/agents/1/exploitability/lower", true, true,
             "gain of the best buyer deviation found"),
      metric("exploitability_buyer_upper", "/agents/1/exploitability/upper", true, true,
             "upper bound on the buyer's gain"),
      metric("truthful_seller", "/agents/0/truthful", false, true, "no profitable seller lie"),
      metric("truthful_buyer", "/agents/1/truthful", false, true, "no profitable buyer lie"),
  };
  static const std::vector<SweepMetric> compare_metrics = {
      metric("decision_errors", "/mechanisms/0/EFF/decision_errors", false, true,
             "grid profiles off x*"),
      metric("surplus_lost", "/mechanisms/0/EFF/surplus_lost", true, true, "mean in play"),
      metric("max_imbalance", "/mechanisms/0/BB/max_imbalance", true, true, "largest |t1 + t2|"),
      metric("min_slack_seller", "/mechanisms/0/IIR/seller/min_slack", true, true,
             "seller's smallest slack"),
      metric("min_slack_buyer", "/mechanisms/0/IIR/buyer/min_slack", true, true,
             "buyer's smallest slack"),
      metric("exploitability_seller", "/mechanisms/0/BIC/seller/exploitability/lower", true, true,
             "gain of the best seller deviation found"),
      metric("exploitability_buyer", "/mechanisms/0/BIC/buyer/exploitability/lower", true, true,
             "gain of the best buyer deviation found"),
      metric("EFF", "/mechanisms/0/verdicts/EFF", false, true, "verdict"),
      metric("BB", "/mechanisms/0/verdicts/BB", false, true, "verdict"),
      metric("IIR", "/mechanisms/0/verdicts/IIR", false, true, "verdict"),
      metric("BIC", "/mechanisms/0/verdicts/BIC", false, true, "verdict"),
      metric("deposit_seller", "/mechanisms/0/required_deposits/seller", false, true,
             "deposit the seller must lodge"),
      metric("deposit_buyer", "/mechanisms/0/required_deposits/buyer", false, true,
             "deposit the buyer must lodge"),
      metric("burned", "/mechanisms/0/BB/burned", true, false, "mean money burned in play"),
      metric("trade_rate", "/mechanisms/0/play/0/trade_rate", true, false, "share of plays"),
  };
  switch (kind) {
    case SweepKind::kRun:
      return run_metrics;
    case SweepKind::kSearch:
      return search_metrics;
    case SweepKind::kCompare:
      return compare_metrics;
    case SweepKind::kVerify:
      break;
  }
  return verify_metrics;
}

namespace {

// The metrics named in `names`, in that order; the kind's defaults when none.
std::vector<SweepMetric> choose_metrics(SweepKind kind, const std::vector<std::string>& names) {
  const auto& allowed = sweep_metrics(kind);
  std::vector<SweepMetric> chosen;
  if (names.empty()) {
    std::copy_if(allowed.begin(), allowed.end(), std::back_inserter(chosen),
                 [](const SweepMetric& m) { return m.by_default; });
    return chosen;
  }
  std::string allowed_names;
  for (const SweepMetric& m : allowed)
    allowed_names += (allowed_names.empty() ? "" : ", ") + m.name;
  std::set<std::string> seen;
  for (const std::string& name : names) {
    const auto it = std::find_if(allowed.begin(), allowed.end(),
                                 [&](const SweepMetric& m) { return m.name == name; });
    if (it == allowed.end()) {
      throw_input_error("--metrics {}: unknown for {} (allowed: {})", name, to_string(kind),
                        allowed_names);
    }
    if (!seen.insert(name).second)
      throw_input_error("--metrics {}: listed twice", name);
    chosen.push_back(*it);
  }
  return chosen;
}

// The number of grid points. Every axis must name a parameter of `base`,
// once, not also fixed by --set, with both ends inside its allowed range.
std::size_t count_points(const Scenario& base, const std::vector<GridAxis>& grids,
                         const std::vector<Override>& sets) {
  std::string parameter_names;
  for (const Parameter& p : base.parameters)
    parameter_names += (parameter_names.empty() ? "" : ", ") + p.name;
  double points = 1.0;  // a double cannot overflow on a few huge counts
  std::set<std::string> axes;
  for (const GridAxis& axis : grids) {
    const auto it = std::find_if(base.parameters.begin(), base.parameters.end(),
                                 [&](const Parameter& p) { return p.name == axis.parameter; });
    if (it == base.parameters.end()) {
      throw_input_error("--grid {}: {} has no such parameter (parameters: {})", axis.parameter,
                        base.name, parameter_names.empty() ? "none" : parameter_names);
    }
    if (!axes.insert(axis.parameter).second)
      throw_input_error("--grid {}: the same parameter has two axes", axis.parameter);
    for (const Override& s : sets)
      if (s.name == axis.parameter)
        throw_input_error("--grid {}: also fixed by --set; drop one", axis.parameter);
    for (const double end : {axis.low, axis.high}) {
      if (!it->range.contains(end)) {
        throw_input_error("--grid {}: {} is outside the allowed range {}", axis.parameter, end,
                          it->range.describe());
      }
    }
    points *= static_cast<double>(axis.count);
  }
  if (points > static_cast<double>(kMaxSweepPoints))
    throw_input_error("--grid: {:.0f} points, more than the limit of {}", points, kMaxSweepPoints);
  return static_cast<std::size_t>(points);
}

}  // namespace

Sweep::Sweep(SweepOptions options) : options_(std::move(options)) {
  const SweepOptions& o = options_;
  const std::string kind = to_string(o.kind);
  if (o.out.empty())
    throw_input_error("--out: give the sweep's output directory");
  if (o.grids.empty())
    throw_input_error("--grid: give at least one axis, e.g. --grid gamma1=0.05:0.95:19");
  if (o.plays < (o.kind == SweepKind::kRun || o.kind == SweepKind::kCompare ? 1 : 0))
    throw_input_error("--plays {}: too few for sweep --command {}", o.plays, kind);
  if (o.kind == SweepKind::kCompare && !o.mechanism_parameters.empty()) {
    throw_input_error(
        "--mechanism-param: compare takes the scenario's mechanism parameters only; use "
        "--command verify or run");
  }

  metrics_ = choose_metrics(o.kind, o.metrics);

  // The scenario with the fixed overrides; every axis must name one of its
  // parameters and stay inside its allowed range at both ends.
  for (const std::string& s : o.sets)
    sets_.push_back(parse_override(s));
  for (const std::string& p : o.mechanism_parameters)
    mechanism_parameters_.push_back(parse_mechanism_parameter(p));
  const Scenario base = load_scenario(o.scenario, sets_);
  size_ = count_points(base, o.grids, sets_);

  // An unknown mechanism or mechanism parameter fails here, not at point 0.
  if (o.kind != SweepKind::kCompare)
    design_mechanism(base, o.mechanism, mechanism_parameters_, Stress{});

  Json grids = Json::array();
  for (const GridAxis& axis : o.grids) {
    grids.push_back(Json{{"parameter", axis.parameter},
                         {"low", axis.low},
                         {"high", axis.high},
                         {"count", axis.count}});
  }
  Json metric_names = Json::array();
  for (const SweepMetric& m : metrics_)
    metric_names.push_back(m.name);
  // The program's version and the scenario text's checksum are recorded too:
  // points computed by another version, or from an edited file, must not be
  // mixed with new ones on resume.
  manifest_ = Json{{"format", kManifestFormat},
                   {"version", TWOSTAGE_VERSION},
                   {"command", kind},
                   {"scenario", o.scenario},
                   {"scenario_crc32", fmt::format("{:08x}", base.text_crc32)},
                   {"set", o.sets},
                   {"mechanism", o.mechanism},
                   {"mechanism_parameters", o.mechanism_parameters},
                   {"grids", grids},
                   {"metrics", metric_names},
                   {"plays", o.plays},
                   {"seed", o.seed},
                   {"points", size_}};
}

std::vector<double> Sweep::coordinates(std::size_t index) const {
  // Row-major: the last axis varies fastest.
  std::vector<double> values(options_.grids.size());
  for (std::size_t a = options_.grids.size(); a-- > 0;) {
    const GridAxis& axis = options_.grids[a];
    values[a] = axis.value(index % axis.count);
    index /= axis.count;
  }
  return values;
}

Json Sweep::run_command(const Scenario& scenario) const {
  const SweepOptions& o = options_;
  // One thread per point: the figures do not depend on it, and points are
  // the unit of parallel work (threads of a process, and ranks under mpirun).
  switch (o.kind) {
    case SweepKind::kVerify: {
      VerifyOptions v;
      v.mechanism = o.mechanism;
      v.mechanism_parameters = mechanism_parameters_;
      v.search.threads = 1;
      v.monte_carlo.plays = static_cast<std::uint64_t>(o.plays);
      v.monte_carlo.seed = o.seed;
      v.monte_carlo.threads = 1;
      return to_json(verify(scenario, v));
    }
    case SweepKind::kRun: {
      RunCommand run;
      run.mechanism = o.mechanism;
      run.mechanism_parameters = mechanism_parameters_;
      run.plays = o.plays;
      run.seed = o.seed;
      run.threads = 1;
      run.json = true;
      return Json::parse(run.execute(scenario));
    }
    case SweepKind::kSearch: {
      const Design design = design_mechanism(scenario, o.mechanism, mechanism_parameters_, {});
      SearchOptions s;
      s.threads = 1;
      s.seed = o.seed;
      const Expectations expectations(scenario.environment);
      return to_json(search(*design.mechanism, expectations, SearchAgent::kBoth, s));
    }
    case SweepKind::kCompare: {
      CompareOptions c;
      c.mechanisms = {o.mechanism};
      c.plays = static_cast<std::uint64_t>(o.plays);
      c.seed = o.seed;
      c.threads = 1;
      return to_json(compare(scenario, c));
    }
  }
  return nullptr;
}

Json Sweep::compute_point(std::size_t index) const {
  const std::vector<double> values = coordinates(index);
  std::vector<Override> overrides = sets_;
  Json parameters = Json::object();
  for (std::size_t a = 0; a < values.size(); ++a) {
    overrides.push_back({.name = options_.grids[a].parameter, .value = values[a]});
    parameters[options_.grids[a].parameter] = values[a];
  }
  const Scenario scenario = load_scenario(options_.scenario, overrides);
  const Json report = run_command(scenario);
  Json metrics = Json::object();
  for (const SweepMetric& m : metrics_) {
    const Json::json_pointer pointer(m.pointer);
    metrics[m.name] = report.contains(pointer) ? report.at(pointer) : Json(nullptr);
  }
  return Json{{"index", index}, {"parameters", parameters}, {"metrics", metrics}};
}

std::string sweep_csv(const Sweep& sweep, const std::vector<Json>& points) {
  // Cells are appended one by one: `"," + text` trips a false -Wrestrict in g++ 12.
  std::string text = "index";
  const auto cell = [&text](const Json& value) {
    text += ',';
    text += csv_cell(value);
  };
  for (const GridAxis& axis : sweep.options().grids)
    cell(axis.parameter);
  for (const SweepMetric& m : sweep.metrics()) {
    cell(m.name);
    if (m.estimate)
      cell(m.name + "_error");
  }
  text += '\n';
  for (const Json& point : points) {
    text += csv_cell(point["index"]);
    for (const GridAxis& axis : sweep.options().grids)
      cell(point["parameters"][axis.parameter]);
    for (const SweepMetric& m : sweep.metrics()) {
      const Json& value = point["metrics"][m.name];
      const bool split = m.estimate && value.is_object();
      cell(split ? value.value("value", Json(nullptr)) : value);
      if (m.estimate)
        cell(split ? estimate_error(value) : Json(nullptr));
    }
    text += '\n';
  }
  return text;
}

Json sweep_json(const Sweep& sweep, const std::vector<Json>& points) {
  return Json{{"manifest", sweep.manifest()}, {"points", points}};
}

SweepSummary run_sweep(const Sweep& sweep) {
  const fs::path out = sweep.options().out;
  const std::string out_name = sweep.options().out;
  std::error_code ec;
  fs::create_directories(out / "points", ec);
  if (ec || !fs::is_directory(out / "points"))
    throw_input_error("--out {}: cannot create the directory ({})", out_name, ec.message());
  if (::access(out.c_str(), W_OK) != 0 || ::access((out / "points").c_str(), W_OK) != 0)
    throw_input_error("--out {}: the directory is not writable", out_name);

  // Before any rank writes: partial files of a killed earlier run go.
  if (processes().root()) {
    remove_stale_partials(out);
    remove_stale_partials(out / "points");
  }
  barrier();

  // Never mix: a directory holds the points of exactly one command.
  const fs::path manifest_path = out / "manifest.json";
  if (const auto text = read_file(manifest_path)) {
    const Json found = Json::parse(*text, nullptr, /*allow_exceptions=*/false);
    if (found != sweep.manifest()) {
      std::string differs = "its manifest.json is unreadable";
      if (found.is_object()) {
        for (const auto& [key, value] : sweep.manifest().items()) {
          if (!found.contains(key) || found[key] != value) {
            differs = fmt::format("its manifest.json differs in '{}'", key);
            break;
          }
        }
      }
      throw_input_error("--out {}: holds a different sweep ({}); use another directory", out_name,
                        differs);
    }
  } else {
    write_durably(manifest_path, dump(sweep.manifest()));
  }

  SweepSummary summary;
  summary.points = sweep.size();
  std::vector<std::size_t> missing;
  for (std::size_t i = 0; i < sweep.size(); ++i) {
    if (read_point(point_path(out, i), i))
      ++summary.resumed;
    else
      missing.push_back(i);
  }
  if (summary.resumed > 0) {
    spdlog::info("sweep: resuming in {}: {} of {} points already done", out_name, summary.resumed,
                 summary.points);
  }

  using Clock = std::chrono::steady_clock;
  const auto start = Clock::now();
  auto last_report = start;
  // Under mpirun, point i belongs to rank i mod N (sim/parallel.hpp); every
  // point file is still written by exactly one process.
  const Processes& group = processes();
  const std::size_t to_compute = missing.size();
  std::erase_if(missing, [&](std::size_t index) {
    return static_cast<int>(index % static_cast<std::size_t>(group.size)) != group.rank;
  });
  // Points run on `threads` threads of this process, each taking the next
  // missing point when it is free; a finished point is written at once by
  // the thread that computed it. Ctrl-C (or a failure) hands out no further
  // point; the points in hand finish (under --command run they stop at once
  // and are dropped) and every finished point stays.
  const InterruptGuard guard;
  const int threads = static_cast<int>(std::clamp<std::size_t>(
      missing.size(), 1, static_cast<std::size_t>(std::max(1, sweep.options().threads))));
  std::atomic<std::size_t> next{0};
  std::atomic<bool> failed{false};
  std::exception_ptr failure;
  std::mutex mutex;  // guards summary, failure and the progress line
#pragma omp parallel num_threads(threads)
  for (;;) {
    if (failed.load() || interrupt_flag().load())
      break;
    const std::size_t k = next.fetch_add(1);
    if (k >= missing.size())
      break;
    try {
      const Json point = sweep.compute_point(missing[k]);
      write_durably(point_path(out, missing[k]), dump(point));
      const std::lock_guard lock(mutex);
      ++summary.computed;
      const auto now = Clock::now();
      if (now - last_report >= std::chrono::seconds(1) || summary.computed == missing.size()) {
        last_report = now;
        const double elapsed = std::chrono::duration<double>(now - start).count();
        const double left = elapsed / static_cast<double>(summary.computed) *
                            static_cast<double>(missing.size() - summary.computed);
        spdlog::info("sweep: {} of {} points done, about {} left",
                     summary.resumed + summary.computed, summary.points, format_seconds(left));
      }
    } catch (...) {
      const std::lock_guard lock(mutex);
      if (!failure)
        failure = std::current_exception();
      failed.store(true);
    }
  }
  const auto stopped = [&] {
    return Interrupted(
        fmt::format("{} of {} points are saved in {}; the same command resumes the sweep",
                    summary.resumed + summary.computed, summary.points, out_name));
  };
  if (failure) {
    try {
      std::rethrow_exception(failure);
    } catch (const Interrupted&) {
      throw stopped();
    }
  }
  if (interrupt_flag().load())
    throw stopped();

  // The final files come from the point files alone, whoever computed them.
  barrier();
  if (!group.root())
    return summary;
  summary.computed = to_compute;  // by every rank together
  std::vector<Json> points;
  points.reserve(sweep.size());
  for (std::size_t i = 0; i < sweep.size(); ++i) {
    auto point = read_point(point_path(out, i), i);
    if (!point)
      throw std::runtime_error(fmt::format("sweep: point file {} vanished", i));
    points.push_back(std::move(*point));
  }
  write_durably(out / "sweep.csv", sweep_csv(sweep, points));
  write_durably(out / "sweep.json", dump(sweep_json(sweep, points)));
  summary.records = std::move(points);
  return summary;
}

}  // namespace twostage
