// sim/reproduce.cpp
#include "sim/reproduce.hpp"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <exception>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <thread>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "scenarios/error.hpp"
#include "scenarios/facts.hpp"
#include "scenarios/scenario.hpp"
#include "sim/plot.hpp"
#include "sim/verify.hpp"

namespace twostage {
namespace {

// A closed form evaluated in floating point differs from the same number
// reached by sums and quadrature by rounding alone; this allows for it.
constexpr double kRounding = 1e-12;
constexpr const char* kTheorem1 = "Theorem 1";
constexpr const char* kProposition1 = "Proposition 1";
constexpr const char* kTwoSidedScenario = "two-sided-linear";

// verify() with what the reproduction does not use turned down: no Monte
// Carlo cross-check, and a deviation search on a coarse grid (Groves is BIC,
// and BIC is not what Theorem 1 or Proposition 1 is about).
VerifyOptions light_options() {
  VerifyOptions o;
  o.mechanism = "groves";
  o.monte_carlo.plays = 0;
  o.search.types = 3;
  o.search.reports = 5;
  o.search.nodes = 33;
  o.search.type_refinements = 0;
  o.search.refined_types = 0;
  o.search.threads = 1;
  // EFF and BB on a 33 × 33 grid of profiles rather than 65 × 65: neither is
  // a closed form checked here, and the grid dominates the run time.
  o.interim.profiles = 1089;
  return o;
}

// The smallest and largest worst-off types (one-dimensional).
Interval worst_off_span(const WorstOffSet& set) {
  Interval span{INFINITY, -INFINITY};
  auto take = [&](double x) {
    span.low = std::min(span.low, x);
    span.high = std::max(span.high, x);
  };
  if (!set.argmin.empty())
    take(set.argmin[0]);
  for (const Type& t : set.points)
    take(t[0]);
  for (const Interval& iv : set.intervals) {
    take(iv.low);
    take(iv.high);
  }
  return span;
}

void check_theorem1(const Scenario& scenario, std::vector<ClosedFormCheck>& out) {
  const Verification v = verify(scenario, light_options());
  const EnvironmentFacts facts = classify(scenario.environment);
  const Estimate ES = v.analysis.expected_surplus;
  const Estimate L1 = v.analysis.seller.expected_loss;
  const Estimate L2 = v.analysis.buyer.expected_loss;
  // In a trivial environment every seller type trades, so
  // min over θ1 of E[(v2 − v1)⁺] = min(v2 − v1), the margin; otherwise a type
  // that never trades makes it 0 (MODEL.md §3.1).
  const double margin = facts.trivial ? facts.margin : 0.0;
  auto add = [&](std::string quantity, std::string formula, Estimate computed, double closed,
                 double closed_error) {
    out.push_back({.result = kTheorem1,
                   .instance = scenario.name,
                   .quantity = std::move(quantity),
                   .formula = std::move(formula),
                   .computed = computed,
                   .closed_form = closed,
                   .closed_form_error = closed_error});
  };
  if (facts.trivial) {
    add("L1", "ES/2 - min(v2 - v1)", L1, ES.value / 2 - margin, ES.error / 2);
    add("L2", "-ES/2", L2, -ES.value / 2, ES.error / 2);
    add("L1 + L2", "-min(v2 - v1)", v.analysis.lump_sum.total_loss, -margin, 0.0);
  } else {
    add("L1", "ES/2", L1, ES.value / 2, ES.error / 2);
    add("L2", "-ES/2", L2, -ES.value / 2, ES.error / 2);
    add("L1 + L2", "0", v.analysis.lump_sum.total_loss, 0.0, 0.0);
  }
}

// Equations (3)–(6) of the paper, as MODEL.md §3.1 states them.
struct Proposition1 {
  double L1 = 0.0, L2 = 0.0;
  bool first_case = true;  // γ2 ≤ γ1
  double seller_worst_low = 1.0;
};

Proposition1 proposition1(double g1, double g2) {
  Proposition1 p;
  p.first_case = g2 <= g1;
  if (p.first_case) {
    const double tail = (1 - g1) * (1 - g1) / (12 * (1 - g2));
    p.L1 = 0.25 + g1 / 4 + tail;   // (3)
    p.L2 = -0.25 + g1 / 4 + tail;  // (4)
    p.seller_worst_low = (1 - g1) / (1 - g2);
  } else {
    const double tail = (1 - g2) * (1 - g2) / (12 * (1 - g1));
    p.L1 = -(g2 - g1) * (g2 - g1) / (2 * (1 - g1)) + 0.25 + g2 / 4 + tail;  // (5)
    p.L2 = -0.25 + g2 / 4 + tail;                                           // (6)
    p.seller_worst_low = 1.0;
  }
  return p;
}

void check_proposition1(double g1, double g2, std::vector<ClosedFormCheck>& out) {
  const Scenario scenario =
      load_scenario(kTwoSidedScenario,
                    {Override{.name = "gamma1", .value = g1}, {.name = "gamma2", .value = g2}});
  const VerifyOptions options = light_options();
  const Verification v = verify(scenario, options);
  const Proposition1 p = proposition1(g1, g2);
  const std::string instance = fmt::format("gamma1={:.4g}, gamma2={:.4g}", g1, g2);
  const char* eq_L1 = p.first_case ? "(3)" : "(5)";
  const char* eq_L2 = p.first_case ? "(4)" : "(6)";
  auto add = [&](std::string quantity, std::string formula, Estimate computed, double closed) {
    out.push_back({.result = kProposition1,
                   .instance = instance,
                   .quantity = std::move(quantity),
                   .formula = std::move(formula),
                   .computed = computed,
                   .closed_form = closed,
                   .closed_form_error = 0.0,
                   .gamma1 = g1,
                   .gamma2 = g2});
  };
  add("L1", fmt::format("equation {}", eq_L1), v.analysis.seller.expected_loss, p.L1);
  add("L2", fmt::format("equation {}", eq_L2), v.analysis.buyer.expected_loss, p.L2);
  add("L1 + L2", fmt::format("{} + {}", eq_L1, eq_L2), v.analysis.lump_sum.total_loss, p.L1 + p.L2);
  // Worst-off types are located on the scan grid and then refined, so they
  // are known to within one step of that grid.
  const double step = 1.0 / static_cast<double>(options.interim.set_scan_1d - 1);
  const Interval seller = worst_off_span(v.analysis.seller.worst_off);
  const Interval buyer = worst_off_span(v.analysis.buyer.worst_off);
  add("worst-off theta1, low end",
      p.first_case ? "(1 - gamma1)/(1 - gamma2)" : "1 (gamma1 < gamma2)", {seller.low, step},
      p.seller_worst_low);
  add("worst-off theta1, high end", "1", {seller.high, step}, 1.0);
  add("worst-off theta2, high end", "0", {buyer.high, step}, 0.0);
}

ResultVerdict verdict_of(const std::string& result, const std::vector<ClosedFormCheck>& checks) {
  ResultVerdict v;
  v.result = result;
  v.checks = checks.size();
  for (const ClosedFormCheck& c : checks) {
    v.within += c.within() ? 1 : 0;
    const double d = std::abs(c.difference());
    if (d >= v.max_difference) {
      v.max_difference = d;
      v.bound_at_max = c.bound();
    }
  }
  return v;
}

std::vector<std::filesystem::path> scenario_files(const std::string& directory,
                                                  std::vector<std::string>& notes) {
  std::vector<std::filesystem::path> files;
  if (directory.empty())
    return files;
  std::error_code ec;
  if (!std::filesystem::is_directory(directory, ec)) {
    notes.push_back(fmt::format(
        "scenario directory '{}' not found: Theorem 1 checked on the built-ins only", directory));
    return files;
  }
  for (const auto& entry : std::filesystem::directory_iterator(directory, ec)) {
    if (entry.path().extension() == ".toml")
      files.push_back(entry.path());
  }
  if (ec)
    throw_input_error("--scenarios {}: cannot read the directory ({})", directory, ec.message());
  std::sort(files.begin(), files.end());
  return files;
}

Json check_json(const ClosedFormCheck& c) {
  Json j = {{"instance", c.instance},       {"quantity", c.quantity},
            {"formula", c.formula},         {"computed", to_json(c.computed)},
            {"closed_form", c.closed_form}, {"closed_form_error", c.closed_form_error},
            {"difference", c.difference()}, {"bound", c.bound()},
            {"within", c.within()}};
  if (c.result == kProposition1) {
    j["gamma1"] = c.gamma1;
    j["gamma2"] = c.gamma2;
  }
  return j;
}

Json result_json(const ResultVerdict& v, const std::vector<ClosedFormCheck>& checks) {
  Json rows = Json::array();
  for (const ClosedFormCheck& c : checks)
    rows.push_back(check_json(c));
  return {{"verdict",
           {{"reproduced", v.reproduced()},
            {"checks", v.checks},
            {"within", v.within},
            {"max_abs_difference", v.max_difference},
            {"bound_at_max", v.bound_at_max},
            {"line", v.line()}}},
          {"checks", rows}};
}

const ClosedFormCheck* find(const std::vector<ClosedFormCheck>& checks, std::size_t first,
                            const std::string& quantity) {
  for (std::size_t k = first; k < checks.size() && checks[k].instance == checks[first].instance;
       ++k) {
    if (checks[k].quantity == quantity)
      return &checks[k];
  }
  return nullptr;
}

void write_text(const std::filesystem::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
  if (!out)
    throw_input_error("--out: cannot write '{}'", path.string());
}

// closed form against computed, one file per result, for the scatter figure.
std::string scatter_data(const std::vector<ClosedFormCheck>& checks) {
  std::string out = "closed_form,computed,quantity\n";
  for (const ClosedFormCheck& c : checks) {
    if (c.quantity.rfind("L", 0) == 0) {
      out += fmt::format("{:.12g},{:.12g},{}\n", c.closed_form, c.computed.value, c.quantity);
    }
  }
  return out;
}

}  // namespace

double ClosedFormCheck::bound() const {
  return computed.error + closed_form_error + kRounding * (1 + std::abs(closed_form));
}

bool ClosedFormCheck::within() const {
  return std::abs(difference()) <= bound();
}

std::string ResultVerdict::line() const {
  if (checks == 0)
    return fmt::format("{}: not checked (no instance)", result);
  if (reproduced()) {
    return fmt::format(
        "{} reproduced: max |difference| = {:.3g} <= error bound {:.3g} ({} of {} "
        "checks within their bounds)",
        result, max_difference, bound_at_max, within, checks);
  }
  return fmt::format(
      "{} NOT reproduced: {} of {} checks outside their error bounds (max "
      "|difference| = {:.3g}, its bound {:.3g})",
      result, checks - within, checks, max_difference, bound_at_max);
}

Reproduction reproduce_paper(const ReproduceOptions& options) {
  if (options.gamma_points < 1)
    throw_input_error("--gammas {}: must be at least 1", options.gamma_points);
  Reproduction r;
  for (const BuiltinScenario& builtin : builtin_scenarios()) {
    const Scenario s = load_scenario(std::string(builtin.name));
    if (!s.environment.one_sided())
      continue;
    r.instances_theorem1.push_back(fmt::format("{} (built-in)", s.name));
    check_theorem1(s, r.theorem1);
  }
  for (const auto& file : scenario_files(options.scenario_directory, r.notes)) {
    const Scenario s = load_scenario(file.string());
    if (!s.environment.one_sided())
      continue;
    r.instances_theorem1.push_back(fmt::format("{} ({})", s.name, file.string()));
    check_theorem1(s, r.theorem1);
  }
  // The γ pairs are independent: each loads its own scenario (affine
  // valuations, no shared state), so two threads take them in turn and the
  // rows are joined in grid order, the same with any number of threads.
  const std::size_t n = options.gamma_points;
  std::vector<std::vector<ClosedFormCheck>> rows(n * n);
  std::atomic<std::size_t> next{0};
  std::exception_ptr failure;
  std::mutex failure_mutex;
  auto work = [&] {
    for (std::size_t k; (k = next.fetch_add(1)) < rows.size();) {
      const double g1 = static_cast<double>(k / n + 1) / static_cast<double>(n + 1);
      const double g2 = static_cast<double>(k % n + 1) / static_cast<double>(n + 1);
      try {
        check_proposition1(g1, g2, rows[k]);
      } catch (...) {
        std::lock_guard lock(failure_mutex);
        failure = std::current_exception();
        next.store(rows.size());
      }
    }
  };
  {
    std::vector<std::jthread> threads;
    for (unsigned t = 1; t < std::max(1u, options.threads); ++t)
      threads.emplace_back(work);
    work();
  }
  if (failure)
    std::rethrow_exception(failure);
  for (auto& block : rows)
    r.proposition1.insert(r.proposition1.end(), block.begin(), block.end());
  r.theorem1_verdict = verdict_of(kTheorem1, r.theorem1);
  r.proposition1_verdict = verdict_of(kProposition1, r.proposition1);
  return r;
}

Json to_json(const Reproduction& r) {
  return {{"theorem_1", result_json(r.theorem1_verdict, r.theorem1)},
          {"proposition_1", result_json(r.proposition1_verdict, r.proposition1)},
          {"theorem_1_instances", r.instances_theorem1},
          {"notes", r.notes}};
}

std::string to_text(const Reproduction& r) {
  std::string out =
      "Theorem 1 (one-sided; generalized two-stage Groves, MODEL.md §3.1)\n"
      "  nontrivial: L1 = ES/2, L2 = -ES/2, L1 + L2 = 0; trivial: L1 + L2 = -min(v2 - v1)\n";
  out += fmt::format("  {:<18} {:<8} {:<20} {:>12} {:>12} {:>10} {:>9}\n", "scenario", "quantity",
                     "closed form", "computed", "closed form", "difference", "bound");
  for (const ClosedFormCheck& c : r.theorem1) {
    out += fmt::format("  {:<18} {:<8} {:<20} {:>12.6f} {:>12.6f} {:>10.2e} {:>9.2e}{}\n",
                       c.instance, c.quantity, c.formula, c.computed.value, c.closed_form,
                       c.difference(), c.bound(), c.within() ? "" : "  OUTSIDE");
  }
  out += "  " + r.theorem1_verdict.line() + "\n\n";

  out +=
      "Proposition 1 (two-sided linear-uniform; equations (3)-(6); worst-off types: buyer 0,\n"
      "  seller 1 when gamma1 < gamma2, [(1 - gamma1)/(1 - gamma2), 1] when gamma2 <= gamma1)\n";
  out +=
      fmt::format("  {:>6} {:>6} {:>4} {:>9} {:>9} {:>9} {:>9} {:>9} {:>9} {:>17} {:>17} {:>9}\n",
                  "g1", "g2", "eq", "L1", "(closed)", "L2", "(closed)", "L1+L2", "(closed)",
                  "seller worst-off", "(closed)", "max|diff|");
  for (std::size_t k = 0; k < r.proposition1.size();) {
    const ClosedFormCheck& first = r.proposition1[k];
    const ClosedFormCheck* L1 = find(r.proposition1, k, "L1");
    const ClosedFormCheck* L2 = find(r.proposition1, k, "L2");
    const ClosedFormCheck* sum = find(r.proposition1, k, "L1 + L2");
    const ClosedFormCheck* low = find(r.proposition1, k, "worst-off theta1, low end");
    const ClosedFormCheck* high = find(r.proposition1, k, "worst-off theta1, high end");
    double worst = 0.0;
    bool all_within = true;
    std::size_t end = k;
    while (end < r.proposition1.size() && r.proposition1[end].instance == first.instance) {
      worst = std::max(worst, std::abs(r.proposition1[end].difference()));
      all_within = all_within && r.proposition1[end].within();
      ++end;
    }
    if (L1 && L2 && sum && low && high) {
      out += fmt::format(
          "  {:>6.3f} {:>6.3f} {:>4} {:>9.5f} {:>9.5f} {:>9.5f} {:>9.5f} {:>9.5f} {:>9.5f} "
          "{:>17} {:>17} {:>9.2e}{}\n",
          first.gamma1, first.gamma2, first.gamma2 <= first.gamma1 ? "3,4" : "5,6",
          L1->computed.value, L1->closed_form, L2->computed.value, L2->closed_form,
          sum->computed.value, sum->closed_form,
          fmt::format("[{:.4f}, {:.4f}]", low->computed.value, high->computed.value),
          fmt::format("[{:.4f}, {:.4f}]", low->closed_form, high->closed_form), worst,
          all_within ? "" : "  OUTSIDE");
    }
    k = end;
  }
  out += "  " + r.proposition1_verdict.line() + "\n";
  for (const std::string& note : r.notes)
    out += "note: " + note + "\n";
  return out;
}

std::string to_csv(const std::vector<ClosedFormCheck>& checks) {
  std::string out =
      "result,instance,quantity,formula,computed,error,closed_form,closed_form_error,difference,"
      "bound,within\n";
  auto field = [](const std::string& s) {
    // Quote text fields: instances and formulas contain commas.
    std::string q = "\"";
    for (char c : s)
      q += c == '"' ? std::string("\"\"") : std::string(1, c);
    return q + "\"";
  };
  for (const ClosedFormCheck& c : checks) {
    out += fmt::format("{},{},{},{},{:.12g},{:.3g},{:.12g},{:.3g},{:.3g},{:.3g},{}\n",
                       field(c.result), field(c.instance), field(c.quantity), field(c.formula),
                       c.computed.value, c.computed.error, c.closed_form, c.closed_form_error,
                       c.difference(), c.bound(), c.within() ? 1 : 0);
  }
  return out;
}

void write_reproduction(const Reproduction& r, const std::string& directory) {
  const std::filesystem::path dir(directory);
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec || !std::filesystem::is_directory(dir))
    throw_input_error("--out {}: cannot create the directory", directory);
  write_text(dir / "theorem1.csv", to_csv(r.theorem1));
  write_text(dir / "proposition1.csv", to_csv(r.proposition1));
  write_text(dir / "reproduce.json", dump(to_json(r)));

  // L1 + L2 over the γ grid: positive everywhere, so no lump sum restores IIR.
  Heatmap loss{.title =
                   "Proposition 1: L1 + L2 computed for two-stage Groves (> 0: no lump sum "
                   "restores IIR)",
               .x_label = "gamma1 (weight of the buyer's type in v1)",
               .y_label = "gamma2 (weight of the seller's type in v2)",
               .z_label = "L1 + L2 (units of v)",
               .points = {},
               .cell_labels = true};
  Heatmap gap = loss;
  gap.title = "Proposition 1: L1 + L2, computed minus closed form (3)-(6)";
  gap.z_label = "difference (units of v)";
  gap.cell_labels = false;
  for (const ClosedFormCheck& c : r.proposition1) {
    if (c.quantity != "L1 + L2")
      continue;
    loss.points.push_back({c.gamma1, c.gamma2, c.computed.value});
    gap.points.push_back({c.gamma1, c.gamma2, c.difference()});
  }
  plot_heatmap(loss, directory, "proposition1-loss");
  plot_heatmap(gap, directory, "proposition1-difference");

  Figure scatter{.name = "closed-form-vs-computed",
                 .title = "expected losses: closed form against computed",
                 .data = {{"theorem1-points.csv", scatter_data(r.theorem1)},
                          {"proposition1-points.csv", scatter_data(r.proposition1)}},
                 .body = {},
                 .width = 760,
                 .height = 700};
  scatter.body =
      "set title 'L1, L2 and L1 + L2: closed form against computed (on the diagonal: "
      "reproduced)'\n"
      "set xlabel 'closed form (units of v)'\n"
      "set ylabel 'computed by twostage verify (units of v)'\n"
      "set grid\n"
      "set key top left box opaque\n"
      "set size ratio -1\n"
      "plot x with lines linecolor rgb '#999999' title 'computed = closed form', \\\n"
      "     'proposition1-points.csv' using 1:2 with points pointtype 7 pointsize 0.8 "
      "linecolor rgb '#d62728' title 'Proposition 1 (grid of gamma pairs)', \\\n"
      "     'theorem1-points.csv' using 1:2 with points pointtype 5 pointsize 1.1 "
      "linecolor rgb '#08519c' title 'Theorem 1 (one-sided scenarios)'\n";
  render(scatter, directory);
}

}  // namespace twostage
