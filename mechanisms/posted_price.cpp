// mechanisms/posted_price.cpp
#include "mechanisms/posted_price.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstdint>

#include <boost/math/tools/roots.hpp>

#include "mechanisms/registry.hpp"
#include "scenarios/error.hpp"
#include "scenarios/minimize.hpp"

namespace twostage {
namespace {

std::unique_ptr<Mechanism> make_posted_price(const MechanismParameters& parameters,
                                             const Environment& environment,
                                             const Expectations& expectations) {
  PostedPriceOptions options;
  options.mode = parameters.choice("mode") == "given" ? PriceMode::kGiven : PriceMode::kEquilibrium;
  options.price = parameters.at("price");
  return std::make_unique<PostedPriceMechanism>(environment, expectations, options);
}

[[maybe_unused]] const bool registered = register_mechanism({
    .name = "posted-price",
    .description = "one-stage posted price, Akerlof's lemons market: the seller sells iff "
                   "v1 <= p, the buyer buys iff E[v2 | sale] >= p (MODEL.md 3.3)",
    .parameters = {{.name = "mode",
                    .description = "the price: given (the parameter price) or equilibrium (the "
                                   "largest p with E[v2 | v1 <= p] >= p)",
                    .range = {},
                    .choices = {"equilibrium", "given"},
                    .default_choice = "equilibrium"},
                   {.name = "price",
                    .description = "the posted price p when mode=given",
                    .default_value = 0.5,
                    .range = {}}},
    .make = &make_posted_price,
});

}  // namespace

std::string to_string(PriceMode mode) {
  return mode == PriceMode::kGiven ? "given" : "equilibrium";
}

PostedPriceMechanism::PostedPriceMechanism(const Environment& environment,
                                           const Expectations& expectations,
                                           PostedPriceOptions options)
    : env_(environment), expectations_(expectations), options_(options) {
  if (!env_.one_sided()) {
    throw_input_error(
        "posted-price needs one-sided information (the buyer's type a single point): the "
        "lemons market has one buyer decision, not a demand curve (MODEL.md 3.3)");
  }
  const double p = options_.mode == PriceMode::kGiven ? options_.price : equilibrium();
  market_ = market_at(p);
  market_.unravelled = options_.mode == PriceMode::kEquilibrium && !market_.buyer_buys;
}

std::vector<MechanismParameterValue> PostedPriceMechanism::parameters() const {
  return {{.name = "mode", .value = 0.0, .text = to_string(options_.mode)},
          {.name = "price", .value = market_.price}};
}

bool PostedPriceMechanism::sells(TypeView theta1_r) const {
  return env_.v1(theta1_r, env_.Theta2.points()[0]) <= market_.price;
}

double PostedPriceMechanism::trade_probability(TypeView theta1_r, TypeView /*theta2_r*/) const {
  return market_.buyer_buys && sells(theta1_r) ? 1.0 : 0.0;
}

Transfers PostedPriceMechanism::transfers(TypeView theta1_r, TypeView theta2_r, bool /*traded*/,
                                          double /*u1_r*/, double /*u2_r*/) const {
  // One stage: the payment follows the reports, which decide the trade.
  if (trade_probability(theta1_r, theta2_r) == 0.0)
    return {};
  return {market_.price, -market_.price};
}

LemonsMarket PostedPriceMechanism::market_at(double p) const {
  const Type& theta2 = env_.Theta2.points()[0];
  const ExpectationOptions& o = expectations_.options();
  const TypeFunction offer_gap = [&](TypeView a) { return env_.v1(a, theta2) - p; };
  const TypeFunction trade_gap = [&](TypeView a) { return env_.trade_gain(a, theta2); };
  auto offered = [&](TypeView a) { return env_.v1(a, theta2) <= p; };

  LemonsMarket m;
  m.price = p;
  m.sale_probability = expect(
      env_.Theta1, [&](TypeView a) { return offered(a) ? 1.0 : 0.0; }, {offer_gap}, o);
  const Estimate value_mass = expect(
      env_.Theta1, [&](TypeView a) { return offered(a) ? env_.v2(a, theta2) : 0.0; }, {offer_gap},
      o);
  if (m.sale_probability.value > 0.0) {
    // E[v2 | sale] = E[v2 1{sale}] / P(sale); the quotient's error to first order.
    const double P = m.sale_probability.value;
    m.buyer_value.value = value_mass.value / P;
    m.buyer_value.error =
        (value_mass.error + std::abs(m.buyer_value.value) * m.sale_probability.error) / P;
    // MODEL.md §3.3 says ≥: an indifferent buyer buys, and a tie within the
    // expectation's error counts as one.
    m.buyer_buys = m.buyer_value.value >= p - m.buyer_value.error;
  }
  m.trade_rate = m.buyer_buys ? m.sale_probability : Estimate{};
  const Estimate possible = expect(
      env_.Theta1, [&](TypeView a) { return std::max(env_.trade_gain(a, theta2), 0.0); },
      {trade_gap}, o);
  const Estimate realised = expect(
      env_.Theta1,
      [&](TypeView a) { return m.buyer_buys && offered(a) ? env_.trade_gain(a, theta2) : 0.0; },
      {offer_gap, trade_gap}, o);
  m.surplus_lost = possible - realised;
  return m;
}

double PostedPriceMechanism::equilibrium() const {
  const Type& theta2 = env_.Theta2.points()[0];
  const ExpectationOptions& o = expectations_.options();
  const auto v1 = [&](TypeView a) { return env_.v1(a, theta2); };
  const double low = minimize(env_.Theta1, v1).value;
  const double high = -minimize(env_.Theta1, [&](TypeView a) { return -v1(a); }).value;
  const double mean_v2 = expect(
                             env_.Theta1, [&](TypeView a) { return env_.v2(a, theta2); }, {}, o)
                             .value;
  // Every seller offers at any p ≥ max v1, where the buyer expects E[v2]:
  // the largest trading price is E[v2] itself when it clears that bar.
  if (mean_v2 >= high)
    return mean_v2;

  // Below max v1, the buyer buys iff g(p) = E[v2 1{v1 ≤ p}] − p P(v1 ≤ p) ≥ 0
  // (the condition times P, so it stays defined where nothing is offered).
  // g(max v1) = E[v2] − max v1 < 0; scan down for the highest grid price
  // with g ≥ 0 and something offered, then bracket the sign change above it.
  struct Point {
    double g, P;
  };
  auto at = [&](double p) {
    const TypeFunction gap = [&](TypeView a) { return v1(a) - p; };
    const double P = expect(
                         env_.Theta1, [&](TypeView a) { return v1(a) <= p ? 1.0 : 0.0; }, {gap}, o)
                         .value;
    const double mass =
        expect(
            env_.Theta1, [&](TypeView a) { return v1(a) <= p ? env_.v2(a, theta2) : 0.0; }, {gap},
            o)
            .value;
    return Point{mass - p * P, P};
  };
  const double step = (high - low) / static_cast<double>(kPriceScan);
  for (std::size_t k = kPriceScan; k-- > 0;) {
    const double p = low + static_cast<double>(k) * step;
    const Point here = at(p);
    if (here.P <= 0.0 || here.g < 0.0)
      continue;
    std::uintmax_t iterations = 100;
    const auto [a, b] = boost::math::tools::toms748_solve(
        [&](double x) { return at(x).g; }, p, p + step, here.g, at(p + step).g,
        boost::math::tools::eps_tolerance<double>(50), iterations);
    (void)b;
    return a;  // the end where the buyer still buys
  }
  return low;  // unravelled: no price trades
}

std::vector<std::string> PostedPriceMechanism::notes() const {
  const LemonsMarket& m = market_;
  if (m.unravelled) {
    return {
        fmt::format("the market unravels: no price p has E[v2 | v1 <= p] >= p, so no trade "
                    "occurs (adverse selection); surplus lost {:.6g}",
                    m.surplus_lost.value)};
  }
  std::vector<std::string> out = {fmt::format(
      "price {:.6g}: seller types with v1 <= p offer (probability {:.6g}), E[v2 | sale] = {:.6g}",
      m.price, m.sale_probability.value, m.buyer_value.value)};
  out.push_back(m.buyer_buys
                    ? fmt::format("the buyer buys: trade rate {:.6g}, surplus lost {:.6g}",
                                  m.trade_rate.value, m.surplus_lost.value)
                    : fmt::format("the buyer does not buy at this price: no trade occurs; surplus "
                                  "lost {:.6g}",
                                  m.surplus_lost.value));
  return out;
}

}  // namespace twostage
