// sim/design.hpp: a mechanism built for a scenario, possibly under stress.
//
// Under a misspecified prior (--stress prior:S) the mechanism is designed for
// the believed scenario S: its decision, W terms, lump sums and prices come
// from S, while play draws types from the true scenario and pays realised
// values there.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "mechanisms/mechanism.hpp"
#include "scenarios/expectation.hpp"
#include "scenarios/scenario.hpp"
#include "sim/stress.hpp"

namespace twostage {

struct Design {
  std::unique_ptr<Scenario> believed;  // the scenario the mechanism is designed for
  std::unique_ptr<Expectations> expectations;
  std::unique_ptr<Mechanism> mechanism;
};

// Builds `mechanism` with `parameters` (plus fine = *fine when given) for
// the true scenario, or for stress.prior when set. Throws InputError when the
// believed scenario's type dimensions differ from the true one's.
Design design_mechanism(const Scenario& truth, const std::string& mechanism,
                        std::vector<Override> parameters, const Stress& stress,
                        std::optional<double> fine = std::nullopt);

// Limited liability for the search: wraps a mechanism so that no agent pays
// more than its deposit X, ti ≥ −X (what it cannot pay is simply not paid,
// as the ledger's shortfall in play). `inner` must outlive the wrapper.
std::unique_ptr<Mechanism> cap_by_deposit(const Mechanism& inner, double deposit);

}  // namespace twostage
