// mechanisms/posted_price.hpp: a posted price, Akerlof's market for lemons.
//
// One-stage benchmark of MODEL.md §3.3. At the price p the seller sells iff
// v1(θ1, θ̄2) ≤ p, and the buyer, who knows only that the seller is willing,
// buys iff E[v2 | seller sells at p] ≥ p. The object moves when both agree
// and the buyer then pays p. As a direct mechanism: the seller's decision is
// applied to his reported type; the buyer's is fixed when the mechanism is
// built, from the environment by the expectation engine.
//
// The price is given (mode=given) or the market's equilibrium
// (mode=equilibrium): the largest p* with E[v2 | v1 ≤ p*] ≥ p*, i.e. the
// largest fixed point p* = E[v2 | v1 ≤ p*] when the conditional mean is
// continuous. We take the largest because it trades the most types (every
// smaller trading price excludes sellers the buyer would have paid for).
// When every seller's value exceeds E[v2], no price trades: the market
// unravels (Akerlof 1970) and the mechanism reports no trade, which is a
// result, not an error.
//
// Only one-sided environments (Θ2 a point), the setting of the lemons
// market: a buyer with private information would face a demand curve rather
// than one buy-or-not decision, which MODEL.md does not define. A two-sided
// environment is an InputError.
#pragma once

#include <string>
#include <vector>

#include "mechanisms/mechanism.hpp"
#include "scenarios/expectation.hpp"

namespace twostage {

enum class PriceMode { kGiven, kEquilibrium };
std::string to_string(PriceMode mode);

struct PostedPriceOptions {
  PriceMode mode = PriceMode::kEquilibrium;
  double price = 0.5;  // p; used in mode=given only
};

// What happens in the market at the mechanism's price.
struct LemonsMarket {
  double price = 0.0;         // p, or p* in equilibrium mode
  Estimate sale_probability;  // P(v1 ≤ p): the share of seller types that offer
  Estimate buyer_value;       // E[v2 | v1 ≤ p]; 0 when no type offers
  bool buyer_buys = false;    // something is offered and E[v2 | sale] ≥ p (within its error)
  Estimate trade_rate;        // P(trade) = P(v1 ≤ p) when the buyer buys, else 0
  Estimate surplus_lost;  // ES − E[realised surplus] = E[(v2 − v1)⁺] − E[traded (v2 − v1)]
  // Equilibrium mode: no price trades, adverse selection has unravelled the
  // market (p is then the lowest seller value, where nothing is bought).
  bool unravelled = false;
};

class PostedPriceMechanism final : public Mechanism {
 public:
  // Throws InputError in a two-sided environment. The environment and the
  // expectations must outlive the mechanism.
  PostedPriceMechanism(const Environment& environment, const Expectations& expectations,
                       PostedPriceOptions options = {});

  std::string name() const override { return "posted-price"; }
  std::vector<MechanismParameterValue> parameters() const override;
  bool two_stage() const override { return false; }

  // 1 iff the buyer buys and the reported seller type sells at p.
  double trade_probability(TypeView theta1_r, TypeView theta2_r) const override;
  // The buyer pays p when the reports imply trade; nothing otherwise.
  Transfers transfers(TypeView theta1_r, TypeView theta2_r, bool traded, double u1_r,
                      double u2_r) const override;

  const LemonsMarket& market() const { return market_; }
  std::vector<std::string> notes() const override;
  double price() const { return market_.price; }
  bool buyer_buys() const { return market_.buyer_buys; }
  double equilibrium_price() const { return market_.price; }  // mode=equilibrium
  bool unravelled() const { return market_.unravelled; }

  // Grid on [min v1, max v1] scanned for the largest trading price. A
  // trading range narrower than one grid step at the bottom can be missed.
  static constexpr std::size_t kPriceScan = 256;

 private:
  bool sells(TypeView theta1_r) const;
  // The market at price p: who offers, what the buyer expects, whether he buys.
  LemonsMarket market_at(double p) const;
  double equilibrium() const;

  const Environment& env_;
  const Expectations& expectations_;
  PostedPriceOptions options_;
  LemonsMarket market_;
};

}  // namespace twostage
