// mechanisms/shoot_the_liar.cpp
#include "mechanisms/shoot_the_liar.hpp"

#include <algorithm>
#include <cmath>

#include "mechanisms/registry.hpp"
#include "scenarios/minimize.hpp"

namespace twostage {
namespace {

const Range kNonNegative{.low = 0.0, .high = INFINITY, .low_open = false, .high_open = true};

std::unique_ptr<Mechanism> make_shoot_the_liar(const MechanismParameters& parameters,
                                               const Environment& environment,
                                               const Expectations& /*expectations*/) {
  ShootTheLiarOptions options;
  options.trade =
      parameters.choice("trade") == "efficient" ? LiarTrade::kEfficient : LiarTrade::kAlways;
  options.fine = parameters.at("fine");
  options.fine_to =
      parameters.choice("fine_to") == "buyer" ? FineRecipient::kBuyer : FineRecipient::kBurned;
  options.tolerance = parameters.at("tolerance");
  return std::make_unique<ShootTheLiarMechanism>(environment, options);
}

[[maybe_unused]] const bool registered = register_mechanism({
    .name = "shoot-the-liar",
    .description = "modified shoot-the-liar: the buyer pays v2 at the seller's report and the "
                   "seller is fined for an inconsistent payoff report (Mezzetti 2007; MODEL.md "
                   "3.2)",
    .parameters =
        {{.name = "trade",
          .description = "when the object moves: always, or efficient (by x* at the reports)",
          .range = {},
          .choices = {"always", "efficient"},
          .default_choice = "always"},
         {.name = "fine",
          .description = "the fine F the seller pays for an inconsistent report (default: range "
                         "of v2 over the types + 0.1 max|v2|)",
          .default_value = kDerivedDefault,
          .range = kNonNegative},
         {.name = "fine_to",
          .description = "who gets the fine: burned (kept by the mediator) or buyer",
          .range = {},
          .choices = {"burned", "buyer"},
          .default_choice = "burned"},
         {.name = "tolerance",
          .description = "how far the buyer's payoff report may be from v2 and still count as "
                         "consistent (default: 1e-9 max|v2|)",
          .default_value = kDerivedDefault,
          .range = kNonNegative}},
    .make = &make_shoot_the_liar,
});

}  // namespace

std::string to_string(LiarTrade trade) {
  return trade == LiarTrade::kAlways ? "always" : "efficient";
}

std::string to_string(FineRecipient recipient) {
  return recipient == FineRecipient::kBurned ? "burned" : "buyer";
}

ShootTheLiarMechanism::ShootTheLiarMechanism(const Environment& environment,
                                             ShootTheLiarOptions options)
    : env_(environment), options_(options) {
  // The extremes of v2 over Θ bound what a seller's misreport can move the price by.
  v2_min_ = minimize_joint(env_.Theta1, env_.Theta2, [&](TypeView a, TypeView b) {
              return env_.v2(a, b);
            }).value;
  v2_max_ = -minimize_joint(env_.Theta1, env_.Theta2, [&](TypeView a, TypeView b) {
               return -env_.v2(a, b);
             }).value;
  if (std::isnan(options_.fine))
    options_.fine = default_fine();
  if (std::isnan(options_.tolerance))
    options_.tolerance = default_tolerance();
}

double ShootTheLiarMechanism::default_fine() const {
  const double scale = std::max(std::abs(v2_min_), std::abs(v2_max_));
  return v2_range() + kFineMargin * scale;
}

double ShootTheLiarMechanism::default_tolerance() const {
  return kRelativeTolerance * std::max(std::abs(v2_min_), std::abs(v2_max_));
}

std::vector<MechanismParameterValue> ShootTheLiarMechanism::parameters() const {
  return {{.name = "trade", .value = 0.0, .text = to_string(options_.trade)},
          {.name = "fine", .value = options_.fine},
          {.name = "fine_to", .value = 0.0, .text = to_string(options_.fine_to)},
          {.name = "tolerance", .value = options_.tolerance}};
}

double ShootTheLiarMechanism::trade_probability(TypeView theta1_r, TypeView theta2_r) const {
  if (options_.trade == LiarTrade::kAlways)
    return 1.0;
  return env_.x_star(theta1_r, theta2_r) ? 1.0 : 0.0;
}

Transfers ShootTheLiarMechanism::transfers(TypeView theta1_r, TypeView theta2_r, bool traded,
                                           double /*u1_r*/, double u2_r) const {
  // No trade: no price, and the buyer's payoff (0) says nothing to test.
  if (!traded)
    return {};
  const double p = price(theta1_r, theta2_r);
  const bool consistent = std::abs(u2_r - p) <= options_.tolerance;
  const double fine = consistent ? 0.0 : options_.fine;
  const double to_buyer = options_.fine_to == FineRecipient::kBuyer ? fine : 0.0;
  return {p - fine, -p + to_buyer};
}

}  // namespace twostage
