// sim/run.cpp
#include "sim/run.hpp"

#include <cmath>

#include <fmt/format.h>

#include "sim/describe.hpp"

namespace twostage {
namespace {

// Efficiency R = Σ realised surplus / Σ first-best surplus, a ratio of means
// x̄/ȳ; its 95% interval by the delta method, Var R ≈ Var(x − R y)/(n ȳ²).
// The covariance comes from the surplus lost per play, y − x, which the
// tally keeps: 2 s_xy = s²_x + s²_y − s²_{y−x}, so
// Var(x − R y) = (1 − R) s²_x + R(R − 1) s²_y + R s²_{y−x}.
Json efficiency_json(const Tally& t) {
  const double n = t.first_best.count;
  const double x = t.realised_surplus.mean(), y = t.first_best.mean();
  const double R = y != 0 ? x / y : 0.0;
  double half = 0.0;
  if (n > 1 && y != 0) {
    const double var = (1 - R) * t.realised_surplus.variance() +
                       R * (R - 1) * t.first_best.variance() + R * t.surplus_lost.variance();
    half = 1.96 * std::sqrt(std::max(0.0, var) / (n * y * y));
  }
  return Json{{"value", R}, {"ci95", {R - half, R + half}}};
}

Json bins_json(const std::vector<TypeBin>& bins) {
  Json out = Json::array();
  for (const TypeBin& b : bins) {
    out.push_back(Json{{"low", b.low},
                       {"high", b.high},
                       {"plays", static_cast<std::uint64_t>(b.gain.count)},
                       {"mean_gain", mean_json(b.gain)}});
  }
  return out;
}

std::string format_mean(const Moments& m) {
  return fmt::format("{:.6g} ± {:.2g}", m.mean(), m.ci95());
}

}  // namespace

Json mean_json(const Moments& m) {
  const double mean = m.mean(), half = m.ci95();
  return Json{{"value", mean}, {"ci95", {mean - half, mean + half}}};
}

Json to_json(const RunReport& r) {
  const Tally& t = r.result.tally;
  Json parameters = Json::object();
  for (const auto& p : r.mechanism->parameters())
    parameters[p.name] = p.categorical() ? Json(p.text) : Json(p.value);
  return Json{
      {"scenario", scenario_json(*r.scenario)},
      {"mechanism", {{"name", r.mechanism->name()}, {"parameters", parameters}}},
      {"plays", t.plays},
      {"seed", r.options.seed},
      {"strategies", {{"seller", r.seller.describe()}, {"buyer", r.buyer.describe()}}},
      {"stress", r.stress},
      {"deposits", {{"seller", r.options.deposits.seller}, {"buyer", r.options.deposits.buyer}}},
      {"participation", mean_json(t.joined)},
      {"trade_rate", mean_json(t.traded)},
      {"decision_errors", mean_json(t.decision_error)},
      {"efficiency", efficiency_json(t)},
      {"surplus",
       {{"realised", mean_json(t.realised_surplus)}, {"first_best", mean_json(t.first_best)}}},
      {"budget", {{"max_imbalance", t.max_imbalance}, {"mean_imbalance", mean_json(t.imbalance)}}},
      {"burned", mean_json(t.burned)},
      {"deficit", mean_json(t.deficit)},
      {"shortfall", {{"plays", t.shortfall_plays}, {"mean", mean_json(t.shortfall)}}},
      {"ledger",
       {{"deposits", t.deposits},
        {"payouts", t.payouts},
        {"burned", t.burned.total()},
        {"deficit", t.deficit.total()},
        {"conservation_gap", t.conservation_gap()}}},
      {"agents",
       {{"seller",
         {{"mean_utility", mean_json(t.utility1)},
          {"mean_gain_over_outside_option", mean_json(t.gain1)},
          {"slack_by_type", bins_json(t.bins1)}}},
        {"buyer",
         {{"mean_utility", mean_json(t.utility2)},
          {"mean_gain_over_outside_option", mean_json(t.gain2)},
          {"slack_by_type", bins_json(t.bins2)}}}}},
  };
}

std::string to_text(const RunReport& r) {
  const Tally& t = r.result.tally;
  const Json efficiency = efficiency_json(t);
  std::string out = fmt::format("Scenario {} ({}), mechanism {}\n", r.scenario->name,
                                r.scenario->source, r.mechanism->name());
  out += fmt::format("{} plays, seed {}; seller {}; buyer {}\n", t.plays, r.options.seed,
                     r.seller.describe(), r.buyer.describe());
  out += fmt::format("Deposits: seller {:.6g}, buyer {:.6g}; stress: {}\n\n",
                     r.options.deposits.seller, r.options.deposits.buyer, r.stress);
  out += "Means per play with 95% intervals\n";
  out += fmt::format("  participation           {}\n", format_mean(t.joined));
  out += fmt::format("  trade rate              {}\n", format_mean(t.traded));
  out += fmt::format("  decision errors (vs x*) {}\n", format_mean(t.decision_error));
  out += fmt::format("  efficiency              {:.6g} ± {:.2g} (realised surplus / first best)\n",
                     efficiency["value"].get<double>(),
                     efficiency["value"].get<double>() - efficiency["ci95"][0].get<double>());
  out += fmt::format("  realised surplus        {}\n", format_mean(t.realised_surplus));
  out += fmt::format("  first-best surplus      {}\n", format_mean(t.first_best));
  out += fmt::format("  t1 + t2                 {} (largest |t1 + t2| {:.3g})\n",
                     format_mean(t.imbalance), t.max_imbalance);
  out += fmt::format("  burned                  {}\n", format_mean(t.burned));
  out += fmt::format("  deficit                 {}\n", format_mean(t.deficit));
  out += fmt::format("  shortfall               {} ({} plays)\n", format_mean(t.shortfall),
                     t.shortfall_plays);
  out += fmt::format("  seller utility U1       {}, gain over outside option {}\n",
                     format_mean(t.utility1), format_mean(t.gain1));
  out += fmt::format("  buyer utility U2        {}, gain over outside option {}\n",
                     format_mean(t.utility2), format_mean(t.gain2));
  out += fmt::format(
      "Ledger: deposits {:.6g}, payouts {:.6g}, burned {:.6g}, deficit {:.6g}; "
      "conservation gap {:.2g}\n",
      t.deposits, t.payouts, t.burned.total(), t.deficit.total(), t.conservation_gap());
  for (const auto& [name, bins] : {std::pair{"Seller", &t.bins1}, std::pair{"Buyer", &t.bins2}}) {
    out +=
        fmt::format("\n{}: mean gain over the outside option by type (first coordinate)\n", name);
    for (const TypeBin& b : *bins) {
      out += fmt::format("  [{:.4g}, {:.4g})  {:>10} plays  {}\n", b.low, b.high,
                         static_cast<std::uint64_t>(b.gain.count), format_mean(b.gain));
    }
  }
  return out;
}

std::string slack_csv(const RunReport& r) {
  std::string out = "agent,low,high,plays,mean_gain,ci95_low,ci95_high\n";
  const Tally& t = r.result.tally;
  for (const auto& [name, bins] : {std::pair{"seller", &t.bins1}, std::pair{"buyer", &t.bins2}}) {
    for (const TypeBin& b : *bins) {
      out += fmt::format("{},{},{},{},{},{},{}\n", name, b.low, b.high,
                         static_cast<std::uint64_t>(b.gain.count), b.gain.mean(),
                         b.gain.mean() - b.gain.ci95(), b.gain.mean() + b.gain.ci95());
    }
  }
  return out;
}

}  // namespace twostage
