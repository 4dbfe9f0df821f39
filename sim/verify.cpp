// sim/verify.cpp
#include "sim/verify.hpp"

#include <algorithm>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "mechanisms/registry.hpp"
#include "sim/describe.hpp"

namespace twostage {
namespace {

std::string type_text(TypeView theta) {
  if (theta.size() == 1)
    return fmt::format("{:.6g}", theta[0]);
  return fmt::format("({:.6g})", fmt::join(theta, ", "));
}

std::string estimate_text(const Estimate& e) {
  return fmt::format("{:.12g} ± {:.1e}", e.value, e.error);
}

// The set of worst-off types in words, e.g. "the interval [0.5, 1]".
std::string worst_off_text(const WorstOffSet& set) {
  std::vector<std::string> parts;
  for (const Interval& r : set.intervals)
    parts.push_back(fmt::format("[{:.9g}, {:.9g}]", r.low, r.high));
  for (const Type& p : set.points)
    parts.push_back(type_text(p));
  switch (set.shape) {
    case WorstOffShape::kPoint:
      return fmt::format("θ = {}", type_text(set.points.empty() ? set.argmin : set.points[0]));
    case WorstOffShape::kPoints:
      return fmt::format("the types {{{}}}", fmt::join(parts, ", "));
    case WorstOffShape::kIntervals:
      return fmt::format("{} {}", parts.size() == 1 ? "the interval" : "the union of",
                         fmt::join(parts, " ∪ "));
    case WorstOffShape::kRegion: {
      std::vector<std::string> box;
      for (std::size_t k = 0; k < set.region_lower.size(); ++k) {
        box.push_back(fmt::format("[{:.6g}, {:.6g}]", set.region_lower[k], set.region_upper[k]));
      }
      return fmt::format(
          "a region covering {:.1f}% of a grid on the type box, inside {} "
          "(one worst-off type: {})",
          100.0 * set.region_share, fmt::join(box, " x "), type_text(set.argmin));
    }
  }
  return "?";
}

Json worst_off_json(const WorstOffSet& set) {
  Json points = Json::array(), intervals = Json::array();
  for (const Type& p : set.points)
    points.push_back(to_json(p));
  for (const Interval& r : set.intervals)
    intervals.push_back(Json::array({r.low, r.high}));
  Json region = nullptr;
  if (set.shape == WorstOffShape::kRegion) {
    region = Json{{"grid_share", set.region_share},
                  {"lower", to_json(set.region_lower)},
                  {"upper", to_json(set.region_upper)}};
  }
  return Json{{"shape", to_string(set.shape)},
              {"argmin", to_json(set.argmin)},
              {"points", points},
              {"intervals", intervals},
              {"region", region},
              {"tolerance", set.tolerance}};
}

Json agent_json(const AgentInterim& a) {
  Json curve = Json::array();
  for (const SlackPoint& p : a.curve) {
    curve.push_back(Json{{"theta", to_json(p.theta)},
                         {"U", to_json(p.U)},
                         {"outside_option", to_json(p.outside_option)},
                         {"slack", to_json(p.slack)}});
  }
  return Json{{"expected_loss", to_json(a.expected_loss)},
              {"lump_sum", to_json(a.lump_sum)},
              {"min_slack", to_json(a.min_slack)},
              {"worst_off_type", worst_off_json(a.worst_off)},
              {"curve", curve}};
}

void append_agent(std::string& out, const AgentInterim& a) {
  const bool seller = a.agent == 1;
  const char* i = seller ? "1" : "2";
  out += fmt::format(
      "\n{} (agent {}): interim utility U{i}, outside option U{i}° and slack "
      "s{i} = U{i} − U{i}°, lump sum included\n",
      seller ? "Seller" : "Buyer", a.agent, fmt::arg("i", i));
  out += fmt::format("  {:>24}  {:>14} {:>8}  {:>14} {:>8}  {:>14} {:>8}\n", seller ? "θ1" : "θ2",
                     fmt::format("U{}", i), "±", fmt::format("U{}°", i), "±", fmt::format("s{}", i),
                     "±");
  for (const SlackPoint& p : a.curve) {
    out += fmt::format("  {:>24}  {:>14.9f} {:>8.1e}  {:>14.9f} {:>8.1e}  {:>14.9f} {:>8.1e}\n",
                       type_text(p.theta), p.U.value, p.U.error, p.outside_option.value,
                       p.outside_option.error, p.slack.value, p.slack.error);
  }
  out += fmt::format("  Worst off: {} (slack within {:.1e} of the minimum)\n",
                     worst_off_text(a.worst_off), a.worst_off.tolerance);
  out += fmt::format("  min s{} = {}; lump sum ℓ{} = {}; expected loss without it L{} = {}\n", i,
                     estimate_text(a.min_slack), i, estimate_text(a.lump_sum), i,
                     estimate_text(a.expected_loss));
}

// The BIC line: each agent's exploitability bracket, and the deviation
// attaining the lower bound when it is a real gain.
std::string bic_text(const SearchResult& result) {
  std::vector<std::string> parts;
  for (const AgentSearch& s : result.agents) {
    std::string part = fmt::format("{} gain in [{:.6g} ± {:.1e}, {:.6g} ± {:.1e}]",
                                   s.agent == 1 ? "seller" : "buyer", s.exploitability_lower.value,
                                   s.exploitability_lower.error, s.exploitability_upper.value,
                                   s.exploitability_upper.error);
    if (!s.truthful()) {
      part += fmt::format(" at θ = {} by reporting {}", type_text(s.argmax_type),
                          type_text(s.deviation.report));
    }
    parts.push_back(part);
  }
  return fmt::format("{}", fmt::join(parts, "; "));
}

std::string verdict_line(const char* property, const PropertyVerdict& v, const std::string& why) {
  return fmt::format("  {:<4} {:<12} {}\n", property, to_string(v.verdict), why);
}

}  // namespace

std::string to_string(Verdict verdict) {
  switch (verdict) {
    case Verdict::kHolds:
      return "holds";
    case Verdict::kFails:
      return "fails";
    case Verdict::kNotChecked:
      return "not checked";
  }
  return "?";
}

Verification verify(const Scenario& scenario, const VerifyOptions& options) {
  const Environment& env = scenario.environment;
  const Expectations expectations(env);
  const auto mechanism = make_mechanism(
      options.mechanism, scenario.parameters_for(options.mechanism, options.mechanism_parameters),
      env, expectations);

  Verification v;
  v.scenario = &scenario;
  v.mechanism = mechanism->name();
  for (const MechanismEntry* entry : registered_mechanisms()) {
    if (entry->name == options.mechanism)
      v.mechanism_description = entry->description;
  }
  v.two_stage = mechanism->two_stage();
  v.parameters = mechanism->parameters();
  v.notes = mechanism->notes();
  v.analysis = analyse_interim(*mechanism, expectations, options.interim);
  const InterimAnalysis& a = v.analysis;

  const auto decision_errors = static_cast<double>(a.efficiency.decision_errors);
  v.EFF = {a.efficiency.decision_errors == 0 ? Verdict::kHolds : Verdict::kFails,
           {decision_errors, 0.0}};
  const Estimate& imbalance = a.budget.max_imbalance;
  v.BB = {imbalance.value <= imbalance.error ? Verdict::kHolds : Verdict::kFails, imbalance};
  const Estimate& worst =
      a.seller.min_slack.value <= a.buyer.min_slack.value ? a.seller.min_slack : a.buyer.min_slack;
  v.IIR = {worst.value >= -worst.error ? Verdict::kHolds : Verdict::kFails, worst};
  // BIC (Definition 5): truth is a best response at every information set,
  // so no deviation gains; the margin is the larger exploitability lower bound.
  v.search = search(*mechanism, expectations, SearchAgent::kBoth, options.search);
  const Estimate* largest = nullptr;
  for (const AgentSearch& s : v.search.agents) {
    if (largest == nullptr || s.exploitability_lower.value > largest->value)
      largest = &s.exploitability_lower;
  }
  const bool truthful = std::all_of(v.search.agents.begin(), v.search.agents.end(),
                                    [](const AgentSearch& s) { return s.truthful(); });
  v.BIC = {truthful ? Verdict::kHolds : Verdict::kFails, *largest};
  if (options.monte_carlo.plays > 0) {
    v.monte_carlo = check_by_monte_carlo(*mechanism, expectations, options.monte_carlo);
  }
  return v;
}

Json to_json(const Verification& v) {
  const InterimAnalysis& a = v.analysis;
  Json parameters = Json::object();
  for (const MechanismParameterValue& p : v.parameters) {
    parameters[p.name] = p.categorical() ? Json(p.text) : Json(p.value);
  }
  Json es = to_json(a.expected_surplus);
  es["method"] = to_string(a.es_method);
  Json first_error = nullptr;
  if (a.efficiency.decision_errors > 0) {
    first_error = Json{{"theta1", to_json(a.efficiency.theta1)},
                       {"theta2", to_json(a.efficiency.theta2)},
                       {"trade_probability", a.efficiency.trade_probability}};
  }
  auto margin = [](const PropertyVerdict& p) {
    return p.verdict == Verdict::kNotChecked ? Json(nullptr) : to_json(p.margin);
  };
  return Json{
      {"scenario", scenario_json(*v.scenario)},
      {"mechanism",
       {{"name", v.mechanism},
        {"description", v.mechanism_description},
        {"two_stage", v.two_stage},
        {"notes", v.notes},
        {"parameters", parameters}}},
      {"expected_surplus", es},
      {"agents", {{"seller", agent_json(a.seller)}, {"buyer", agent_json(a.buyer)}}},
      {"lump_sum",
       {{"feasible", a.lump_sum.feasible},
        {"total_loss", to_json(a.lump_sum.total_loss)},
        {"seller", to_json(a.seller.lump_sum)},
        {"buyer", to_json(a.buyer.lump_sum)}}},
      {"budget",
       {{"max_imbalance", to_json(a.budget.max_imbalance)},
        {"theta1", to_json(a.budget.theta1)},
        {"theta2", to_json(a.budget.theta2)},
        {"profiles", a.budget.profiles}}},
      {"efficiency",
       {{"decision_errors", a.efficiency.decision_errors},
        {"profiles", a.efficiency.profiles},
        {"first_error", first_error}}},
      {"verdicts",
       {{"EFF", to_string(v.EFF.verdict)},
        {"BB", to_string(v.BB.verdict)},
        {"IIR", to_string(v.IIR.verdict)},
        {"BIC", to_string(v.BIC.verdict)}}},
      {"deviation_search", to_json(v.search)},
      {"monte_carlo", v.monte_carlo ? to_json(*v.monte_carlo) : Json(nullptr)},
      {"margins",
       {{"EFF", margin(v.EFF)},
        {"BB", margin(v.BB)},
        {"IIR", margin(v.IIR)},
        {"BIC", margin(v.BIC)}}},
  };
}

std::string to_text(const Verification& v) {
  const Scenario& s = *v.scenario;
  const InterimAnalysis& a = v.analysis;
  std::string out = fmt::format("Scenario {} ({})\n  {}\n", s.name, s.source, s.description);
  for (const Parameter& p : s.parameters) {
    out += fmt::format("  {} = {} (default {}, allowed {})\n", p.name, p.value, p.default_value,
                       p.range.describe());
  }
  out += fmt::format("Mechanism {} ({}): {}\n", v.mechanism,
                     v.two_stage ? "two-stage" : "one-stage", v.mechanism_description);
  for (const MechanismParameterValue& p : v.parameters) {
    out += p.categorical() ? fmt::format("  {} = {}\n", p.name, p.text)
                           : fmt::format("  {} = {}\n", p.name, p.value);
  }
  for (const std::string& note : v.notes)
    out += fmt::format("  Note: {}\n", note);
  out += fmt::format("Expected surplus ES = {} ({})\n", estimate_text(a.expected_surplus),
                     to_string(a.es_method));
  append_agent(out, a.seller);
  append_agent(out, a.buyer);

  out += "\nLump sums (Mezzetti 2003, Proposition 3)\n";
  if (a.lump_sum.feasible) {
    out += fmt::format(
        "  L1 + L2 = {} ≤ 0: constant transfers ℓ1 = −ℓ2 restore IIR without "
        "touching BIC, EFF or BB\n",
        estimate_text(a.lump_sum.total_loss));
  } else {
    out += fmt::format(
        "  L1 + L2 = {} > 0: no lump sum can restore IIR; some type of some "
        "agent stays below its outside option whatever the split\n",
        estimate_text(a.lump_sum.total_loss));
  }
  out += fmt::format("  the seller receives ℓ1 = {}, the buyer ℓ2 = {}\n",
                     estimate_text(a.seller.lump_sum), estimate_text(a.buyer.lump_sum));

  out += fmt::format(
      "\nBudget: max |t1 + t2| on the truthful path = {} over {} type profiles "
      "(at θ1 = {}, θ2 = {})\n",
      estimate_text(a.budget.max_imbalance), a.budget.profiles, type_text(a.budget.theta1),
      type_text(a.budget.theta2));
  if (a.efficiency.decision_errors == 0) {
    out += fmt::format("Efficiency: the decision is x* at all {} type profiles checked\n",
                       a.efficiency.profiles);
  } else {
    out += fmt::format(
        "Efficiency: the decision differs from x* at {} of {} type profiles "
        "(first at θ1 = {}, θ2 = {}: trade probability {})\n",
        a.efficiency.decision_errors, a.efficiency.profiles, type_text(a.efficiency.theta1),
        type_text(a.efficiency.theta2), a.efficiency.trade_probability);
  }

  out += "\nVerdicts\n";
  out += verdict_line("EFF", v.EFF,
                      fmt::format("decision errors: {} of {} profiles",
                                  a.efficiency.decision_errors, a.efficiency.profiles));
  out += verdict_line("BB", v.BB, fmt::format("max |t1 + t2| = {}", estimate_text(v.BB.margin)));
  const bool binds = std::abs(v.IIR.margin.value) <= v.IIR.margin.error;
  out += verdict_line("IIR", v.IIR,
                      fmt::format("smallest slack after lump sums = {}{}",
                                  estimate_text(v.IIR.margin), binds ? " (binds)" : ""));
  out += verdict_line("BIC", v.BIC, bic_text(v.search));
  if (v.monte_carlo)
    out += to_text(*v.monte_carlo);
  return out;
}

}  // namespace twostage
