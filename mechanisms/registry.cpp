// mechanisms/registry.cpp
#include "mechanisms/registry.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
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

std::string joined(const std::vector<std::string>& words, const char* separator) {
  std::string text;
  for (const std::string& w : words)
    text += (text.empty() ? "" : separator) + w;
  return text;
}

std::string known_names() {
  std::vector<std::string> names;
  for (const auto& [name, entry] : registry())
    names.push_back(name);
  return names.empty() ? "none" : joined(names, ", ");
}

// A numeric value typed by the user: a finite number and nothing else, as
// scenario parameters are parsed.
double parse_number(const MechanismEntry& entry, const Override& o) {
  const char* first = o.text.data();
  const char* last = first + o.text.size();
  if (first < last && *first == '+')
    ++first;
  double value = 0.0;
  const auto [end, ec] = std::from_chars(first, last, value);
  if (ec != std::errc() || end != last || !std::isfinite(value)) {
    throw_input_error("mechanism '{}' parameter {} = '{}' is not a finite number", entry.name,
                      o.name, o.text);
  }
  return value;
}

void apply_number(const MechanismEntry& entry, const MechanismParameterSpec& spec,
                  const Override& o, MechanismParameters& values) {
  const double value = o.text.empty() ? o.value : parse_number(entry, o);
  if (!std::isfinite(value) || !spec.range.contains(value)) {
    throw_input_error("mechanism '{}' parameter {} = {} is outside its range {}", entry.name,
                      o.name, value, spec.range.describe());
  }
  values.numbers[o.name] = value;
}

void apply_choice(const MechanismEntry& entry, const MechanismParameterSpec& spec,
                  const Override& o, MechanismParameters& values) {
  if (std::find(spec.choices.begin(), spec.choices.end(), o.text) == spec.choices.end()) {
    const std::string given = o.text.empty() ? fmt::format("{}", o.value) : o.text;
    throw_input_error("mechanism '{}' parameter {} = '{}' is not one of its choices ({})",
                      entry.name, o.name, given, joined(spec.choices, ", "));
  }
  values.choices[o.name] = o.text;
}

MechanismParameters resolve_parameters(const MechanismEntry& entry,
                                       const std::vector<Override>& overrides) {
  MechanismParameters values;
  for (const MechanismParameterSpec& spec : entry.parameters) {
    if (spec.categorical())
      values.choices[spec.name] = spec.default_choice;
    else
      values.numbers[spec.name] = spec.default_value;
  }
  for (const Override& o : overrides) {
    auto spec = std::find_if(entry.parameters.begin(), entry.parameters.end(),
                             [&](const MechanismParameterSpec& s) { return s.name == o.name; });
    if (spec == entry.parameters.end()) {
      std::vector<std::string> names;
      for (const auto& s : entry.parameters)
        names.push_back(s.name);
      throw_input_error("mechanism '{}' has no parameter '{}' (its parameters: {})", entry.name,
                        o.name, names.empty() ? "none" : joined(names, ", "));
    }
    if (spec->categorical())
      apply_choice(entry, *spec, o, values);
    else
      apply_number(entry, *spec, o, values);
  }
  return values;
}

}  // namespace

bool register_mechanism(MechanismEntry entry) {
  const std::string name = entry.name;
  for (const MechanismParameterSpec& spec : entry.parameters) {
    if (spec.categorical() && std::find(spec.choices.begin(), spec.choices.end(),
                                        spec.default_choice) == spec.choices.end()) {
      throw std::logic_error(
          fmt::format("mechanism '{}' parameter {}: default is not a choice", name, spec.name));
    }
  }
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
