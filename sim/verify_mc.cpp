// sim/verify_mc.cpp
#include "sim/verify_mc.hpp"

#include <cmath>

#include <fmt/format.h>
#include <boost/math/distributions/binomial.hpp>

#include "agents/agent.hpp"
#include "sim/interim.hpp"
#include "sim/run.hpp"

namespace twostage {
namespace {

// The kinks of a function of agent i's type that integrates S or x over the
// other's type: where v2 − v1 vanishes at an end or support point of the
// other's space (as for ES in scenarios/expectation.cpp).
std::vector<TypeFunction> kinks_over(const Environment& env, int agent) {
  const TypeSpace& other = agent == 1 ? env.Theta2 : env.Theta1;
  std::vector<Type> ends;
  if (other.is_discrete()) {
    ends = other.points();
  } else if (other.dimension() == 1) {
    ends = {{other.lower(0)}, {other.upper(0)}};
  }
  std::vector<TypeFunction> kinks;
  for (const Type& end : ends) {
    kinks.push_back([&env, end, agent](TypeView own) {
      return agent == 1 ? env.trade_gain(own, end) : env.trade_gain(end, own);
    });
  }
  return kinks;
}

// E_θi[Ui(θi)], with the largest error of the inner integrals added.
Estimate expected_utility(const Mechanism& mechanism, const Expectations& expectations, int agent) {
  const Environment& env = expectations.environment();
  const InterimUtility U(mechanism, expectations, agent);
  double inner_error = 0.0;
  const TypeFunction f = [&](TypeView theta) {
    const Estimate u = U(theta);
    inner_error = std::max(inner_error, u.error);
    return u.value;
  };
  Estimate e = expect(agent == 1 ? env.Theta1 : env.Theta2, f, kinks_over(env, agent),
                      expectations.options());
  e.error += inner_error;
  return e;
}

// E[x(θ)]: the inner integral over θ2 is split where v2 − v1 changes sign,
// which is where x* (and any mechanism trading on it) jumps.
Estimate expected_trade(const Mechanism& mechanism, const Expectations& expectations) {
  const Environment& env = expectations.environment();
  double inner_error = 0.0;
  const TypeFunction outer = [&](TypeView a) {
    const TypeFunction q = [&](TypeView b) { return mechanism.trade_probability(a, b); };
    const TypeFunction gap = [&](TypeView b) { return env.trade_gain(a, b); };
    const Estimate inner = expect(env.Theta2, q, {gap}, expectations.options());
    inner_error = std::max(inner_error, inner.error);
    return inner.value;
  };
  Estimate e = expect(env.Theta1, outer, kinks_over(env, 1), expectations.options());
  e.error += inner_error;
  return e;
}

}  // namespace

MonteCarloCheck check_by_monte_carlo(const Mechanism& mechanism, const Expectations& expectations,
                                     MonteCarloOptions options) {
  const Environment& env = expectations.environment();
  if (options.deposits.seller == 0 && options.deposits.buyer == 0) {
    options.deposits = default_deposits(env, mechanism);
  }
  const Agent seller(1, env, Strategy{}), buyer(2, env, Strategy{});
  const MonteCarloResult result = run_monte_carlo(env, mechanism, seller, buyer, options);
  const Tally& t = result.tally;

  MonteCarloCheck check;
  check.plays = t.plays;
  check.seed = options.seed;
  check.max_imbalance = t.max_imbalance;
  const double fast_error = mechanism.batch_transfer_error();
  auto compare = [&](std::string name, const Moments& mc, Estimate exact, double extra) {
    MonteCarloComparison c{std::move(name), mc, exact, 0.0, false};
    c.allowed = 2 * mc.ci95() + exact.error + extra + 1e-12;
    c.agree = std::abs(mc.mean() - exact.value) <= c.allowed;
    check.comparisons.push_back(c);
  };
  // A rate of 0/1 outcomes: when every play traded (or none did) the normal
  // interval has width 0 and would reject an exact rate of 1 − 1e-9. The
  // Clopper–Pearson interval at the level of the normal rule above (two
  // 95% half-widths: about 3.92σ, two-sided α ≈ 8.9e-5) is valid at any count.
  auto compare_rate = [&](std::string name, const Moments& mc, Estimate exact) {
    constexpr double kAlpha = 8.9e-5;
    using boost::math::binomial_distribution;
    const double n = mc.count, k = std::round(mc.total()), p = k / n;
    const double low = binomial_distribution<>::find_lower_bound_on_p(n, k, kAlpha / 2);
    const double high = binomial_distribution<>::find_upper_bound_on_p(n, k, kAlpha / 2);
    MonteCarloComparison c{std::move(name), mc, exact, 0.0, false};
    c.allowed = (exact.value < p ? p - low : high - p) + exact.error + 1e-12;
    c.agree = std::abs(p - exact.value) <= c.allowed;
    check.comparisons.push_back(c);
  };
  compare("seller_mean_utility", t.utility1, expected_utility(mechanism, expectations, 1),
          fast_error);
  compare("buyer_mean_utility", t.utility2, expected_utility(mechanism, expectations, 2),
          fast_error);
  compare_rate("trade_rate", t.traded, expected_trade(mechanism, expectations));
  check.agree = std::all_of(check.comparisons.begin(), check.comparisons.end(),
                            [](const MonteCarloComparison& c) { return c.agree; });
  return check;
}

Json to_json(const MonteCarloCheck& check) {
  Json comparisons = Json::object();
  for (const MonteCarloComparison& c : check.comparisons) {
    comparisons[c.name] = Json{{"monte_carlo", mean_json(c.monte_carlo)},
                               {"exact", to_json(c.exact)},
                               {"difference", c.monte_carlo.mean() - c.exact.value},
                               {"allowed", c.allowed},
                               {"agree", c.agree}};
  }
  return Json{{"plays", check.plays},
              {"seed", check.seed},
              {"comparisons", comparisons},
              {"max_imbalance", check.max_imbalance},
              {"agree", check.agree}};
}

std::string to_text(const MonteCarloCheck& check) {
  std::string out =
      fmt::format("\nMonte Carlo check: {} truthful plays, seed {}\n", check.plays, check.seed);
  out += fmt::format("  {:<20} {:>26} {:>26}  {}\n", "", "Monte Carlo (95%)", "exact (± error)",
                     "agree");
  for (const MonteCarloComparison& c : check.comparisons) {
    out += fmt::format("  {:<20} {:>15.9f} ± {:<8.2g} {:>15.9f} ± {:<8.2g}  {}\n", c.name,
                       c.monte_carlo.mean(), c.monte_carlo.ci95(), c.exact.value, c.exact.error,
                       c.agree ? "yes" : "NO");
  }
  out += fmt::format("  largest |t1 + t2| in play: {:.3g}\n", check.max_imbalance);
  out += fmt::format("  {}\n", check.agree ? "Monte Carlo and the exact analysis agree"
                                           : "Monte Carlo and the exact analysis DISAGREE");
  return out;
}

}  // namespace twostage
