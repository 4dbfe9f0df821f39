// sim/search_mc.cpp
#include "sim/search_mc.hpp"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>
#include <boost/random/uniform_01.hpp>

#include "agents/random.hpp"

namespace twostage {
namespace {

// The other agent's types and the lottery's uniforms for one set of draws.
struct Draws {
  std::size_t size = 0;
  std::vector<double> other;    // row-major, the other agent's dimension
  std::vector<double> lottery;  // q̂ = 1 iff lottery < q
};

// Agent i's realised utilities on a set of draws for one true type and one
// report: per rule o (0 = truth, then each constant) and draw j.
struct Outcomes {
  std::vector<std::uint8_t> traded;
  std::vector<double> pi;              // own realised payoff πi
  std::vector<std::vector<double>> U;  // U[o][j] = πi + ti
};

class MonteCarloEvaluator final : public DeviationEvaluator {
 public:
  MonteCarloEvaluator(const Mechanism& mechanism, const Expectations& expectations, int agent,
                      const SearchOptions& options)
      : mechanism_(mechanism),
        expectations_(expectations),
        env_(expectations.environment()),
        agent_(agent),
        options_(options),
        Pi_(payoff_range(env_, agent == 1 ? env_.v1 : env_.v2)) {
    const std::size_t count = std::max<std::size_t>(options.payoff_constants, 2);
    for (std::size_t k = 0; k < count; ++k) {
      constants_.push_back(Pi_.low + (Pi_.high - Pi_.low) * static_cast<double>(k) /
                                         static_cast<double>(count - 1));
    }
    error_floor_ = 2 * mechanism.batch_transfer_error() +
                   1e-12 * (1.0 + std::abs(Pi_.low) + std::abs(Pi_.high));
    // Separate streams for screening and confirming, and per agent.
    screen_draws_ = draw(options.mc_screen_draws, 2 * static_cast<std::uint64_t>(agent));
    confirm_draws_ = draw(options.mc_confirm_draws, 2 * static_cast<std::uint64_t>(agent) + 1);
  }

  std::string description() const override {
    return fmt::format(
        "monte carlo ({} screening and {} confirming draws, common random numbers, "
        "seed {})",
        screen_draws_.size, confirm_draws_.size, options_.seed);
  }

  void screen(std::span<const Type> types, std::span<const Type> reports,
              GainTable& table) override {
    table.types = types.size();
    table.reports = reports.size();
    const std::size_t cells = types.size() * reports.size();
    table.lower.assign(cells, 0.0);
    table.upper.assign(cells, 0.0);
    table.rule.assign(cells, {});
    table.tie.assign(cells, 0);
    for (std::size_t t = 0; t < types.size(); ++t) {
      const double truth = mean(outcomes(types[t], types[t], screen_draws_, true).U[0]);
      for (std::size_t r = 0; r < reports.size(); ++r) {
        const Outcomes o = outcomes(types[t], reports[r], screen_draws_);
        const std::size_t at = table.at(t, r);
        bool tie = false;
        table.lower[at] = implementable(o, table.rule[at], tie) - truth;
        table.upper[at] = relaxed(o) - truth;
        table.tie[at] = tie;
      }
    }
  }

  ConfirmedGain confirm(TypeView theta_i, const Deviation& deviation,
                        TypeView relaxed_report) override {
    const Draws& d = confirm_draws_;
    const Outcomes truth = outcomes(theta_i, theta_i, d, true);
    // The deviation: its report, then its rule for the realised q̂.
    const Outcomes played = outcomes(theta_i, deviation.report, d, true);
    std::vector<double> own_reports(d.size), gain(d.size);
    for (std::size_t j = 0; j < d.size; ++j) {
      own_reports[j] = deviation.after[played.traded[j]].report(played.pi[j]);
    }
    const std::vector<double> U = utilities(d, played, own_reports);
    for (std::size_t j = 0; j < d.size; ++j)
      gain[j] = U[j] - truth.U[0][j];
    ConfirmedGain result;
    result.lower = mean_with_interval(gain);
    const Outcomes relaxed_play = outcomes(theta_i, relaxed_report, d);
    for (std::size_t j = 0; j < d.size; ++j)
      gain[j] = best_at(relaxed_play, j) - truth.U[0][j];
    result.upper = mean_with_interval(gain);
    // Rounding and the mechanism's fast transfers (e.g. interpolated W) can
    // make a gain of zero look positive; they bound the error from below.
    for (Estimate* e : {&result.lower, &result.upper})
      e->error += error_floor_;
    // The relaxed reply may use any report; it is never below the deviation.
    if (result.upper.value < result.lower.value)
      result.upper = result.lower;
    return result;
  }

  Estimate truthful_utility(TypeView theta_i) override {
    return mean_with_interval(outcomes(theta_i, theta_i, confirm_draws_, true).U[0]);
  }

  Estimate outside_option(TypeView theta_i) override {
    return agent_ == 1 ? expectations_.seller_outside_option(theta_i) : Estimate{};
  }

 private:
  Draws draw(std::size_t n, std::uint64_t stream) const {
    const TypeSpace& other = agent_ == 1 ? env_.Theta2 : env_.Theta1;
    Draws d;
    d.size = std::max<std::size_t>(n, 2);
    d.other.resize(d.size * other.dimension());
    d.lottery.resize(d.size);
    Engine nature = make_engine(options_.seed, stream, Stream::kNature);
    Engine lottery = make_engine(options_.seed, stream, Stream::kLottery);
    other.sample_batch(nature, d.other.data(), d.size);
    boost::random::uniform_01<double> uniform;
    for (double& u : d.lottery)
      u = uniform(lottery);
    return d;
  }

  // Runs the mechanism on every draw for one true type and report, with the
  // other agent truthful in both stages: for the truthful payoff report and,
  // unless `truth_only`, for every constant.
  Outcomes outcomes(TypeView theta_i, TypeView report, const Draws& d, bool truth_only = false) {
    prepare(theta_i, report, d);
    Outcomes o;
    o.traded.assign(traded_.begin(), traded_.end());
    o.pi = own_pi_;
    o.U.push_back(utilities(d, o, own_pi_));
    if (truth_only)
      return o;
    for (double c : constants_) {
      std::fill(constant_reports_.begin(), constant_reports_.end(), c);
      o.U.push_back(utilities(d, o, constant_reports_));
    }
    return o;
  }

  // Fills the report batch, the decision and the realised payoffs.
  void prepare(TypeView theta_i, TypeView report, const Draws& d) {
    const std::size_t n = d.size, m_i = theta_i.size();
    const std::size_t m_j = d.other.size() / n;
    own_reports_.resize(n * m_i);
    for (std::size_t j = 0; j < n; ++j) {
      std::copy(report.begin(), report.end(), own_reports_.begin() + j * m_i);
    }
    batch_ = agent_ == 1 ? ReportBatch{n, m_i, m_j, own_reports_.data(), d.other.data()}
                         : ReportBatch{n, m_j, m_i, d.other.data(), own_reports_.data()};
    q_.resize(n);
    mechanism_.trade_probabilities(batch_, q_.data());
    traded_.resize(n);
    own_pi_.resize(n);
    other_pi_.resize(n);
    constant_reports_.resize(n);
    for (std::size_t j = 0; j < n; ++j) {
      const TypeView other(d.other.data() + j * m_j, m_j);
      const TypeView a = agent_ == 1 ? theta_i : other, b = agent_ == 1 ? other : theta_i;
      traded_[j] = d.lottery[j] < q_[j];
      const double pi1 = traded_[j] ? 0.0 : env_.v1(a, b), pi2 = traded_[j] ? env_.v2(a, b) : 0.0;
      own_pi_[j] = agent_ == 1 ? pi1 : pi2;
      other_pi_[j] = agent_ == 1 ? pi2 : pi1;
    }
  }

  // Ui on every draw given agent i's payoff reports (prepare() must have run
  // for the same type and report).
  std::vector<double> utilities(const Draws& d, const Outcomes& o,
                                const std::vector<double>& own_payoff_reports) {
    const std::size_t n = d.size;
    t1_.resize(n);
    t2_.resize(n);
    const double* u1 = agent_ == 1 ? own_payoff_reports.data() : other_pi_.data();
    const double* u2 = agent_ == 1 ? other_pi_.data() : own_payoff_reports.data();
    mechanism_.transfers(batch_, traded_.data(), u1, u2, t1_.data(), t2_.data());
    std::vector<double> U(n);
    const std::vector<double>& t = agent_ == 1 ? t1_ : t2_;
    for (std::size_t j = 0; j < n; ++j)
      U[j] = o.pi[j] + t[j];
    return U;
  }

  // The best rule per realised q̂ (ties go to the truth) and its mean value.
  double implementable(const Outcomes& o, std::array<PayoffRule, 2>& rule, bool& tie) const {
    const std::size_t n = o.traded.size(), rules = o.U.size();
    double total = 0.0;
    const double tolerance = 1e-12 * (1.0 + std::abs(Pi_.high) + std::abs(Pi_.low));
    for (std::uint8_t q : {0, 1}) {
      std::vector<double> sums(rules, 0.0);
      std::size_t count = 0;
      bool lie_differs = false;
      for (std::size_t j = 0; j < n; ++j) {
        if (o.traded[j] != q)
          continue;
        ++count;
        for (std::size_t r = 0; r < rules; ++r)
          sums[r] += o.U[r][j];
        for (double c : constants_)
          lie_differs = lie_differs || std::abs(c - o.pi[j]) > tolerance;
      }
      std::size_t best = 0;
      for (std::size_t r = 1; r < rules; ++r) {
        if (sums[r] > sums[best] + tolerance * static_cast<double>(count))
          best = r;
      }
      if (count > 0 && lie_differs) {
        for (std::size_t r = 1; r < rules; ++r) {
          if (std::abs(sums[r] - sums[0]) <= tolerance * static_cast<double>(count))
            tie = true;
        }
      }
      rule[q] =
          best == 0 ? PayoffRule{} : PayoffRule{PayoffRuleKind::kConstant, constants_[best - 1]};
      total += sums[best];
    }
    return total / static_cast<double>(n);
  }

  static double best_at(const Outcomes& o, std::size_t j) {
    double best = o.U[0][j];
    for (const auto& U : o.U)
      best = std::max(best, U[j]);
    return best;
  }

  static double relaxed(const Outcomes& o) {
    double total = 0.0;
    for (std::size_t j = 0; j < o.traded.size(); ++j)
      total += best_at(o, j);
    return total / static_cast<double>(o.traded.size());
  }

  static double mean(const std::vector<double>& x) {
    double total = 0.0;
    for (double v : x)
      total += v;
    return total / static_cast<double>(x.size());
  }

  // The mean and its 95% half-width, 1.96 s/√n.
  static Estimate mean_with_interval(const std::vector<double>& x) {
    const double m = mean(x), n = static_cast<double>(x.size());
    double squares = 0.0;
    for (double v : x)
      squares += (v - m) * (v - m);
    return {m, 1.96 * std::sqrt(squares / (n - 1) / n)};
  }

  const Mechanism& mechanism_;
  const Expectations& expectations_;
  const Environment& env_;
  int agent_;
  SearchOptions options_;
  PayoffRange Pi_;
  double error_floor_ = 0.0;
  std::vector<double> constants_;
  Draws screen_draws_, confirm_draws_;
  // Scratch for one (type, report): reused so screening allocates little.
  ReportBatch batch_;
  std::vector<double> own_reports_, q_, own_pi_, other_pi_, constant_reports_, t1_, t2_;
  std::vector<std::uint8_t> traded_;
};

}  // namespace

std::unique_ptr<DeviationEvaluator> make_monte_carlo_evaluator(const Mechanism& mechanism,
                                                               const Expectations& expectations,
                                                               int agent,
                                                               const SearchOptions& options) {
  return std::make_unique<MonteCarloEvaluator>(mechanism, expectations, agent, options);
}

}  // namespace twostage
