// sim/interim.hpp: a mechanism's interim analysis on the truthful path.
//
// For any Mechanism, with both agents truthful in both stages (MODEL.md §2):
//
//   Ui(θi) = E_θ−i[ E_q̂[ πi + ti(θ, π1, π2) ] ],   q̂ ~ Bernoulli(x(θ)),
//   si(θi) = Ui(θi) − Ui°(θi),                     Li = −min si   (IIR, Definition 6),
//
// where πi are the realised payoffs, which truthful agents report in stage 2.
// The expectation over θ−i runs through the expectation engine
// (scenarios/expectation.hpp), so Ui carries the engine's error plus the
// mechanism's own transfer_error(). The worst-off types are found by a
// global search (scenarios/minimize.hpp) and then described as a set:
// support points on a discrete space, intervals refined by bisection on an
// interval, a region (its grid share and bounding box) on a box.
//
// Budget balance (Definition 7) and efficiency (EFF) are checked on a grid of
// type profiles: the largest |t1 + t2| on the path, and the number of
// profiles where x(θ) differs from x*(θ).
#pragma once

#include <string>
#include <vector>

#include "mechanisms/mechanism.hpp"
#include "scenarios/expectation.hpp"
#include "scenarios/minimize.hpp"

namespace twostage {

struct InterimOptions {
  std::size_t curve_points = 11;    // reported slack curve: points per type coordinate
  std::size_t set_scan_1d = 257;    // grid scanned for the worst-off set on an interval
  std::size_t set_scan_box = 4225;  // grid points scanned for the worst-off region on a box
  std::size_t profiles = 4225;      // type profiles checked for BB and EFF
  // A type is worst off when its slack is within this of the minimum,
  // relative to 1 + |min slack|, plus twice the integration error there.
  double set_tolerance = 1e-9;
  // A set on an interval narrower than this share of the interval is
  // reported as a single point (an interior minimum looks like a tiny interval).
  double point_width = 1e-3;
  MinimizeOptions minimize;
};

struct SlackPoint {
  Type theta;
  Estimate U;               // Ui(θi)
  Estimate outside_option;  // Ui°(θi)
  Estimate slack;           // si(θi) = Ui − Ui°
};

enum class WorstOffShape { kPoint, kPoints, kIntervals, kRegion };
std::string to_string(WorstOffShape shape);

struct Interval {
  double low = 0.0, high = 0.0;
};

struct WorstOffSet {
  WorstOffShape shape = WorstOffShape::kPoint;
  Type argmin;                      // the global minimiser of the slack
  std::vector<Type> points;         // kPoint, kPoints, and isolated minima beside intervals
  std::vector<Interval> intervals;  // kIntervals: one-dimensional types
  double region_share = 0.0;        // kRegion: share of the scan grid that is worst off
  Type region_lower, region_upper;  //          and the bounding box of those grid points
  double tolerance = 0.0;           // how close to the minimum counts as worst off
};

struct AgentInterim {
  int agent = 1;                  // 1 seller, 2 buyer
  std::vector<SlackPoint> curve;  // on a grid of the agent's types
  WorstOffSet worst_off;
  Estimate min_slack;      // min si, with the mechanism's lump sum included
  Estimate lump_sum;       // ℓi
  Estimate expected_loss;  // Li = −min si without the lump sum = ℓi − min_slack
};

struct LumpSumCheck {
  Estimate total_loss;    // L1 + L2
  bool feasible = false;  // L1 + L2 ≤ 0 within its error (Mezzetti 2003, Proposition 3)
};

struct BudgetCheck {
  Estimate max_imbalance;  // max |t1 + t2| on the truthful path
  Type theta1, theta2;     // where it is attained
  std::size_t profiles = 0;
};

struct EfficiencyCheck {
  std::size_t decision_errors = 0;  // profiles where x(θ) ≠ x*(θ)
  std::size_t profiles = 0;
  Type theta1, theta2;  // the first such profile, if any
  double trade_probability = 0.0;
};

struct InterimAnalysis {
  Estimate expected_surplus;  // ES
  ExpectationMethod es_method = ExpectationMethod::kExact;
  AgentInterim seller, buyer;
  LumpSumCheck lump_sum;
  BudgetCheck budget;
  EfficiencyCheck efficiency;
};

// Ui(θi) on the truthful path for agent i (1 or 2), integrating the
// mechanism's own decisions and transfers over the other agent's type. The
// mechanism and the expectations must outlive this object.
class InterimUtility {
 public:
  InterimUtility(const Mechanism& mechanism, const Expectations& expectations, int agent);

  // Ui(θi) with the error of the integration alone.
  Estimate integrate(TypeView theta_i) const;
  // Ui(θi) with the mechanism's transfer error added.
  Estimate operator()(TypeView theta_i) const;
  // Ui°(θi): the seller keeps the object, the buyer keeps his money.
  Estimate outside_option(TypeView theta_i) const;

 private:
  const Mechanism& mechanism_;
  const Expectations& expectations_;
  int agent_;
  QmcNodes nodes_;  // over the other agent's types, when that space is a box
  std::vector<Type> cutoff_types_;
};

// E_q̂[πi + ti] at one type profile with truthful reports in both stages.
double truthful_utility(const Mechanism& mechanism, const Environment& environment, int agent,
                        TypeView theta1, TypeView theta2);

InterimAnalysis analyse_interim(const Mechanism& mechanism, const Expectations& expectations,
                                const InterimOptions& options = {});

}  // namespace twostage
