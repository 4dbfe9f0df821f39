// sim/search.hpp: best-response search over deviations on continuous and finite type spaces.
//
// BIC for a two-stage mechanism (Definition 5; MODEL.md §2) asks that no
// deviation of agent i beat truth against a truthful opponent. A deviation
// is a stage-1 report θi^r and a stage-2 payoff-report rule
// σ(θi, θi^r, q̂, πi). Its gain for the true type θi is
//
//   εi(θi) = sup over (θi^r, σ) of E_θ−i E_q̂ [πi + ti(θ^r, u^r)] − Ui(θi),
//
// where the opponent reports θ−i and its true realised payoff π−i. The search
// brackets εi(θi) type by type:
//
//   lower  the gain of a deviation the agent can actually play, returned in
//          full: a report and, for each realised trade q̂, either the truth
//          or a constant payoff report chosen against the belief about θ−i
//          given q̂ (Bayes' rule on the event q̂, ignoring what πi adds);
//   upper  the gain when the stage-2 report is chosen knowing θ−i (an
//          information-relaxed reply), which no implementable rule beats.
//
// The two coincide when the mechanism ignores an agent's own payoff report
// (Groves, Definition 8; every one-stage mechanism) and whenever πi reveals
// θ−i. The agent's exploitability is the largest gain over its types.
//
// Method. Screening first: the other agent's type is replaced by fixed
// quadrature nodes (exact support points on a finite space, quantile
// midpoints on an interval, a Sobol set on a box), valuations are computed on
// the nodes once, and the mechanism is queried once per (report, node) to
// tabulate its decision and transfers. Then gains for a grid of true types ×
// a grid of reports are sums over the nodes, evaluated in a tight loop. The
// type grid is refined around the largest gains; for the types with the
// largest gains the best report is refined locally (Brent's method from
// Boost.Math on an interval, BOBYQA from NLopt on a box). Last, every type's
// best deviation and relaxed reply are confirmed by the adaptive expectation
// engine (scenarios/expectation.hpp), which gives the error bars.
//
// Evaluation is a seam (DeviationEvaluator): the exact evaluator here sums
// or integrates; the Monte Carlo evaluator (sim/search_mc.hpp) draws, with
// common random numbers across candidates.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "mechanisms/mechanism.hpp"
#include "scenarios/expectation.hpp"
#include "sim/json.hpp"

namespace twostage {

enum class SearchAgent { kSeller, kBuyer, kBoth };
enum class EvaluationMode { kExact, kMonteCarlo };

// "seller", "buyer", "both"; anything else throws InputError.
SearchAgent parse_search_agent(const std::string& text);
// "exact", "mc"; anything else throws InputError.
EvaluationMode parse_evaluation_mode(const std::string& text);
std::string to_string(EvaluationMode mode);

// A stage-2 rule for one realised trade q̂: report the true πi, or a constant.
enum class PayoffRuleKind { kTruth, kConstant };

struct PayoffRule {
  PayoffRuleKind kind = PayoffRuleKind::kTruth;
  double value = 0.0;  // the constant

  double report(double pi) const { return kind == PayoffRuleKind::kTruth ? pi : value; }
};

// A complete deviation: the stage-1 report and the stage-2 rule after each q̂.
struct Deviation {
  Type report;
  std::array<PayoffRule, 2> after;  // [0] after no trade, [1] after trade

  static Deviation truth(TypeView theta);
  bool stage2_truthful() const;
};

// Screening results for types × reports, row-major (type, then report).
// Each entry is a gain over truth on the evaluator's fixed nodes, without an
// error bar; `rule` is the best implementable continuation after the report.
struct GainTable {
  std::size_t types = 0, reports = 0;
  std::vector<double> lower;  // best implementable continuation
  std::vector<double> upper;  // information-relaxed continuation
  std::vector<std::array<PayoffRule, 2>> rule;
  // A payoff lie that differs from the truth ties with it after this report.
  std::vector<std::uint8_t> tie;

  std::size_t at(std::size_t type, std::size_t report) const { return type * reports + report; }
};

// A deviation's gain confirmed with an error bar, and the relaxed reply's.
struct ConfirmedGain {
  Estimate lower;
  Estimate upper;
};

// Πi, the range of agent i's realised payoffs πi = ui(q̂, θ) (MODEL.md §2):
// between 0 (the object went to the other side) and the extremes of vi.
struct PayoffRange {
  double low = 0.0, high = 0.0;
};
PayoffRange payoff_range(const Environment& env, const Valuation& v);

// How the search evaluates deviations for one agent.
class DeviationEvaluator {
 public:
  virtual ~DeviationEvaluator() = default;

  virtual std::string description() const = 0;
  // Gains of every report in `reports` for every true type in `types`.
  virtual void screen(std::span<const Type> types, std::span<const Type> reports,
                      GainTable& table) = 0;
  // The gain of `deviation` and of the relaxed reply after `relaxed_report`,
  // for the true type θi, with error bars.
  virtual ConfirmedGain confirm(TypeView theta_i, const Deviation& deviation,
                                TypeView relaxed_report) = 0;
  // Ui(θi) on the truthful path and the outside option Ui°(θi).
  virtual Estimate truthful_utility(TypeView theta_i) = 0;
  virtual Estimate outside_option(TypeView theta_i) = 0;
};

struct SearchOptions {
  EvaluationMode mode = EvaluationMode::kExact;
  // True types: points per coordinate of a grid on a continuous space (the
  // whole support of a finite one is always used).
  std::size_t types = 33;
  // Stage-1 reports searched on a grid: points per coordinate.
  std::size_t reports = 65;
  // Quadrature nodes over the other agent's continuous type space.
  std::size_t nodes = 257;
  // Rounds that bisect the type grid next to the type with the largest gain
  // (interval types only).
  std::size_t type_refinements = 4;
  // Types, largest screened gain first, whose best report is refined locally.
  std::size_t refined_types = 4;
  // Constant payoff reports tried (evenly over Πi, ends included) when the
  // mechanism's transfers are not affine in the payoff reports.
  std::size_t payoff_constants = 5;
  // Screening threads for the node sums (the mechanism itself is always
  // queried from one thread: expression valuations are not thread-safe).
  unsigned threads = 2;
  // Monte Carlo mode: draws of the other agent's type and the lottery used to
  // screen every candidate, and (a separate set) to confirm each type's best
  // deviation; the same draws serve every candidate (common random numbers).
  std::size_t mc_screen_draws = 1024;
  std::size_t mc_confirm_draws = 32'768;
  std::uint64_t seed = 1;
};

// One true type's bracket.
struct TypeGain {
  Type theta;
  Estimate lower;  // gain of `deviation`; 0 when no deviation beats truth
  Estimate upper;  // gain of the relaxed reply
  Deviation deviation;
  Estimate U;               // Ui(θi) on the truthful path
  Estimate outside_option;  // Ui°(θi)
  // Whether the type joins: Ui plus what it can gain by deviating is not
  // below the outside option (within the errors).
  bool participates = true;
};

struct AgentSearch {
  int agent = 1;
  std::string evaluator;
  std::vector<TypeGain> curve;  // by type
  Estimate exploitability_lower, exploitability_upper;
  Type argmax_type;
  Deviation deviation;
  // A payoff lie ties with the truth at some stage-2 information set
  // reached in the search: truth is only weakly optimal there.
  bool stage2_indifferent = false;
  Type indifferent_type, indifferent_report;
  std::vector<Type> stays_out;
  std::size_t screened = 0;  // (type, report) pairs screened
  // Gains within their error bars: no profitable deviation was found.
  bool truthful() const { return exploitability_lower.value <= exploitability_lower.error; }
};

struct SearchResult {
  EvaluationMode mode = EvaluationMode::kExact;
  std::vector<AgentSearch> agents;  // seller first
};

// The exact evaluator for agent i (1 or 2). The mechanism and the
// expectations (and their environment) must outlive it.
std::unique_ptr<DeviationEvaluator> make_exact_evaluator(const Mechanism& mechanism,
                                                         const Expectations& expectations,
                                                         int agent, const SearchOptions& options);

// Searches agent i's deviations with the given evaluator.
AgentSearch search_agent(DeviationEvaluator& evaluator, const Environment& environment, int agent,
                         const SearchOptions& options);

// Both or one agent; throws InputError for bad options (a grid of size 0,
// fewer than 2 Monte Carlo draws).
SearchResult search(const Mechanism& mechanism, const Expectations& expectations, SearchAgent which,
                    const SearchOptions& options = {});

Json to_json(const Deviation& deviation);
Json to_json(const AgentSearch& search);
Json to_json(const SearchResult& result);
std::string to_text(const SearchResult& result);
// The gain curve as CSV: agent, type coordinates, lower, its error, upper,
// its error, U, outside option, participates.
std::string gain_curve_csv(const AgentSearch& search);
// Writes gain-seller.csv and/or gain-buyer.csv into `directory`, creating
// it; throws InputError when that fails.
void write_gain_curves(const std::string& directory, const SearchResult& result);

}  // namespace twostage
