// mechanisms/registry.hpp: mechanisms by name, with their parameters.
//
// Each mechanism registers itself from its own source file with a
// namespace-scope `const bool registered = register_mechanism({...});`, so
// adding a mechanism means adding one .cpp file to mechanisms/CMakeLists.txt.
// (The library is linked as a whole archive so that these registrations are
// not dropped by the linker; see sim/CMakeLists.txt.)
//
// Parameters are set by name (`--mechanism-param name=value` on the command
// line). A numeric parameter has a default and an allowed range, as scenario
// parameters do; its value must be a finite number. A categorical parameter
// has named choices (e.g. `trade=always|efficient`) and its value must be one
// of them. A numeric default of kDerivedDefault means "not set": the factory
// derives the value from the environment and says how in its documentation.
#pragma once

#include <cmath>
#include <limits>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "mechanisms/mechanism.hpp"
#include "scenarios/expectation.hpp"
#include "scenarios/scenario.hpp"

namespace twostage {

// The default of a numeric parameter whose value the mechanism derives from
// the environment when the user leaves it unset. No user value can equal it,
// because user values must be finite.
inline constexpr double kDerivedDefault = std::numeric_limits<double>::quiet_NaN();

struct MechanismParameterSpec {
  std::string name;
  std::string description;
  double default_value = 0.0;
  Range range;
  // Categorical parameters only: the allowed choices and the default one.
  // A parameter is categorical iff `choices` is not empty.
  std::vector<std::string> choices = {};
  std::string default_choice = {};

  bool categorical() const { return !choices.empty(); }
};

// Resolved parameter values: every declared parameter is present, numeric
// ones in `numbers` (kDerivedDefault when left unset) and categorical ones in
// `choices`.
struct MechanismParameters {
  std::map<std::string, double> numbers;
  std::map<std::string, std::string> choices;

  // The numeric parameter `name`; std::out_of_range if it is not declared.
  double at(const std::string& name) const { return numbers.at(name); }
  // Whether the numeric parameter `name` was left to be derived.
  bool derived(const std::string& name) const { return std::isnan(at(name)); }
  // The categorical parameter `name`'s choice.
  const std::string& choice(const std::string& name) const { return choices.at(name); }
};

// Builds the mechanism for one environment. The environment and its
// expectations must outlive the mechanism.
using MechanismFactory = std::unique_ptr<Mechanism> (*)(const MechanismParameters& parameters,
                                                        const Environment& environment,
                                                        const Expectations& expectations);

struct MechanismEntry {
  std::string name;
  std::string description;
  std::vector<MechanismParameterSpec> parameters;
  MechanismFactory make = nullptr;
};

inline constexpr std::string_view kDefaultMechanism = "groves";

// Adds a mechanism; returns true so it can initialise a namespace-scope
// constant. A second entry with the same name is a programming error and
// throws std::logic_error.
bool register_mechanism(MechanismEntry entry);

// All registered mechanisms, sorted by name.
std::vector<const MechanismEntry*> registered_mechanisms();

// Looks the mechanism up, applies the overrides to its defaults and builds it.
// An override's `text`, when set, is the value as typed: a numeric parameter
// parses it strictly (a finite number), a categorical one matches it against
// its choices. Without text, a numeric parameter takes `value` and a
// categorical one is an error. Throws InputError for an unknown mechanism
// (listing the known ones), an unknown parameter (listing the mechanism's), a
// number outside its range or an unknown choice (listing the allowed ones).
std::unique_ptr<Mechanism> make_mechanism(const std::string& name,
                                          const std::vector<Override>& overrides,
                                          const Environment& environment,
                                          const Expectations& expectations);

}  // namespace twostage
