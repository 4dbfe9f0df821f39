// mechanisms/registry.hpp: mechanisms by name, with their parameters.
//
// Each mechanism registers itself from its own source file with a
// namespace-scope `const bool registered = register_mechanism({...});`, so
// adding a mechanism means adding one .cpp file to mechanisms/CMakeLists.txt.
// (The library is linked as a whole archive so that these registrations are
// not dropped by the linker; see sim/CMakeLists.txt.)
//
// Parameters are set by name (`--mechanism-param name=value` on the command
// line); each has a default and an allowed range, as scenario parameters do.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "mechanisms/mechanism.hpp"
#include "scenarios/expectation.hpp"
#include "scenarios/scenario.hpp"

namespace twostage {

struct MechanismParameterSpec {
  std::string name;
  std::string description;
  double default_value = 0.0;
  Range range;
};

// Resolved parameter values by name: every declared parameter is present.
using MechanismParameters = std::map<std::string, double>;

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
// Throws InputError for an unknown mechanism (listing the known ones), an
// unknown parameter (listing the mechanism's) or a value outside its range.
std::unique_ptr<Mechanism> make_mechanism(const std::string& name,
                                          const std::vector<Override>& overrides,
                                          const Environment& environment,
                                          const Expectations& expectations);

}  // namespace twostage
