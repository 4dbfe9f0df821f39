// sim/design.cpp
#include "sim/design.hpp"

#include <algorithm>

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
  d.mechanism = make_mechanism(mechanism, truth.parameters_for(mechanism, std::move(parameters)),
                               believed, *d.expectations);
  return d;
}

namespace {

class DepositCapped final : public Mechanism {
 public:
  DepositCapped(const Mechanism& inner, double deposit) : inner_(inner), deposit_(deposit) {}
  std::string name() const override { return inner_.name(); }
  std::vector<MechanismParameterValue> parameters() const override { return inner_.parameters(); }
  bool two_stage() const override { return inner_.two_stage(); }
  double trade_probability(TypeView a, TypeView b) const override {
    return inner_.trade_probability(a, b);
  }
  Transfers transfers(TypeView a, TypeView b, bool traded, double u1, double u2) const override {
    const Transfers t = inner_.transfers(a, b, traded, u1, u2);
    return {std::max(t.t1, -deposit_), std::max(t.t2, -deposit_)};
  }
  void trade_probabilities(const ReportBatch& reports, double* q) const override {
    inner_.trade_probabilities(reports, q);
  }
  void transfers(const ReportBatch& reports, const std::uint8_t* traded, const double* u1,
                 const double* u2, double* t1, double* t2) const override {
    inner_.transfers(reports, traded, u1, u2, t1, t2);
    for (std::size_t i = 0; i < reports.size; ++i) {
      t1[i] = std::max(t1[i], -deposit_);
      t2[i] = std::max(t2[i], -deposit_);
    }
  }
  std::vector<std::string> notes() const override { return inner_.notes(); }
  LumpSums lump_sums() const override { return inner_.lump_sums(); }
  double transfer_error() const override { return inner_.transfer_error(); }
  double batch_transfer_error() const override { return inner_.batch_transfer_error(); }

 private:
  const Mechanism& inner_;
  double deposit_;
};

}  // namespace

std::unique_ptr<Mechanism> cap_by_deposit(const Mechanism& inner, double deposit) {
  return std::make_unique<DepositCapped>(inner, deposit);
}

}  // namespace twostage
