// sim/describe.cpp
#include "sim/describe.hpp"

#include <cmath>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "scenarios/error.hpp"

namespace twostage {
namespace {

constexpr double kMaxTableRows = 1e6;

std::string format_type(TypeView theta) {
  if (theta.size() == 1)
    return fmt::format("{:.6g}", theta[0]);
  return fmt::format("({:.6g})", fmt::join(theta, ", "));
}

Json space_json(const TypeSpace& space) {
  static const char* kinds[] = {"point", "finite", "continuous"};
  Json j{{"kind", kinds[static_cast<int>(space.kind())]},
         {"dimension", space.dimension()},
         {"describe", space.describe()}};
  if (space.is_discrete()) {
    Json points = Json::array();
    for (const Type& p : space.points())
      points.push_back(to_json(p));
    j["points"] = points;
    j["probabilities"] = space.probabilities();
  }
  return j;
}

Json rows_json(const std::vector<TypeRow>& rows, const char* type_key, const char* w_key) {
  Json out = Json::array();
  for (const TypeRow& row : rows) {
    out.push_back(Json{{type_key, to_json(row.theta)},
                       {w_key, to_json(row.W)},
                       {"outside_option", to_json(row.outside_option)}});
  }
  return out;
}

void append_table(std::string& out, const std::vector<TypeRow>& rows, const char* title,
                  const char* type_label, const char* w_label, const char* outside_label) {
  out += fmt::format("\n{}\n", title);
  out += fmt::format("  {:>24}  {:>14} {:>9}  {:>14} {:>9}\n", type_label, w_label, "±",
                     outside_label, "±");
  for (const TypeRow& row : rows) {
    out +=
        fmt::format("  {:>24}  {:>14.9f} {:>9.1e}  {:>14.9f} {:>9.1e}\n", format_type(row.theta),
                    row.W.value, row.W.error, row.outside_option.value, row.outside_option.error);
  }
}

}  // namespace

Description describe(const Scenario& scenario, std::size_t grid) {
  const Environment& env = scenario.environment;
  for (const TypeSpace* space : {&env.Theta1, &env.Theta2}) {
    const double rows =
        std::pow(static_cast<double>(grid), static_cast<double>(space->dimension()));
    if (space->is_continuous() && rows > kMaxTableRows) {
      throw_input_error(
          "--grid {} gives {}^{} = {:.0f} table rows (at most {:.0f}); use a smaller "
          "--grid",
          grid, grid, space->dimension(), rows, kMaxTableRows);
    }
  }
  Description d;
  d.scenario = &scenario;
  d.facts = classify(env);
  const Expectations expectations(env);
  d.expected_surplus = expectations.ES();
  d.es_method = expectations.method_of_ES();
  for (const Type& a : env.Theta1.grid(grid)) {
    d.seller_rows.push_back({a, expectations.W1(a), expectations.seller_outside_option(a)});
  }
  for (const Type& b : env.Theta2.grid(grid)) {
    d.buyer_rows.push_back({b, expectations.W2(b), Estimate{0.0, 0.0}});
  }
  return d;
}

Json scenario_json(const Scenario& scenario) {
  Json parameters = Json::array();
  for (const Parameter& p : scenario.parameters) {
    parameters.push_back(Json{{"name", p.name},
                              {"value", p.value},
                              {"default", p.default_value},
                              {"range", p.range.describe()},
                              {"description", p.description}});
  }
  return Json{{"name", scenario.name},
              {"source", scenario.source},
              {"description", scenario.description},
              {"parameters", parameters}};
}

Json to_json(const Description& d) {
  const Environment& env = d.scenario->environment;
  const EnvironmentFacts& f = d.facts;
  const auto& sc = f.single_crossing;
  Json single_crossing{{"defined", sc.defined}};
  if (sc.defined) {
    single_crossing["holds"] = sc.holds;
    single_crossing["worst_margin"] = sc.worst_margin;
    single_crossing["agent"] = sc.agent == 1 ? "seller" : "buyer";
    single_crossing["theta1"] = to_json(sc.theta1);
    single_crossing["theta2"] = to_json(sc.theta2);
    single_crossing["increasing"] = sc.increasing;
    single_crossing["min_slope"] = sc.min_slope;
  } else {
    single_crossing["reason"] = sc.why_undefined;
  }
  Json es = to_json(d.expected_surplus);
  es["method"] = to_string(d.es_method);
  return Json{
      {"scenario", scenario_json(*d.scenario)},
      {"sides", f.one_sided ? "one-sided" : "two-sided"},
      {"seller", space_json(env.Theta1)},
      {"buyer", space_json(env.Theta2)},
      {"valuations", {{"v1", env.v1.formula()}, {"v2", env.v2.formula()}}},
      {"trivial", f.trivial},
      {"trade_gain_margin",
       {{"value", f.margin},
        {"theta1", to_json(f.margin_theta1)},
        {"theta2", to_json(f.margin_theta2)}}},
      {"single_crossing", single_crossing},
      {"expected_surplus", es},
      {"seller_table", rows_json(d.seller_rows, "theta1", "W1")},
      {"buyer_table", rows_json(d.buyer_rows, "theta2", "W2")},
  };
}

std::string to_text(const Description& d) {
  const Scenario& s = *d.scenario;
  const Environment& env = s.environment;
  const EnvironmentFacts& f = d.facts;
  std::string out = fmt::format("Scenario {} ({})\n  {}\n", s.name, s.source, s.description);
  for (const Parameter& p : s.parameters) {
    out += fmt::format("  {} = {} (default {}, allowed {})\n", p.name, p.value, p.default_value,
                       p.range.describe());
  }
  out += fmt::format("\nSeller types  Θ1: {}\nBuyer types   Θ2: {}\n", env.Theta1.describe(),
                     env.Theta2.describe());
  out += fmt::format("Valuations    v1 = {}\n              v2 = {}\n", env.v1.formula(),
                     env.v2.formula());
  out += fmt::format("Information   {}\n", f.one_sided ? "one-sided (θ2 is known)" : "two-sided");
  out += fmt::format("Trade gain    min(v2 − v1) = {:.9g} at θ1 = {}, θ2 = {}: {}\n", f.margin,
                     format_type(f.margin_theta1), format_type(f.margin_theta2),
                     f.trivial ? "trivial (trade is always efficient)" : "nontrivial");
  const auto& sc = f.single_crossing;
  if (sc.defined) {
    out += fmt::format(
        "Single crossing {} (worst margin {:.9g}, the {}'s condition at θ1 = {}, "
        "θ2 = {}); valuations {}increasing\n",
        sc.holds ? "holds" : "fails", sc.worst_margin, sc.agent == 1 ? "seller" : "buyer",
        format_type(sc.theta1), format_type(sc.theta2), sc.increasing ? "" : "not ");
  } else {
    out += fmt::format("Single crossing not defined: {}\n", sc.why_undefined);
  }
  out += fmt::format("Expected surplus ES = {:.12g} ± {:.1e} ({})\n", d.expected_surplus.value,
                     d.expected_surplus.error, to_string(d.es_method));
  append_table(out, d.seller_rows, "Seller: W1(θ1) = E_θ2[S] and outside option U1°(θ1) = E_θ2[v1]",
               "θ1", "W1", "U1°");
  append_table(out, d.buyer_rows, "Buyer: W2(θ2) = E_θ1[S] and outside option U2° = 0", "θ2", "W2",
               "U2°");
  return out;
}

}  // namespace twostage
