// sim/search_mc.hpp: the Monte Carlo deviation evaluator (search --mode mc).
//
// Replaces the exact evaluator's quadrature nodes by random draws of the
// other agent's type and of the lottery. One set of draws screens every
// (type, report, stage-2 rule) candidate and a second, larger set confirms
// each type's best deviation, so all candidates are compared on the same
// draws (common random numbers): differences between candidates carry no
// sampling noise of their own beyond the deviations' effect. A confirmed gain
// is the mean of per-draw differences from truth with its 95% half-width as
// error, so a deviation counts as profitable only when that interval excludes
// zero (AgentSearch::truthful).
//
// The stage-2 rules tried are the truth and constant reports spread evenly
// over Πi, ends included; the relaxed reply picks the best of these per
// draw. The mechanism is queried through its batch interface, once per
// candidate and rule for all draws at a time.
#pragma once

#include <memory>

#include "sim/search.hpp"

namespace twostage {

std::unique_ptr<DeviationEvaluator> make_monte_carlo_evaluator(const Mechanism& mechanism,
                                                               const Expectations& expectations,
                                                               int agent,
                                                               const SearchOptions& options);

}  // namespace twostage
