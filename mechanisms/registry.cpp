// mechanisms/registry.cpp
#include "mechanisms/registry.hpp"

#include <algorithm>
#include <stdexcept>

#include <fmt/format.h>

#include "scenarios/error.hpp"

namespace twostage {
namespace {

// Function-local, so registrations from other files' static initialisers
// always find it constructed.
std::map<std::string, MechanismEntry>& registry() {
  static std::map<std::string, MechanismEntry> entries;
  return entries;
}

std::string known_names() {
  std::string names;
  for (const auto& [name, entry] : registry())
    names += (names.empty() ? "" : ", ") + name;
  return names.empty() ? "none" : names;
}

MechanismParameters resolve_parameters(const MechanismEntry& entry,
                                       const std::vector<Override>& overrides) {
  MechanismParameters values;
  for (const MechanismParameterSpec& spec : entry.parameters)
    values[spec.name] = spec.default_value;
  for (const Override& o : overrides) {
    auto spec = std::find_if(entry.parameters.begin(), entry.parameters.end(),
                             [&](const MechanismParameterSpec& s) { return s.name == o.name; });
    if (spec == entry.parameters.end()) {
      std::string names;
      for (const auto& s : entry.parameters)
        names += (names.empty() ? "" : ", ") + s.name;
      throw_input_error("mechanism '{}' has no parameter '{}' (its parameters: {})", entry.name,
                        o.name, names.empty() ? "none" : names);
    }
    if (!spec->range.contains(o.value)) {
      throw_input_error("mechanism '{}' parameter {} = {} is outside its range {}", entry.name,
                        o.name, o.value, spec->range.describe());
    }
    values[o.name] = o.value;
  }
  return values;
}

}  // namespace

bool register_mechanism(MechanismEntry entry) {
  const std::string name = entry.name;
  if (!registry().emplace(name, std::move(entry)).second) {
    throw std::logic_error(fmt::format("mechanism '{}' is registered twice", name));
  }
  return true;
}

std::vector<const MechanismEntry*> registered_mechanisms() {
  std::vector<const MechanismEntry*> entries;
  for (const auto& [name, entry] : registry())
    entries.push_back(&entry);
  return entries;
}

std::unique_ptr<Mechanism> make_mechanism(const std::string& name,
                                          const std::vector<Override>& overrides,
                                          const Environment& environment,
                                          const Expectations& expectations) {
  const auto it = registry().find(name);
  if (it == registry().end()) {
    throw_input_error("unknown mechanism '{}' (known: {})", name, known_names());
  }
  const MechanismEntry& entry = it->second;
  return entry.make(resolve_parameters(entry, overrides), environment, expectations);
}

}  // namespace twostage
