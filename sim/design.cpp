// sim/design.cpp
#include "sim/design.hpp"

#include "mechanisms/registry.hpp"
#include "scenarios/error.hpp"

namespace twostage {

Design design_mechanism(const Scenario& truth, const std::string& mechanism,
                        std::vector<Override> parameters, const Stress& stress,
                        std::optional<double> fine) {
  Design d;
  d.believed =
      std::make_unique<Scenario>(stress.prior.empty() ? truth : load_scenario(stress.prior));
  const Environment& believed = d.believed->environment;
  if (believed.Theta1.dimension() != truth.environment.Theta1.dimension() ||
      believed.Theta2.dimension() != truth.environment.Theta2.dimension()) {
    throw_input_error(
        "--stress prior:{}: its types have dimensions {} and {}, the scenario's {} "
        "and {} (they must match)",
        stress.prior, believed.Theta1.dimension(), believed.Theta2.dimension(),
        truth.environment.Theta1.dimension(), truth.environment.Theta2.dimension());
  }
  if (fine)
    parameters.push_back({"fine", *fine});
  d.expectations = std::make_unique<Expectations>(believed);
  d.mechanism = make_mechanism(mechanism, parameters, believed, *d.expectations);
  return d;
}

}  // namespace twostage
