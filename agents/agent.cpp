// agents/agent.cpp
#include "agents/agent.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include <boost/random/uniform_01.hpp>
#include <boost/random/uniform_int_distribution.hpp>

#include "scenarios/error.hpp"

namespace twostage {
namespace {

Type mean_type(const TypeSpace& space) {
  Type mean(space.dimension(), 0.0);
  if (space.is_discrete()) {
    for (std::size_t k = 0; k < space.points().size(); ++k) {
      for (std::size_t c = 0; c < mean.size(); ++c) {
        mean[c] += space.probabilities()[k] * space.points()[k][c];
      }
    }
  } else {
    for (std::size_t c = 0; c < mean.size(); ++c)
      mean[c] = space.coordinates()[c].mean();
  }
  return mean;
}

}  // namespace

Agent::Agent(int index, const Environment& environment, Strategy strategy)
    : index_(index),
      env_(environment),
      space_(index == 1 ? environment.Theta1 : environment.Theta2),
      strategy_(std::move(strategy)),
      opponent_mean_(mean_type(index == 1 ? environment.Theta2 : environment.Theta1)) {
  for (const Step& step : strategy_.report) {
    if (step.kind == StepKind::kType && step.type.size() != space_.dimension()) {
      throw_input_error("{} strategy: report type:… has {} coordinates, but the {}'s type has {}",
                        index == 1 ? "seller" : "buyer", step.type.size(),
                        index == 1 ? "seller" : "buyer", space_.dimension());
    }
  }
  // Πi spans 0 (the payoff of the decision that leaves the agent without the
  // object) and the agent's valuation over Θ.
  const Valuation& v = index == 1 ? environment.v1 : environment.v2;
  payoff_low_ = payoff_high_ = 0.0;
  for (const Type& a : environment.Theta1.grid(33)) {
    for (const Type& b : environment.Theta2.grid(33)) {
      const double value = v(a, b);
      payoff_low_ = std::min(payoff_low_, value);
      payoff_high_ = std::max(payoff_high_, value);
    }
  }
}

void Agent::draw_types(Engine& nature, double* theta, std::size_t n) const {
  space_.sample_batch(nature, theta, n);
}

void Agent::decide_participation(const double* theta, std::size_t n, std::uint8_t* joins) const {
  const std::size_t m = space_.dimension();
  for (std::size_t i = 0; i < n; ++i) {
    switch (strategy_.participation) {
      case ParticipationRule::kAlways:
        joins[i] = 1;
        break;
      case ParticipationRule::kNever:
        joins[i] = 0;
        break;
      case ParticipationRule::kAbove:
        joins[i] = theta[i * m] >= strategy_.threshold;
        break;
      case ParticipationRule::kBelow:
        joins[i] = theta[i * m] <= strategy_.threshold;
        break;
    }
  }
}

void Agent::project(double* theta) const {
  const std::size_t m = space_.dimension();
  if (space_.is_discrete()) {
    // The nearest support point in Euclidean distance; ties go to the first.
    const Type* best = &space_.points()[0];
    double best_distance = std::numeric_limits<double>::infinity();
    for (const Type& p : space_.points()) {
      double d = 0.0;
      for (std::size_t k = 0; k < m; ++k)
        d += (p[k] - theta[k]) * (p[k] - theta[k]);
      if (d < best_distance) {
        best_distance = d;
        best = &p;
      }
    }
    std::copy(best->begin(), best->end(), theta);
    return;
  }
  for (std::size_t k = 0; k < m; ++k)
    theta[k] = std::clamp(theta[k], space_.lower(k), space_.upper(k));
}

void Agent::report_types(const double* theta, std::size_t n, double* report, Engine& own) const {
  const std::size_t m = space_.dimension();
  std::copy(theta, theta + n * m, report);
  if (strategy_.report.empty())
    return;  // truthful: reports are the types
  boost::random::uniform_01<double> uniform;
  for (std::size_t i = 0; i < n; ++i) {
    double* r = report + i * m;
    for (const Step& step : strategy_.report) {
      switch (step.kind) {
        case StepKind::kShift:
          for (std::size_t k = 0; k < m; ++k)
            r[k] += step.value;
          break;
        case StepKind::kScale:
          for (std::size_t k = 0; k < m; ++k)
            r[k] *= step.value;
          break;
        case StepKind::kConstant:
          std::fill(r, r + m, step.value);
          break;
        case StepKind::kType:
          std::copy(step.type.begin(), step.type.end(), r);
          break;
        case StepKind::kTremble:
          // The agent's own stream: its trembles never shift Nature's draws or
          // the lottery's, so the types stay common across strategies.
          if (uniform(own) < step.value) {
            if (space_.is_discrete()) {
              const auto& points = space_.points();
              boost::random::uniform_int_distribution<std::size_t> pick(0, points.size() - 1);
              const Type& p = points[pick(own)];
              std::copy(p.begin(), p.end(), r);
            } else {
              for (std::size_t k = 0; k < m; ++k) {
                r[k] = space_.lower(k) + (space_.upper(k) - space_.lower(k)) * uniform(own);
              }
            }
          }
          break;
        case StepKind::kOther:
          break;  // a stage-2 rule; the parser does not allow it here
      }
    }
    project(r);
  }
}

double Agent::other_decision_payoff(const double* theta, bool traded) const {
  const TypeView own(theta, space_.dimension());
  const TypeView other(opponent_mean_);
  if (index_ == 1)
    return traded ? env_.v1(own, other) : 0.0;
  return traded ? 0.0 : env_.v2(other, own);
}

void Agent::report_payoffs(const StageTwoView& view, double* payoff_report, Engine& own) const {
  std::copy(view.payoff, view.payoff + view.size, payoff_report);
  if (strategy_.payoff.empty())
    return;  // truthful: report πi
  boost::random::uniform_01<double> uniform;
  for (std::size_t i = 0; i < view.size; ++i) {
    double& u = payoff_report[i];
    for (const Step& step : strategy_.payoff) {
      switch (step.kind) {
        case StepKind::kShift:
          u += step.value;
          break;
        case StepKind::kScale:
          u *= step.value;
          break;
        case StepKind::kConstant:
          u = step.value;
          break;
        case StepKind::kOther:
          u = other_decision_payoff(view.theta + i * view.dimension, view.traded[i] != 0);
          break;
        case StepKind::kTremble:
          if (uniform(own) < step.value) {
            u = payoff_low_ + (payoff_high_ - payoff_low_) * uniform(own);
          }
          break;
        case StepKind::kType:
          break;  // a stage-1 rule; the parser does not allow it here
      }
    }
    u = std::clamp(u, payoff_low_, payoff_high_);
  }
}

}  // namespace twostage
