// sim/search.cpp
#include "sim/search.hpp"

#include "sim/search_mc.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <thread>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <spdlog/spdlog.h>
#include <boost/math/tools/minima.hpp>
#include <nlopt.hpp>

#include "scenarios/error.hpp"
#include "scenarios/minimize.hpp"
#include "sim/interim.hpp"

namespace twostage {
namespace {

constexpr double kEpsilon = std::numeric_limits<double>::epsilon();
// Relative agreement demanded of the affine model of the transfers at its
// check points; far above rounding, far below any economic difference.
constexpr double kAffineTolerance = 1e-9;
// Two screened values closer than this (relative to the payoff scale) tie.
constexpr double kTieTolerance = 1e-10;
// Types screened in one block of the node sums: each report's coefficients
// are then read once per block instead of once per type.
constexpr std::size_t kTypeBlock = 4;
// Brent's method on a report interval: bits of precision and iteration cap.
constexpr int kBrentBits = 20;
constexpr std::uintmax_t kBrentIterations = 40;
constexpr int kBobyqaEvaluations = 80;
// Type-space dimension above which grids get fewer points per coordinate.
constexpr std::size_t kBoxDivisor = 4;

const TypeSpace& own_space(const Environment& env, int agent) {
  return agent == 1 ? env.Theta1 : env.Theta2;
}
const TypeSpace& other_space(const Environment& env, int agent) {
  return agent == 1 ? env.Theta2 : env.Theta1;
}

// The grid an agent's types or reports are searched on: the whole support of
// a discrete space; `per_axis` points per coordinate on an interval; fewer
// per coordinate on a box, so that the grid stays a few hundred points.
std::vector<Type> search_grid(const TypeSpace& space, std::size_t per_axis) {
  if (space.is_discrete())
    return space.points();
  if (space.dimension() == 1)
    return space.grid(per_axis);
  return space.grid(std::max<std::size_t>(2, per_axis / kBoxDivisor + 1));
}

// The other agent's type replaced by weighted nodes for screening.
struct Nodes {
  std::size_t dimension = 0;
  std::vector<double> theta;  // node-major
  std::vector<double> weight;

  std::size_t size() const { return weight.size(); }
  TypeView at(std::size_t k) const { return {theta.data() + k * dimension, dimension}; }
};

// Exact support points on a discrete space; on an interval, the quantiles at
// the midpoints of N equal-probability cells (a midpoint rule in probability,
// so any density, even one unbounded at an end, is handled alike); on a box,
// one Sobol set mapped through the quantiles.
Nodes make_nodes(const TypeSpace& space, std::size_t n) {
  Nodes nodes;
  nodes.dimension = space.dimension();
  if (space.is_discrete()) {
    for (const Type& point : space.points())
      nodes.theta.insert(nodes.theta.end(), point.begin(), point.end());
    nodes.weight = space.probabilities();
    return nodes;
  }
  nodes.weight.assign(n, 1.0 / static_cast<double>(n));
  if (space.dimension() == 1) {
    const CoordinateDistribution& dist = space.coordinates()[0];
    for (std::size_t k = 0; k < n; ++k)
      nodes.theta.push_back(dist.quantile((static_cast<double>(k) + 0.5) / static_cast<double>(n)));
    return nodes;
  }
  ExpectationOptions options;
  options.qmc_points = n;
  const QmcNodes qmc = make_qmc_nodes(space.coordinates(), options);
  nodes.theta.assign(qmc.theta.begin(),
                     qmc.theta.begin() + static_cast<std::ptrdiff_t>(n * nodes.dimension));
  return nodes;
}

}  // namespace

PayoffRange payoff_range(const Environment& env, const Valuation& v) {
  const auto f = [&](TypeView a, TypeView b) { return v(a, b); };
  const auto minus_f = [&](TypeView a, TypeView b) { return -v(a, b); };
  const double low = minimize_joint(env.Theta1, env.Theta2, f).value;
  const double high = -minimize_joint(env.Theta1, env.Theta2, minus_f).value;
  return {std::min(0.0, low), std::max(0.0, high)};
}

namespace {

// The entries of one (type, report) cell before the truth is subtracted.
struct Cell {
  double truth_continuation = 0.0;  // report r, then truthful payoff reports
  double implementable = 0.0;       // report r, then the best rule per q̂
  double relaxed = 0.0;             // report r, then the relaxed reply
  std::array<PayoffRule, 2> rule;
  bool tie = false;
};

// Chooses the stage-2 rule for one q̂ from the values of truth and of each
// constant; ties go to the truth. `tie` is set when a constant that differs
// from the truth is within `tolerance` of the best value while truth is best.
void choose_rule(double truth, std::span<const double> constants, std::span<const double> values,
                 std::span<const std::uint8_t> differs, double tolerance, PayoffRule& rule,
                 double& best, bool& tie) {
  best = truth;
  rule = {};
  for (std::size_t m = 0; m < constants.size(); ++m) {
    if (values[m] > best) {
      best = values[m];
      rule = {PayoffRuleKind::kConstant, constants[m]};
    }
  }
  if (rule.kind != PayoffRuleKind::kTruth && best > truth + tolerance)
    return;
  for (std::size_t m = 0; m < constants.size(); ++m) {
    if (differs[m] && std::abs(values[m] - truth) <= tolerance)
      tie = true;
  }
}

// The screening's inner loop: the dot products of kTypeBlock rows (the
// valuations of as many true types on the nodes) with kReportBlock columns
// (the mechanism's coefficients for as many reports), so that every number
// loaded is used several times. Four-wide vectors of GCC's vector extension;
// on x86-64 a second clone for AVX2 and FMA is picked at run time, so the
// last bits of a screened value may differ between machines (screening only
// ranks deviations; the reported gains come from the confirmation step).
constexpr std::size_t kReportBlock = 2;
using Vec4 = double __attribute__((vector_size(32)));

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
__attribute__((target_clones("arch=haswell", "default")))
#endif
void dot_block(const double* const* rows, const double* const* cols, std::size_t n,
               double (&out)[kTypeBlock][kReportBlock]) {
  Vec4 acc[kTypeBlock][kReportBlock] = {};
  std::size_t k = 0;
  for (; k + 4 <= n; k += 4) {
    Vec4 g[kReportBlock];
    for (std::size_t c = 0; c < kReportBlock; ++c)
      std::memcpy(&g[c], cols[c] + k, sizeof(Vec4));
    for (std::size_t r = 0; r < kTypeBlock; ++r) {
      Vec4 x;
      std::memcpy(&x, rows[r] + k, sizeof(Vec4));
      for (std::size_t c = 0; c < kReportBlock; ++c)
        acc[r][c] += x * g[c];
    }
  }
  for (std::size_t r = 0; r < kTypeBlock; ++r) {
    for (std::size_t c = 0; c < kReportBlock; ++c) {
      double sum = (acc[r][c][0] + acc[r][c][1]) + (acc[r][c][2] + acc[r][c][3]);
      for (std::size_t j = k; j < n; ++j)
        sum += rows[r][j] * cols[c][j];
      out[r][c] = sum;
    }
  }
}

// The exact evaluator: screening on fixed nodes, confirmation by adaptive
// quadrature or exact sums.
//
// Why the transfers are tabulated per (report, node) and probed for an
// affine form: the search must work for any Mechanism, but a mechanism may
// be expensive per call (Groves on a continuous space integrates W inside
// transfers()), and a grid of types × reports × nodes is 10^8 plays. The
// opponent's payoff report depends on the deviator's true type, so the
// transfers cannot simply be tabulated once per (report, node). Most
// mechanisms are affine in the payoff reports (Groves: t1 = u2^r − h1 + ℓ1;
// one-stage mechanisms ignore them), so per (report r, node k, trade q̂) the
// mechanism is queried at three payoff-report pairs to fit
//   ti = α + a·ui^r + b·u−i^r,
// and at two more pairs to check the fit: the truthful payoffs of a type r,
// and an interior pair. Any misfit anywhere switches the whole search to the
// direct path, which queries the mechanism for every (type, report, node)
// through its batch interface. The probe is a check at five points, not a
// proof: a mechanism that is affine at those points but not between them (a
// fine triggered only by some narrow band of reports) would be
// mis-screened, though the confirmation step, which calls the mechanism
// directly, would still report the true gain of the deviation it confirms.
class ExactEvaluator final : public DeviationEvaluator {
 public:
  ExactEvaluator(const Mechanism& mechanism, const Expectations& expectations, int agent,
                 const SearchOptions& options)
      : mechanism_(mechanism),
        expectations_(expectations),
        env_(expectations.environment()),
        agent_(agent),
        options_(options),
        nodes_(make_nodes(other_space(env_, agent), std::max<std::size_t>(options.nodes, 1))),
        Pi_i_(payoff_range(env_, agent == 1 ? env_.v1 : env_.v2)),
        Pi_j_(payoff_range(env_, agent == 1 ? env_.v2 : env_.v1)),
        utility_(mechanism, expectations, agent) {
    scale_ = 1.0 + std::max({std::abs(Pi_i_.low), Pi_i_.high, std::abs(Pi_j_.low), Pi_j_.high});
    const std::size_t M = std::max<std::size_t>(options.payoff_constants, 2);
    for (std::size_t m = 0; m < M; ++m) {
      constants_.push_back(Pi_i_.low + (Pi_i_.high - Pi_i_.low) * static_cast<double>(m) /
                                           static_cast<double>(M - 1));
    }
    const TypeSpace& other = other_space(env_, agent);
    if (other.is_continuous() && other.dimension() > 1)
      qmc_ = make_qmc_nodes(other.coordinates(), expectations.options());
  }

  std::string description() const override {
    return fmt::format("exact: {} nodes over the other agent's types for screening, {}",
                       nodes_.size(),
                       affine_ ? "transfers affine in the payoff reports"
                               : "transfers queried directly (not affine in the payoff reports)");
  }

  void screen(std::span<const Type> types, std::span<const Type> reports,
              GainTable& table) override;
  ConfirmedGain confirm(TypeView theta_i, const Deviation& deviation,
                        TypeView relaxed_report) override;
  Estimate truthful_utility(TypeView theta_i) override { return utility_(theta_i); }
  Estimate outside_option(TypeView theta_i) override { return utility_.outside_option(theta_i); }

 private:
  // Valuations at (θi, node k): x = [v1 over the nodes | v2 over the nodes].
  struct Row {
    std::vector<double> x;
  };
  // The mechanism at report r against every node.
  struct Column {
    std::vector<double> P1;  // x(r, θ−i_k)
    // Affine form: the own-type-independent part of the value is
    //   Σ_k g[k]·x[k] + D, with x the row of the true type;
    std::vector<double> g;
    double D = 0.0;
    // and the part that depends on the own payoff report, per q̂:
    // wa[q][k] = w_k P_q a_q, wP[q][k] = w_k P_q.
    bool own_report_matters = false;
    std::array<std::vector<double>, 2> wa, wP;
    std::array<double, 2> A{}, mass{};
  };

  // Where agent i's own realised payoff is v_i and not 0: the seller keeps
  // the object when q̂ = 0, the buyer gets it when q̂ = 1 (MODEL.md §1).
  std::size_t live_trade() const { return agent_ == 1 ? 0 : 1; }
  std::pair<TypeView, TypeView> profile(TypeView own, TypeView other) const {
    return agent_ == 1 ? std::pair{own, other} : std::pair{other, own};
  }

  const Row& row(const Type& theta);
  const Column& column(const Type& report);
  bool build_affine(const Type& report, Column& column);
  void build_direct(const Type& report, Column& column);
  Cell cell_affine(const Row& row, const Column& column, double base) const;
  Cell cell_direct(const Row& row, const Type& report, const Column& column);
  double base(const Row& row, const Column& column) const;
  void screen_affine(const std::vector<const Row*>& rows, const std::vector<const Column*>& cols,
                     const std::vector<const Column*>& truth_cols, GainTable& table) const;

  // One play's value for the deviator against the node θ−i: the report, then
  // `choose(q̂, πi, π−i)` gives the transfer to i.
  template <typename Choose>
  double play(TypeView theta_i, TypeView report, TypeView theta_j, Choose choose) const;

  const Mechanism& mechanism_;
  const Expectations& expectations_;
  const Environment& env_;
  int agent_;
  SearchOptions options_;
  Nodes nodes_;
  PayoffRange Pi_i_, Pi_j_;
  double scale_ = 1.0;
  std::vector<double> constants_;  // constant payoff reports of the direct path
  InterimUtility utility_;
  QmcNodes qmc_;
  bool affine_ = true;
  std::map<Type, Row> rows_;
  std::map<Type, Column> columns_;
};

const ExactEvaluator::Row& ExactEvaluator::row(const Type& theta) {
  auto [it, inserted] = rows_.try_emplace(theta);
  if (inserted) {
    const std::size_t n = nodes_.size();
    it->second.x.resize(2 * n);
    for (std::size_t k = 0; k < n; ++k) {
      const auto [a, b] = profile(theta, nodes_.at(k));
      it->second.x[k] = env_.v1(a, b);
      it->second.x[n + k] = env_.v2(a, b);
    }
  }
  return it->second;
}

const ExactEvaluator::Column& ExactEvaluator::column(const Type& report) {
  auto it = columns_.find(report);
  if (it != columns_.end())
    return it->second;
  Column c;
  if (affine_ && !build_affine(report, c)) {
    spdlog::debug("search: the transfers are not affine in the payoff reports; querying directly");
    affine_ = false;
    columns_.clear();
    c = {};
  }
  if (!affine_)
    build_direct(report, c);
  return columns_.emplace(report, std::move(c)).first->second;
}

void ExactEvaluator::build_direct(const Type& report, Column& c) {
  const std::size_t n = nodes_.size(), m_i = report.size(), m_j = nodes_.dimension;
  std::vector<double> own(n * m_i), other(nodes_.theta);
  for (std::size_t k = 0; k < n; ++k)
    std::copy(report.begin(), report.end(), own.begin() + static_cast<std::ptrdiff_t>(k * m_i));
  const bool seller = agent_ == 1;
  const ReportBatch batch{n, seller ? m_i : m_j, seller ? m_j : m_i,
                          seller ? own.data() : other.data(), seller ? other.data() : own.data()};
  c.P1.resize(n);
  mechanism_.trade_probabilities(batch, c.P1.data());
}

bool ExactEvaluator::build_affine(const Type& report, Column& c) {
  build_direct(report, c);
  const std::size_t n = nodes_.size(), m_i = report.size(), m_j = nodes_.dimension;
  constexpr std::size_t kProbes = 5;
  // Probe points (ui^r, u−i^r), per (k, q̂), consecutive so that a mechanism
  // that memoises its last report profile (Groves's W) pays once per node.
  const double s = scale_;
  std::vector<double> own, other, u1, u2, t1, t2;
  std::vector<std::uint8_t> traded;
  std::vector<std::pair<std::size_t, std::size_t>> cells;  // (k, q̂) of each probe group
  for (std::size_t k = 0; k < n; ++k) {
    const TypeView theta_j = nodes_.at(k);
    const auto [a, b] = profile(report, theta_j);
    for (std::size_t q = 0; q < 2; ++q) {
      const double P = q == 1 ? c.P1[k] : 1.0 - c.P1[k];
      if (P <= 0.0)
        continue;
      const RealisedPayoffs pay = realised_payoffs(env_, a, b, q == 1);
      const double pi_i = agent_ == 1 ? pay.pi1 : pay.pi2, pi_j = agent_ == 1 ? pay.pi2 : pay.pi1;
      const std::array<std::pair<double, double>, kProbes> probes = {{
          {0.0, 0.0},
          {s, 0.0},
          {0.0, s},
          {pi_i, pi_j},
          {Pi_i_.low + 0.618 * (Pi_i_.high - Pi_i_.low),
           Pi_j_.low + 0.382 * (Pi_j_.high - Pi_j_.low)},
      }};
      for (const auto& [ui, uj] : probes) {
        own.insert(own.end(), report.begin(), report.end());
        other.insert(other.end(), theta_j.begin(), theta_j.end());
        u1.push_back(agent_ == 1 ? ui : uj);
        u2.push_back(agent_ == 1 ? uj : ui);
        traded.push_back(static_cast<std::uint8_t>(q));
      }
      cells.emplace_back(k, q);
    }
  }
  const std::size_t size = u1.size();
  t1.resize(size);
  t2.resize(size);
  const bool seller = agent_ == 1;
  const ReportBatch batch{size, seller ? m_i : m_j, seller ? m_j : m_i,
                          seller ? own.data() : other.data(), seller ? other.data() : own.data()};
  mechanism_.transfers(batch, traded.data(), u1.data(), u2.data(), t1.data(), t2.data());
  const std::vector<double>& t = seller ? t1 : t2;

  // Fit α, a, b from the first three probes; check the other two.
  std::array<std::vector<double>, 2> alpha, slope_own, slope_other;
  for (std::size_t q = 0; q < 2; ++q) {
    alpha[q].assign(n, 0.0);
    slope_own[q].assign(n, 0.0);
    slope_other[q].assign(n, 0.0);
  }
  for (std::size_t g = 0; g < cells.size(); ++g) {
    const auto [k, q] = cells[g];
    const double* tp = t.data() + g * kProbes;
    const double a0 = tp[0], a = (tp[1] - a0) / s, b = (tp[2] - a0) / s;
    for (std::size_t p = 3; p < kProbes; ++p) {
      const std::size_t at = g * kProbes + p;
      const double ui = seller ? u1[at] : u2[at], uj = seller ? u2[at] : u1[at];
      const double model = a0 + a * ui + b * uj;
      const double size_of_terms = 1.0 + std::abs(a0) + s * (std::abs(a) + std::abs(b));
      if (std::abs(tp[p] - model) > kAffineTolerance * size_of_terms)
        return false;
    }
    alpha[q][k] = a0;
    slope_own[q][k] = a;
    slope_other[q][k] = b;
  }

  // The value for a true type with row x = [v1 | v2] is
  //   Σ_k w_k Σ_q̂ P_q̂ (πi + α + a·ui^r + b·π−i);
  // at q̂ = 0 the live payoff is v1 (the seller's), at q̂ = 1 it is v2 (the
  // buyer's), and it belongs to agent i or to the other agent.
  c.g.assign(2 * n, 0.0);
  for (std::size_t q = 0; q < 2; ++q) {
    c.wa[q].assign(n, 0.0);
    c.wP[q].assign(n, 0.0);
  }
  for (std::size_t k = 0; k < n; ++k) {
    for (std::size_t q = 0; q < 2; ++q) {
      const double wP = nodes_.weight[k] * (q == 1 ? c.P1[k] : 1.0 - c.P1[k]);
      const bool own_live = q == live_trade();
      c.g[q * n + k] = wP * (own_live ? 1.0 : slope_other[q][k]);
      c.D += wP * alpha[q][k];
      c.wa[q][k] = wP * slope_own[q][k];
      c.wP[q][k] = wP;
      c.A[q] += c.wa[q][k];
      c.mass[q] += wP;
      if (slope_own[q][k] != 0.0 && wP > 0.0)
        c.own_report_matters = true;
    }
  }
  if (!c.own_report_matters) {
    for (std::size_t q = 0; q < 2; ++q) {
      c.wa[q].clear();
      c.wP[q].clear();
    }
  }
  return true;
}

double ExactEvaluator::base(const Row& row, const Column& c) const {
  double sum[4] = {0.0, 0.0, 0.0, 0.0};
  const std::size_t n = c.g.size();
  std::size_t k = 0;
  for (; k + 4 <= n; k += 4) {
    for (std::size_t l = 0; l < 4; ++l)
      sum[l] += c.g[k + l] * row.x[k + l];
  }
  for (; k < n; ++k)
    sum[0] += c.g[k] * row.x[k];
  return (sum[0] + sum[1]) + (sum[2] + sum[3]) + c.D;
}

Cell ExactEvaluator::cell_affine(const Row& row, const Column& c, double base) const {
  Cell cell;
  cell.truth_continuation = cell.implementable = cell.relaxed = base;
  const double tolerance = kTieTolerance * scale_;
  if (!c.own_report_matters) {
    // Every payoff report gives the same transfer: truth ties with any lie
    // wherever a q̂ has mass and Πi is not a single value.
    for (std::size_t q = 0; q < 2; ++q)
      cell.tie = cell.tie || (c.mass[q] > 0.0 && Pi_i_.high > Pi_i_.low);
    return cell;
  }
  // The own-report part: the value is linear in a constant report, so the
  // best constant is an end of Πi; the relaxed reply takes the best of the
  // truth and both ends node by node, which is the best over all of Πi.
  const std::size_t n = nodes_.size();
  const std::array<double, 2> ends = {Pi_i_.low, Pi_i_.high};
  for (std::size_t q = 0; q < 2; ++q) {
    if (c.mass[q] <= 0.0)
      continue;
    const bool live = q == live_trade();
    double truth = 0.0, relaxed = 0.0;
    std::array<double, 2> distance = {0.0, 0.0};
    for (std::size_t k = 0; k < n; ++k) {
      const double pi = live ? row.x[q * n + k] : 0.0, wa = c.wa[q][k];
      truth += wa * pi;
      relaxed += std::max({wa * pi, wa * ends[0], wa * ends[1]});
      distance[0] += c.wP[q][k] * std::abs(ends[0] - pi);
      distance[1] += c.wP[q][k] * std::abs(ends[1] - pi);
    }
    const std::array<double, 2> values = {c.A[q] * ends[0], c.A[q] * ends[1]};
    const std::array<std::uint8_t, 2> differs = {distance[0] > tolerance, distance[1] > tolerance};
    double best = truth;
    bool tie = false;
    choose_rule(truth, ends, values, differs, tolerance, cell.rule[q], best, tie);
    cell.tie = cell.tie || tie;
    cell.truth_continuation += truth;
    cell.implementable += best;
    cell.relaxed += relaxed;
  }
  return cell;
}

Cell ExactEvaluator::cell_direct(const Row& row, const Type& report, const Column& c) {
  const std::size_t n = nodes_.size(), M = constants_.size(), m_i = report.size();
  const std::size_t m_j = nodes_.dimension, per = M + 1;
  std::vector<double> own, other, u1, u2, t1, t2, pi_of, weight;
  std::vector<std::uint8_t> traded;
  for (std::size_t k = 0; k < n; ++k) {
    const TypeView theta_j = nodes_.at(k);
    for (std::size_t q = 0; q < 2; ++q) {
      const double P = q == 1 ? c.P1[k] : 1.0 - c.P1[k];
      if (P <= 0.0)
        continue;
      const double live = row.x[q * n + k];
      const double pi_i = q == live_trade() ? live : 0.0, pi_j = q == live_trade() ? 0.0 : live;
      for (std::size_t m = 0; m < per; ++m) {
        const double ui = m == 0 ? pi_i : constants_[m - 1];
        own.insert(own.end(), report.begin(), report.end());
        other.insert(other.end(), theta_j.begin(), theta_j.end());
        u1.push_back(agent_ == 1 ? ui : pi_j);
        u2.push_back(agent_ == 1 ? pi_j : ui);
        traded.push_back(static_cast<std::uint8_t>(q));
      }
      pi_of.push_back(pi_i);
      weight.push_back(nodes_.weight[k] * P);
    }
  }
  const std::size_t size = u1.size();
  t1.resize(size);
  t2.resize(size);
  const bool seller = agent_ == 1;
  const ReportBatch batch{size, seller ? m_i : m_j, seller ? m_j : m_i,
                          seller ? own.data() : other.data(), seller ? other.data() : own.data()};
  mechanism_.transfers(batch, traded.data(), u1.data(), u2.data(), t1.data(), t2.data());
  const std::vector<double>& t = seller ? t1 : t2;

  Cell cell;
  std::array<double, 2> truth{}, relaxed{};
  std::array<std::vector<double>, 2> values, distance;
  for (std::size_t q = 0; q < 2; ++q) {
    values[q].assign(M, 0.0);
    distance[q].assign(M, 0.0);
  }
  for (std::size_t g = 0; g < weight.size(); ++g) {
    const std::size_t q = traded[g * per];
    const double w = weight[g], pi = pi_of[g];
    const double* tg = t.data() + g * per;
    cell.truth_continuation += w * pi;  // the own payoff, whatever is reported
    truth[q] += w * tg[0];
    double best = tg[0];
    for (std::size_t m = 0; m < M; ++m) {
      values[q][m] += w * tg[m + 1];
      distance[q][m] += w * std::abs(constants_[m] - pi);
      best = std::max(best, tg[m + 1]);
    }
    relaxed[q] += w * best;
  }
  const double tolerance = kTieTolerance * scale_;
  cell.implementable = cell.relaxed = cell.truth_continuation;
  for (std::size_t q = 0; q < 2; ++q) {
    std::vector<std::uint8_t> differs(M);
    for (std::size_t m = 0; m < M; ++m)
      differs[m] = distance[q][m] > tolerance;
    double best = truth[q];
    bool tie = false;
    choose_rule(truth[q], constants_, values[q], differs, tolerance, cell.rule[q], best, tie);
    cell.tie = cell.tie || tie;
    cell.truth_continuation += truth[q];
    cell.implementable += best;
    cell.relaxed += relaxed[q];
  }
  return cell;
}

void ExactEvaluator::screen_affine(const std::vector<const Row*>& rows,
                                   const std::vector<const Column*>& cols,
                                   const std::vector<const Column*>& truth_cols,
                                   GainTable& table) const {
  const std::size_t T = rows.size(), R = cols.size();
  // Rows are split across threads in blocks; only arithmetic on the tables
  // happens here, so no mechanism or valuation is touched concurrently.
  auto work = [&](std::size_t first, std::size_t last) {
    for (std::size_t t0 = first; t0 < last; t0 += kTypeBlock) {
      const std::size_t t1 = std::min(last, t0 + kTypeBlock);
      std::array<double, kTypeBlock> truth{};
      for (std::size_t t = t0; t < t1; ++t) {
        const Column& own = *truth_cols[t];
        truth[t - t0] = cell_affine(*rows[t], own, base(*rows[t], own)).truth_continuation;
      }
      // Short blocks at the ends repeat their last row or column; the
      // repeats are computed and dropped.
      const double* x[kTypeBlock];
      for (std::size_t t = 0; t < kTypeBlock; ++t)
        x[t] = rows[std::min(t0 + t, t1 - 1)]->x.data();
      const std::size_t n = rows[t0]->x.size();
      for (std::size_t r0 = 0; r0 < R; r0 += kReportBlock) {
        const std::size_t r1 = std::min(R, r0 + kReportBlock);
        const double* g[kReportBlock];
        for (std::size_t c = 0; c < kReportBlock; ++c)
          g[c] = cols[std::min(r0 + c, r1 - 1)]->g.data();
        double dots[kTypeBlock][kReportBlock];
        dot_block(x, g, n, dots);
        for (std::size_t t = t0; t < t1; ++t) {
          for (std::size_t r = r0; r < r1; ++r) {
            const Column& c = *cols[r];
            const Cell cell = cell_affine(*rows[t], c, dots[t - t0][r - r0] + c.D);
            const std::size_t at = table.at(t, r);
            table.lower[at] = cell.implementable - truth[t - t0];
            table.upper[at] = cell.relaxed - truth[t - t0];
            table.rule[at] = cell.rule;
            table.tie[at] = cell.tie;
          }
        }
      }
    }
  };
  const std::size_t threads = std::clamp<std::size_t>(options_.threads, 1, (T + 7) / 8);
  if (threads <= 1) {
    work(0, T);
    return;
  }
  std::vector<std::thread> pool;
  const std::size_t chunk = (T + threads - 1) / threads;
  for (std::size_t i = 0; i < threads; ++i) {
    const std::size_t first = i * chunk, last = std::min(T, first + chunk);
    if (first < last)
      pool.emplace_back(work, first, last);
  }
  for (std::thread& thread : pool)
    thread.join();
}

void ExactEvaluator::screen(std::span<const Type> types, std::span<const Type> reports,
                            GainTable& table) {
  const std::size_t T = types.size(), R = reports.size();
  table.types = T;
  table.reports = R;
  table.lower.assign(T * R, 0.0);
  table.upper.assign(T * R, 0.0);
  table.rule.assign(T * R, {});
  table.tie.assign(T * R, 0);
  // The mechanism is queried here, on this thread, for every column needed;
  // a failed affine probe clears the cache, so the loop runs again.
  for (bool settled = false; !settled;) {
    const bool affine_before = affine_;
    for (const Type& r : reports)
      column(r);
    for (const Type& theta : types)
      column(theta);
    settled = affine_ == affine_before;
  }
  std::vector<const Row*> rows;
  std::vector<const Column*> cols, truth_cols;
  for (const Type& theta : types) {
    rows.push_back(&row(theta));
    truth_cols.push_back(&column(theta));
  }
  for (const Type& r : reports)
    cols.push_back(&column(r));

  if (affine_) {
    screen_affine(rows, cols, truth_cols, table);
    return;
  }
  for (std::size_t t = 0; t < T; ++t) {
    const Type theta(types[t].begin(), types[t].end());
    const double truth = cell_direct(*rows[t], theta, *truth_cols[t]).truth_continuation;
    for (std::size_t r = 0; r < R; ++r) {
      const Type report(reports[r].begin(), reports[r].end());
      const Cell cell = cell_direct(*rows[t], report, *cols[r]);
      const std::size_t at = table.at(t, r);
      table.lower[at] = cell.implementable - truth;
      table.upper[at] = cell.relaxed - truth;
      table.rule[at] = cell.rule;
      table.tie[at] = cell.tie;
    }
  }
}

template <typename Choose>
double ExactEvaluator::play(TypeView theta_i, TypeView report, TypeView theta_j,
                            Choose choose) const {
  const auto [r1, r2] = profile(report, theta_j);
  const auto [a, b] = profile(theta_i, theta_j);
  const double x = mechanism_.trade_probability(r1, r2);
  double value = 0.0;
  for (int q = 0; q < 2; ++q) {
    const double P = q == 1 ? x : 1.0 - x;
    if (P <= 0.0)
      continue;
    const RealisedPayoffs pay = realised_payoffs(env_, a, b, q == 1);
    const double pi_i = agent_ == 1 ? pay.pi1 : pay.pi2, pi_j = agent_ == 1 ? pay.pi2 : pay.pi1;
    const auto transfer = [&](double u_i) {
      const Transfers t =
          mechanism_.transfers(r1, r2, q == 1, agent_ == 1 ? u_i : pi_j, agent_ == 1 ? pi_j : u_i);
      return agent_ == 1 ? t.t1 : t.t2;
    };
    value += P * (pi_i + choose(q, pi_i, transfer));
  }
  return value;
}

ConfirmedGain ExactEvaluator::confirm(TypeView theta_i, const Deviation& deviation,
                                      TypeView relaxed_report) {
  const Type own(theta_i.begin(), theta_i.end());
  const auto truthful = [](int, double pi, const auto& transfer) { return transfer(pi); };
  const auto rule = [&](int q, double pi, const auto& transfer) {
    return transfer(deviation.after[static_cast<std::size_t>(q)].report(pi));
  };
  // The relaxed reply: the best of the truth, both ends of Πi and the
  // constants, knowing θ−i; exact over Πi for affine transfers.
  const auto relaxed = [&](int, double pi, const auto& transfer) {
    double best = std::max({transfer(pi), transfer(Pi_i_.low), transfer(Pi_i_.high)});
    if (!affine_) {
      for (double c : constants_)
        best = std::max(best, transfer(c));
    }
    return best;
  };

  // The quadrature splits where the decision switches: where v2 − v1
  // changes sign at the true type, at each report, and, for W-like terms,
  // at the ends (or support points) of the agent's own space.
  const TypeSpace& space = own_space(env_, agent_);
  std::vector<Type> kink_types = {own, deviation.report,
                                  Type(relaxed_report.begin(), relaxed_report.end())};
  if (space.is_discrete()) {
    kink_types.insert(kink_types.end(), space.points().begin(), space.points().end());
  } else if (space.dimension() == 1) {
    kink_types.push_back({space.lower(0)});
    kink_types.push_back({space.upper(0)});
  }
  std::vector<TypeFunction> kinks;
  for (const Type& mine : kink_types) {
    kinks.push_back([this, mine](TypeView other) {
      const auto [a, b] = profile(mine, other);
      return env_.trade_gain(a, b);
    });
  }
  // Integrate the difference plus a constant of the size of the payoffs, so
  // that the quadrature's relative tolerance refers to that size and not to
  // a difference that may vanish (Groves: truth is exactly optimal).
  const double shift = scale_;
  const auto gain = [&](const auto& continuation, TypeView report) {
    const TypeFunction f = [&](TypeView theta_j) {
      return play(own, report, theta_j, continuation) - play(own, own, theta_j, truthful) + shift;
    };
    Estimate e = expect(other_space(env_, agent_), f, kinks, expectations_.options(), &qmc_);
    e.value -= shift;
    e.error += 2.0 * mechanism_.transfer_error() + 4.0 * kEpsilon * shift;
    return e;
  };
  return {gain(rule, deviation.report), gain(relaxed, relaxed_report)};
}

// Local refinement of the best report for one type, maximising the screened
// implementable gain: Brent's method between the grid neighbours on an
// interval, BOBYQA within one grid step on a box.
std::pair<Type, double> refine_report(DeviationEvaluator& evaluator, const TypeSpace& space,
                                      const Type& theta, const Type& start, double start_gain,
                                      double step) {
  GainTable one;
  const std::vector<Type> types = {theta};
  const auto gain_at = [&](const Type& r) {
    const std::vector<Type> reports = {r};
    evaluator.screen(types, reports, one);
    return one.lower[0];
  };
  Type best = start;
  double best_gain = start_gain;
  if (space.dimension() == 1) {
    const double low = std::max(space.lower(0), start[0] - step);
    const double high = std::min(space.upper(0), start[0] + step);
    std::uintmax_t iterations = kBrentIterations;
    const auto [r, negative] = boost::math::tools::brent_find_minima(
        [&](double x) { return -gain_at({x}); }, low, high, kBrentBits, iterations);
    if (-negative > best_gain) {
      best = {r};
      best_gain = -negative;
    }
    return {best, best_gain};
  }
  const std::size_t m = space.dimension();
  nlopt::opt opt(nlopt::LN_BOBYQA, static_cast<unsigned>(m));
  std::vector<double> lower(m), upper(m), x(start);
  for (std::size_t k = 0; k < m; ++k) {
    lower[k] = std::max(space.lower(k), start[k] - step * (space.upper(k) - space.lower(k)));
    upper[k] = std::min(space.upper(k), start[k] + step * (space.upper(k) - space.lower(k)));
  }
  opt.set_lower_bounds(lower);
  opt.set_upper_bounds(upper);
  opt.set_maxeval(kBobyqaEvaluations);
  opt.set_xtol_rel(1e-6);
  struct Context {
    decltype(gain_at)* f;
  } context{&gain_at};
  opt.set_max_objective([](const std::vector<double>& r, std::vector<double>&,
                           void* data) { return (*static_cast<Context*>(data)->f)(r); },
                        &context);
  double value = 0.0;
  try {
    opt.optimize(x, value);
  } catch (const std::exception& e) {
    spdlog::debug("search: BOBYQA stopped early: {}", e.what());
  }
  if (value > best_gain) {
    best = x;
    best_gain = value;
  }
  return {best, best_gain};
}

// The best screened entry of each type: report index for the implementable
// gain and for the relaxed one.
struct Best {
  std::size_t lower_at = 0, upper_at = 0;
  double lower = -INFINITY, upper = -INFINITY;
};

Best best_of(const GainTable& table, std::size_t t) {
  Best best;
  for (std::size_t r = 0; r < table.reports; ++r) {
    const std::size_t at = table.at(t, r);
    if (table.lower[at] > best.lower) {
      best.lower = table.lower[at];
      best.lower_at = r;
    }
    if (table.upper[at] > best.upper) {
      best.upper = table.upper[at];
      best.upper_at = r;
    }
  }
  return best;
}

// What the screening found for one type.
struct Screened {
  Type theta;
  double lower = 0.0, upper = 0.0;
  Deviation deviation;
  Type relaxed_report;
  bool tie = false;
  Type tie_report;
};

std::vector<Screened> screen_types(DeviationEvaluator& evaluator, const std::vector<Type>& types,
                                   const std::vector<Type>& reports) {
  GainTable table;
  evaluator.screen(types, reports, table);
  std::vector<Screened> out;
  for (std::size_t t = 0; t < types.size(); ++t) {
    const Best best = best_of(table, t);
    Screened s{types[t], best.lower, best.upper, {}, reports[best.upper_at], false, {}};
    s.deviation.report = reports[best.lower_at];
    s.deviation.after = table.rule[table.at(t, best.lower_at)];
    for (std::size_t r = 0; r < table.reports && !s.tie; ++r) {
      if (table.tie[table.at(t, r)]) {
        s.tie = true;
        s.tie_report = reports[r];
      }
    }
    out.push_back(std::move(s));
  }
  return out;
}

void check_options(const SearchOptions& options) {
  const std::array<std::pair<const char*, std::size_t>, 3> sizes = {
      {{"types", options.types}, {"reports", options.reports}, {"nodes", options.nodes}}};
  for (const auto& [name, size] : sizes) {
    if (size == 0)
      throw_input_error("search grid '{}' has size 0; it needs at least 1 point", name);
  }
  if (options.mode == EvaluationMode::kMonteCarlo) {
    for (const auto& [name, draws] : {std::pair{"--draws", options.mc_confirm_draws},
                                      std::pair{"--screen-draws", options.mc_screen_draws}}) {
      if (draws < 2) {
        throw_input_error("{} {}: Monte Carlo mode needs at least 2 draws for an interval", name,
                          draws);
      }
    }
  }
}

std::string type_text(TypeView theta) {
  if (theta.size() == 1)
    return fmt::format("{:.6g}", theta[0]);
  return fmt::format("({:.6g})", fmt::join(theta, ", "));
}

std::string rule_text(const PayoffRule& rule) {
  return rule.kind == PayoffRuleKind::kTruth ? "truth" : fmt::format("report {:.6g}", rule.value);
}

Json rule_json(const PayoffRule& rule) {
  if (rule.kind == PayoffRuleKind::kTruth)
    return Json{{"rule", "truth"}};
  return Json{{"rule", "constant"}, {"value", rule.value}};
}

}  // namespace

SearchAgent parse_search_agent(const std::string& text) {
  if (text == "seller")
    return SearchAgent::kSeller;
  if (text == "buyer")
    return SearchAgent::kBuyer;
  if (text == "both")
    return SearchAgent::kBoth;
  throw_input_error("--agent {}: expected seller, buyer or both", text);
}

EvaluationMode parse_evaluation_mode(const std::string& text) {
  if (text == "exact")
    return EvaluationMode::kExact;
  if (text == "mc")
    return EvaluationMode::kMonteCarlo;
  throw_input_error("--mode {}: expected exact or mc", text);
}

std::string to_string(EvaluationMode mode) {
  return mode == EvaluationMode::kExact ? "exact" : "mc";
}

Deviation Deviation::truth(TypeView theta) {
  return {Type(theta.begin(), theta.end()), {}};
}

bool Deviation::stage2_truthful() const {
  return after[0].kind == PayoffRuleKind::kTruth && after[1].kind == PayoffRuleKind::kTruth;
}

std::unique_ptr<DeviationEvaluator> make_exact_evaluator(const Mechanism& mechanism,
                                                         const Expectations& expectations,
                                                         int agent, const SearchOptions& options) {
  return std::make_unique<ExactEvaluator>(mechanism, expectations, agent, options);
}

namespace {

// Progress of a search that has run for a while is news (info); of a quick
// one, a diagnostic (debug), so short commands keep stderr quiet.
spdlog::level::level_enum progress_level(double seconds) {
  return seconds >= 1.0 ? spdlog::level::info : spdlog::level::debug;
}

}  // namespace

AgentSearch search_agent(DeviationEvaluator& evaluator, const Environment& environment, int agent,
                         const SearchOptions& options) {
  check_options(options);
  const TypeSpace& space = own_space(environment, agent);
  const char* who = agent == 1 ? "seller" : "buyer";
  const auto start = std::chrono::steady_clock::now();
  const auto elapsed = [&] {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  };
  AgentSearch result;
  result.agent = agent;

  // 1. Screen a grid of true types against a grid of reports.
  const std::vector<Type> reports = search_grid(space, options.reports);
  std::vector<Screened> screened =
      screen_types(evaluator, search_grid(space, options.types), reports);
  result.screened = screened.size() * reports.size();
  spdlog::log(progress_level(elapsed()), "search {}: screened {} types x {} reports ({:.2f} s)",
              who, screened.size(), reports.size(), elapsed());

  // 2. Bisect the type grid beside the type with the largest gain.
  const auto by_gain = [](const Screened& a, const Screened& b) {
    return std::tie(a.lower, a.upper) < std::tie(b.lower, b.upper);
  };
  if (space.is_continuous() && space.dimension() == 1 && screened.size() > 1) {
    for (std::size_t round = 0; round < options.type_refinements; ++round) {
      const auto top = std::max_element(screened.begin(), screened.end(), by_gain);
      const std::size_t j = static_cast<std::size_t>(top - screened.begin());
      std::vector<Type> fresh;
      if (j > 0)
        fresh.push_back({0.5 * (screened[j - 1].theta[0] + screened[j].theta[0])});
      if (j + 1 < screened.size())
        fresh.push_back({0.5 * (screened[j].theta[0] + screened[j + 1].theta[0])});
      for (Screened& s : screen_types(evaluator, fresh, reports))
        screened.push_back(std::move(s));
      result.screened += fresh.size() * reports.size();
      std::sort(screened.begin(), screened.end(),
                [](const Screened& a, const Screened& b) { return a.theta < b.theta; });
    }
  }

  // 3. Refine the best report locally for the types with the largest gains.
  if (space.is_continuous() && options.refined_types > 0) {
    std::vector<std::size_t> order(screened.size());
    for (std::size_t i = 0; i < order.size(); ++i)
      order[i] = i;
    const std::size_t count = std::min(options.refined_types, order.size());
    std::partial_sort(
        order.begin(), order.begin() + static_cast<std::ptrdiff_t>(count), order.end(),
        [&](std::size_t a, std::size_t b) { return by_gain(screened[b], screened[a]); });
    const double step = space.dimension() == 1
                            ? (space.upper(0) - space.lower(0)) /
                                  static_cast<double>(std::max<std::size_t>(reports.size() - 1, 1))
                            : 1.0 / static_cast<double>(options.reports / kBoxDivisor + 1);
    for (std::size_t i = 0; i < count; ++i) {
      Screened& s = screened[order[i]];
      const auto [report, gain] =
          refine_report(evaluator, space, s.theta, s.deviation.report, s.lower, step);
      if (gain > s.lower) {
        GainTable one;
        const std::vector<Type> types = {s.theta}, single = {report};
        evaluator.screen(types, single, one);
        s.lower = gain;
        s.deviation = {report, one.rule[0]};
        if (one.upper[0] > s.upper) {
          s.upper = one.upper[0];
          s.relaxed_report = report;
        }
      }
    }
    spdlog::log(progress_level(elapsed()),
                "search {}: refined the best report of {} types ({:.2f} s)", who, count, elapsed());
  }

  // 4. Confirm each type's bracket with error bars; participation.
  for (const Screened& s : screened) {
    TypeGain g;
    g.theta = s.theta;
    const Deviation candidate = s.lower > 0.0 ? s.deviation : Deviation::truth(s.theta);
    const ConfirmedGain confirmed = evaluator.confirm(s.theta, candidate, s.relaxed_report);
    if (confirmed.lower.value > 0.0 && s.lower > 0.0) {
      g.lower = confirmed.lower;
      g.deviation = candidate;
    } else {
      g.lower = {0.0, 0.0};  // truth itself: a gain of exactly zero
      g.deviation = Deviation::truth(s.theta);
    }
    g.upper = confirmed.upper;
    if (g.upper.value < g.lower.value)
      g.upper = g.lower;
    if (g.upper.value < 0.0)
      g.upper.value = 0.0;
    g.U = evaluator.truthful_utility(s.theta);
    g.outside_option = evaluator.outside_option(s.theta);
    const Estimate best = g.U + g.lower;
    g.participates = best.value >= g.outside_option.value - best.error - g.outside_option.error;
    if (!g.participates)
      result.stays_out.push_back(s.theta);
    if (s.tie && !result.stage2_indifferent) {
      result.stage2_indifferent = true;
      result.indifferent_type = s.theta;
      result.indifferent_report = s.tie_report;
    }
    result.curve.push_back(std::move(g));
  }
  spdlog::log(progress_level(elapsed()), "search {}: confirmed {} types ({:.2f} s)", who,
              result.curve.size(), elapsed());

  // 5. Exploitability: the largest gain over the types.
  const auto top = std::max_element(
      result.curve.begin(), result.curve.end(), [](const TypeGain& a, const TypeGain& b) {
        return std::tie(a.lower.value, a.upper.value) < std::tie(b.lower.value, b.upper.value);
      });
  result.exploitability_lower = top->lower;
  result.argmax_type = top->theta;
  result.deviation = top->deviation;
  result.exploitability_upper = result.curve.front().upper;
  for (const TypeGain& g : result.curve) {
    if (g.upper.value > result.exploitability_upper.value)
      result.exploitability_upper = g.upper;
  }
  result.evaluator = evaluator.description();
  return result;
}

SearchResult search(const Mechanism& mechanism, const Expectations& expectations, SearchAgent which,
                    const SearchOptions& options) {
  check_options(options);
  SearchResult result;
  result.mode = options.mode;
  for (int agent : {1, 2}) {
    if ((agent == 1 && which == SearchAgent::kBuyer) ||
        (agent == 2 && which == SearchAgent::kSeller))
      continue;
    const auto evaluator = options.mode == EvaluationMode::kMonteCarlo
                               ? make_monte_carlo_evaluator(mechanism, expectations, agent, options)
                               : make_exact_evaluator(mechanism, expectations, agent, options);
    result.agents.push_back(search_agent(*evaluator, expectations.environment(), agent, options));
  }
  return result;
}

Json to_json(const Deviation& d) {
  return Json{{"report", to_json(d.report)},
              {"stage2", {{"no_trade", rule_json(d.after[0])}, {"trade", rule_json(d.after[1])}}}};
}

Json to_json(const AgentSearch& s) {
  Json curve = Json::array();
  for (const TypeGain& g : s.curve) {
    curve.push_back(Json{{"theta", to_json(g.theta)},
                         {"lower", to_json(g.lower)},
                         {"upper", to_json(g.upper)},
                         {"deviation", to_json(g.deviation)},
                         {"U", to_json(g.U)},
                         {"outside_option", to_json(g.outside_option)},
                         {"participates", g.participates}});
  }
  Json stays_out = Json::array();
  for (const Type& theta : s.stays_out)
    stays_out.push_back(to_json(theta));
  Json indifference = {{"flag", s.stage2_indifferent}};
  if (s.stage2_indifferent) {
    indifference["type"] = to_json(s.indifferent_type);
    indifference["report"] = to_json(s.indifferent_report);
  }
  return Json{
      {"agent", s.agent == 1 ? "seller" : "buyer"},
      {"exploitability",
       {{"lower", to_json(s.exploitability_lower)}, {"upper", to_json(s.exploitability_upper)}}},
      {"truthful", s.truthful()},
      {"argmax_type", to_json(s.argmax_type)},
      {"deviation", to_json(s.deviation)},
      {"stage2_indifference", indifference},
      {"stays_out", stays_out},
      {"evaluator", s.evaluator},
      {"screened_pairs", s.screened},
      {"curve", curve}};
}

Json to_json(const SearchResult& result) {
  Json agents = Json::array();
  for (const AgentSearch& s : result.agents)
    agents.push_back(to_json(s));
  return Json{{"mode", to_string(result.mode)}, {"agents", agents}};
}

std::string to_text(const SearchResult& result) {
  std::string out = fmt::format("Deviation search ({} mode)\n", to_string(result.mode));
  for (const AgentSearch& s : result.agents) {
    const bool seller = s.agent == 1;
    out += fmt::format("\n{} (agent {}): {}\n", seller ? "Seller" : "Buyer", s.agent, s.evaluator);
    out += fmt::format("  {:>20}  {:>14} {:>8}  {:>14} {:>8}  {}\n", seller ? "θ1" : "θ2", "gain ≥",
                       "±", "gain ≤", "±", "deviation");
    for (const TypeGain& g : s.curve) {
      out += fmt::format("  {:>20}  {:>14.9f} {:>8.1e}  {:>14.9f} {:>8.1e}  ", type_text(g.theta),
                         g.lower.value, g.lower.error, g.upper.value, g.upper.error);
      out += g.deviation.report == g.theta && g.deviation.stage2_truthful()
                 ? "truth\n"
                 : fmt::format("report {}; after no trade {}; after trade {}\n",
                               type_text(g.deviation.report), rule_text(g.deviation.after[0]),
                               rule_text(g.deviation.after[1]));
    }
    out += fmt::format("  exploitability in [{:.9g} ± {:.1e}, {:.9g} ± {:.1e}] at θ = {}\n",
                       s.exploitability_lower.value, s.exploitability_lower.error,
                       s.exploitability_upper.value, s.exploitability_upper.error,
                       type_text(s.argmax_type));
    if (s.stage2_indifferent) {
      out += fmt::format(
          "  stage 2: truth is only weakly optimal (a payoff lie ties with it at θ = {}, "
          "report {})\n",
          type_text(s.indifferent_type), type_text(s.indifferent_report));
    }
    if (s.stays_out.empty()) {
      out += "  participation: every type searched joins\n";
    } else {
      std::vector<std::string> names;
      for (const Type& theta : s.stays_out)
        names.push_back(type_text(theta));
      out += fmt::format("  participation: {} of {} types stay out: {}\n", s.stays_out.size(),
                         s.curve.size(), fmt::join(names, ", "));
    }
  }
  return out;
}

std::string gain_curve_csv(const AgentSearch& s) {
  std::string out = "agent";
  const std::size_t m = s.curve.empty() ? 0 : s.curve.front().theta.size();
  for (std::size_t k = 0; k < m; ++k)
    out += m == 1 ? ",theta" : fmt::format(",theta_{}", k + 1);
  out += ",lower,lower_error,upper,upper_error,U,outside_option,participates\n";
  for (const TypeGain& g : s.curve) {
    out += s.agent == 1 ? "seller" : "buyer";
    for (double x : g.theta)
      out += fmt::format(",{:.17g}", x);
    out += fmt::format(",{:.17g},{:.3g},{:.17g},{:.3g},{:.17g},{:.17g},{}\n", g.lower.value,
                       g.lower.error, g.upper.value, g.upper.error, g.U.value,
                       g.outside_option.value, g.participates ? 1 : 0);
  }
  return out;
}

void write_gain_curves(const std::string& directory, const SearchResult& result) {
  std::error_code error;
  std::filesystem::create_directories(directory, error);
  if (error)
    throw_input_error("--out {}: cannot create the directory ({})", directory, error.message());
  for (const AgentSearch& s : result.agents) {
    const auto path =
        std::filesystem::path(directory) / (s.agent == 1 ? "gain-seller.csv" : "gain-buyer.csv");
    std::ofstream file(path);
    file << gain_curve_csv(s);
    if (!file)
      throw_input_error("--out {}: cannot write {}", directory, path.string());
  }
}

}  // namespace twostage
