// agents/agent.hpp: the seller and the buyer as players of the two-stage game.
//
// An agent knows the environment's prior (common knowledge) and its own
// strategy. It works on batches of plays so that the mediator can run
// millions of plays without a call per play: it draws its own types (Nature's
// move for it), decides whether to join, reports a type, and, after the
// decision, reports a payoff. At stage 2 it is handed a StageTwoView, which
// holds its own information only (MODEL.md §2, step 5): there is no way for
// an agent to read the other's type or report through this interface.
#pragma once

#include <cstddef>
#include <cstdint>

#include "agents/random.hpp"
#include "agents/strategy.hpp"
#include "scenarios/environment.hpp"

namespace twostage {

// What agent i sees before its stage-2 report, for a batch of plays, row-major.
struct StageTwoView {
  std::size_t size = 0;
  std::size_t dimension = 0;
  const double* theta = nullptr;         // own types θi
  const double* report = nullptr;        // own stage-1 reports θi^r
  const std::uint8_t* traded = nullptr;  // the realised decision q̂ (both agents see it)
  const double* payoff = nullptr;        // own realised allocation payoffs πi
};

class Agent {
 public:
  // `index` is 1 for the seller, 2 for the buyer. Throws InputError when the
  // strategy does not fit the type space (e.g. a type:… report of the wrong
  // dimension). The environment must outlive the agent.
  Agent(int index, const Environment& environment, Strategy strategy);

  int index() const { return index_; }
  const TypeSpace& types() const { return space_; }
  const Strategy& strategy() const { return strategy_; }
  // Πi: the range of this agent's allocation payoffs, [min, max] of 0 and vi
  // over a grid of Θ; payoff reports are kept inside it.
  double payoff_low() const { return payoff_low_; }
  double payoff_high() const { return payoff_high_; }

  // Nature's draw of this agent's types for n plays.
  void draw_types(Engine& nature, double* theta, std::size_t n) const;
  // joins[i] = 1 if the agent takes part in play i.
  void decide_participation(const double* theta, std::size_t n, std::uint8_t* joins) const;
  // Stage 1: type reports, projected onto Θi (clamped to the box, or the
  // nearest support point of a discrete space).
  void report_types(const double* theta, std::size_t n, double* report, Engine& own) const;
  // Stage 2: payoff reports u_i^r, kept inside Πi.
  void report_payoffs(const StageTwoView& view, double* payoff_report, Engine& own) const;

 private:
  void project(double* theta) const;
  // The payoff agent i would have had under the other decision, valued at
  // its own type and the opponent's prior mean type (all it can infer).
  double other_decision_payoff(const double* theta, bool traded) const;

  int index_;
  const Environment& env_;
  const TypeSpace& space_;
  Strategy strategy_;
  Type opponent_mean_;
  double payoff_low_ = 0.0, payoff_high_ = 0.0;
};

}  // namespace twostage
