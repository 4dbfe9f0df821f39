// sim/compare.cpp
#include "sim/compare.hpp"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "agents/agent.hpp"
#include "mechanisms/registry.hpp"
#include "scenarios/error.hpp"
#include "sim/describe.hpp"
#include "sim/design.hpp"
#include "sim/run.hpp"

namespace twostage {
namespace {

bool has_fine(const std::string& mechanism) {
  for (const MechanismEntry* entry : registered_mechanisms()) {
    if (entry->name != mechanism)
      continue;
    return std::any_of(entry->parameters.begin(), entry->parameters.end(),
                       [](const MechanismParameterSpec& p) { return p.name == "fine"; });
  }
  return false;
}

// The most each agent can owe: −min ti over a grid of stage-1 reports, both
// realised trades and payoff reports at 0 and the ends of each Πi. A deposit
// of that size makes every transfer collectable, on and off the path.
Deposits required_deposits(const Environment& env, const Mechanism& mechanism) {
  double low1 = 0.0, high1 = 0.0, low2 = 0.0, high2 = 0.0;
  for (const Type& a : env.Theta1.grid(9)) {
    for (const Type& b : env.Theta2.grid(9)) {
      low1 = std::min(low1, env.v1(a, b));
      high1 = std::max(high1, env.v1(a, b));
      low2 = std::min(low2, env.v2(a, b));
      high2 = std::max(high2, env.v2(a, b));
    }
  }
  double owe1 = 0.0, owe2 = 0.0;
  for (const Type& a : env.Theta1.grid(9)) {
    for (const Type& b : env.Theta2.grid(9)) {
      for (bool traded : {false, true}) {
        for (double u1 : {0.0, low1, high1}) {
          for (double u2 : {0.0, low2, high2}) {
            const Transfers t = mechanism.transfers(a, b, traded, u1, u2);
            owe1 = std::max(owe1, -t.t1);
            owe2 = std::max(owe2, -t.t2);
          }
        }
      }
    }
  }
  return {owe1, owe2};
}

StressOutcome play(const Scenario& scenario, const std::string& mechanism,
                   std::optional<double> fine, const Stress& stress,
                   const CompareOptions& options) {
  const Design design = design_mechanism(scenario, mechanism, {}, stress, fine);
  const Environment& env = scenario.environment;
  const Agent seller(1, env, stress.apply(Strategy{}));
  const Agent buyer(2, env, stress.apply(Strategy{}));
  MonteCarloOptions o;
  o.plays = options.plays;
  o.seed = options.seed;
  o.threads = options.threads;
  o.deposits = default_deposits(env, *design.mechanism);
  if (stress.deposit)
    o.deposits = {*stress.deposit, *stress.deposit};
  o.observation_noise = stress.noise;
  StressOutcome outcome{stress.label(), o.deposits, {}};
  outcome.tally = run_monte_carlo(env, *design.mechanism, seller, buyer, o).tally;
  return outcome;
}

std::string mean_text(const Moments& m) {
  return fmt::format("{:.4g} ± {:.1g}", m.mean(), m.ci95());
}

std::string worst_text(const AgentInterim& a) {
  if (a.worst_off.intervals.empty()) {
    const Type& t = a.worst_off.argmin;
    return t.size() == 1 ? fmt::format("{:.4g}", t[0]) : fmt::format("({})", fmt::join(t, ", "));
  }
  const Interval& i = a.worst_off.intervals.front();
  return fmt::format("[{:.4g}, {:.4g}]", i.low, i.high);
}

const AgentSearch* search_of(const Verification& v, int agent) {
  for (const AgentSearch& s : v.search.agents) {
    if (s.agent == agent)
      return &s;
  }
  return nullptr;
}

Json play_json(const StressOutcome& p) {
  const Tally& t = p.tally;
  return Json{{"stress", p.stress},
              {"deposits", {{"seller", p.deposits.seller}, {"buyer", p.deposits.buyer}}},
              {"trade_rate", mean_json(t.traded)},
              {"decision_errors", mean_json(t.decision_error)},
              {"surplus_lost", mean_json(t.surplus_lost)},
              {"max_imbalance", t.max_imbalance},
              {"burned", mean_json(t.burned)},
              {"deficit", mean_json(t.deficit)},
              {"shortfall_plays", t.shortfall_plays},
              {"seller_mean_gain", mean_json(t.gain1)},
              {"buyer_mean_gain", mean_json(t.gain2)}};
}

}  // namespace

Comparison compare(const Scenario& scenario, const CompareOptions& options) {
  if (options.mechanisms.empty())
    throw_input_error("--mechanisms: give at least one mechanism");
  std::vector<double> fines;
  std::vector<Stress> played = {Stress{}};
  for (const Stress& s : options.stresses) {
    fines.insert(fines.end(), s.fines.begin(), s.fines.end());
    Stress without_fines = s;
    without_fines.fines.clear();
    if (!without_fines.empty())
      played.push_back(without_fines);
  }
  if (!fines.empty() && std::none_of(options.mechanisms.begin(), options.mechanisms.end(),
                                     [](const std::string& m) { return has_fine(m); })) {
    throw_input_error("--stress fine:…: none of the mechanisms listed has a fine");
  }

  Comparison c;
  c.scenario = &scenario;
  c.options = options;
  for (const std::string& name : options.mechanisms) {
    std::vector<std::optional<double>> variants = {std::nullopt};
    if (has_fine(name) && !fines.empty())
      variants.assign(fines.begin(), fines.end());
    for (const std::optional<double>& fine : variants) {
      CompareRow row;
      row.mechanism = name;
      row.label = fine ? fmt::format("{} (fine {})", name, *fine) : name;
      spdlog::debug("compare: {}", row.label);
      VerifyOptions vo;
      vo.mechanism = name;
      if (fine)
        vo.mechanism_parameters.push_back({"fine", *fine});
      vo.search = options.search;
      vo.monte_carlo.plays = 0;  // compare plays its own games below
      row.exact = verify(scenario, vo);
      const Design design = design_mechanism(scenario, name, {}, Stress{}, fine);
      row.required = required_deposits(scenario.environment, *design.mechanism);
      for (const Stress& s : played)
        row.play.push_back(play(scenario, name, fine, s, options));
      c.rows.push_back(std::move(row));
    }
  }
  return c;
}

Json to_json(const Comparison& c) {
  Json rows = Json::array();
  for (const CompareRow& r : c.rows) {
    const InterimAnalysis& a = r.exact.analysis;
    Json bic = Json::object();
    for (int agent : {1, 2}) {
      const AgentSearch* s = search_of(r.exact, agent);
      if (s == nullptr)
        continue;
      bic[agent == 1 ? "seller" : "buyer"] = Json{{"exploitability",
                                                   {{"lower", to_json(s->exploitability_lower)},
                                                    {"upper", to_json(s->exploitability_upper)}}},
                                                  {"argmax_type", to_json(s->argmax_type)},
                                                  {"deviation", to_json(s->deviation)}};
    }
    Json play = Json::array();
    for (const StressOutcome& p : r.play)
      play.push_back(play_json(p));
    rows.push_back(
        Json{{"mechanism", r.mechanism},
             {"label", r.label},
             {"notes", r.exact.notes},
             {"EFF",
              {{"decision_errors", a.efficiency.decision_errors},
               {"profiles", a.efficiency.profiles},
               {"surplus_lost", mean_json(r.play.front().tally.surplus_lost)}}},
             {"BB",
              {{"max_imbalance", to_json(a.budget.max_imbalance)},
               {"burned", mean_json(r.play.front().tally.burned)}}},
             {"IIR",
              {{"seller",
                {{"min_slack", to_json(a.seller.min_slack)},
                 {"worst_off_type", to_json(a.seller.worst_off.argmin)}}},
               {"buyer",
                {{"min_slack", to_json(a.buyer.min_slack)},
                 {"worst_off_type", to_json(a.buyer.worst_off.argmin)}}}}},
             {"BIC", bic},
             {"verdicts",
              {{"EFF", to_string(r.exact.EFF.verdict)},
               {"BB", to_string(r.exact.BB.verdict)},
               {"IIR", to_string(r.exact.IIR.verdict)},
               {"BIC", to_string(r.exact.BIC.verdict)}}},
             {"required_deposits", {{"seller", r.required.seller}, {"buyer", r.required.buyer}}},
             {"play", play}});
  }
  return Json{{"scenario", scenario_json(*c.scenario)},
              {"plays", c.options.plays},
              {"seed", c.options.seed},
              {"mechanisms", rows}};
}

std::string to_text(const Comparison& c) {
  std::string out = fmt::format("Scenario {} ({}): {} mechanism(s), {} plays per game, seed {}\n\n",
                                c.scenario->name, c.scenario->source, c.rows.size(),
                                c.options.plays, c.options.seed);
  out +=
      fmt::format("{:<28} {:>9} {:>18} {:>10} {:>16} {:>12} {:>12} {:>20} {:>20} {:>10} {:>10}\n",
                  "mechanism", "EFF err", "surplus lost", "BB max", "burned", "IIR seller",
                  "IIR buyer", "BIC seller", "BIC buyer", "dep. 1", "dep. 2");
  for (const CompareRow& r : c.rows) {
    const InterimAnalysis& a = r.exact.analysis;
    auto bic = [&](int agent) {
      const AgentSearch* s = search_of(r.exact, agent);
      return s == nullptr ? std::string("-")
                          : fmt::format("[{:.3g}, {:.3g}]", s->exploitability_lower.value,
                                        s->exploitability_upper.value);
    };
    out += fmt::format(
        "{:<28} {:>9} {:>18} {:>10.3g} {:>16} {:>12.4g} {:>12.4g} {:>20} {:>20} "
        "{:>10.4g} {:>10.4g}\n",
        r.label, a.efficiency.decision_errors, mean_text(r.play.front().tally.surplus_lost),
        a.budget.max_imbalance.value, mean_text(r.play.front().tally.burned),
        a.seller.min_slack.value, a.buyer.min_slack.value, bic(1), bic(2), r.required.seller,
        r.required.buyer);
  }
  out += "\nWorst-off types: ";
  for (const CompareRow& r : c.rows) {
    out += fmt::format("{}: seller {}, buyer {}; ", r.label, worst_text(r.exact.analysis.seller),
                       worst_text(r.exact.analysis.buyer));
  }
  for (const CompareRow& r : c.rows) {
    for (const std::string& note : r.exact.notes)
      out += fmt::format("\n{}: {}", r.label, note);
  }
  out += "\nVerdicts (EFF BB IIR BIC): ";
  for (const CompareRow& r : c.rows) {
    out += fmt::format("{}: {} {} {} {}; ", r.label, to_string(r.exact.EFF.verdict),
                       to_string(r.exact.BB.verdict), to_string(r.exact.IIR.verdict),
                       to_string(r.exact.BIC.verdict));
  }
  out += "\n\nPlay under each stress (means per play with 95% intervals)\n";
  out += fmt::format("{:<28} {:<24} {:>16} {:>18} {:>16} {:>10} {:>10} {:>18} {:>18}\n",
                     "mechanism", "stress", "trade rate", "surplus lost", "burned", "max |t1+t2|",
                     "shortfalls", "seller gain", "buyer gain");
  for (const CompareRow& r : c.rows) {
    for (const StressOutcome& p : r.play) {
      const Tally& t = p.tally;
      out += fmt::format("{:<28} {:<24} {:>16} {:>18} {:>16} {:>10.3g} {:>10} {:>18} {:>18}\n",
                         r.label, p.stress, mean_text(t.traded), mean_text(t.surplus_lost),
                         mean_text(t.burned), t.max_imbalance, t.shortfall_plays,
                         mean_text(t.gain1), mean_text(t.gain2));
    }
  }
  return out;
}

std::string to_csv(const Comparison& c) {
  std::string out =
      "mechanism,stress,decision_errors,max_imbalance_path,seller_min_slack,buyer_min_slack,"
      "seller_exploitability_lower,seller_exploitability_upper,buyer_exploitability_lower,"
      "buyer_exploitability_upper,required_deposit_seller,required_deposit_buyer,trade_rate,"
      "surplus_lost,surplus_lost_ci95,burned,burned_ci95,max_imbalance_play,shortfall_plays,"
      "seller_mean_gain,buyer_mean_gain\n";
  for (const CompareRow& r : c.rows) {
    const InterimAnalysis& a = r.exact.analysis;
    const AgentSearch* s1 = search_of(r.exact, 1);
    const AgentSearch* s2 = search_of(r.exact, 2);
    for (const StressOutcome& p : r.play) {
      const Tally& t = p.tally;
      out += fmt::format(
          "\"{}\",\"{}\",{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{}\n", r.label,
          p.stress, a.efficiency.decision_errors, a.budget.max_imbalance.value,
          a.seller.min_slack.value, a.buyer.min_slack.value,
          s1 ? s1->exploitability_lower.value : 0.0, s1 ? s1->exploitability_upper.value : 0.0,
          s2 ? s2->exploitability_lower.value : 0.0, s2 ? s2->exploitability_upper.value : 0.0,
          r.required.seller, r.required.buyer, t.traded.mean(), t.surplus_lost.mean(),
          t.surplus_lost.ci95(), t.burned.mean(), t.burned.ci95(), t.max_imbalance,
          t.shortfall_plays, t.gain1.mean(), t.gain2.mean());
    }
  }
  return out;
}

}  // namespace twostage
