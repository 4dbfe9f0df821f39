// scenarios/scenario.hpp: named, parameterised environments and their TOML files.
//
// A scenario is an environment (MODEL.md §1) with a name, a description and
// named parameters; each parameter has a default and an allowed range and can
// be overridden (`--set name=value`). Built-in scenarios are the TOML files
// shipped in scenarios/, compiled into the program, so a built-in name and the
// path of its file load the same thing. docs/scenario-format.md documents the
// format.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "scenarios/environment.hpp"

namespace twostage {

// An interval of allowed parameter values; either end may be open or infinite.
struct Range {
  double low = -INFINITY, high = INFINITY;
  bool low_open = true, high_open = true;

  bool contains(double x) const {
    return (low_open ? x > low : x >= low) && (high_open ? x < high : x <= high);
  }
  std::string describe() const;  // "(0, 1)", "[0, inf)"
  // Parses interval notation; throws InputError on a malformed range.
  static Range parse(std::string_view text);
};

struct Parameter {
  std::string name;
  std::string description;
  double default_value = 0.0;
  double value = 0.0;
  Range range;
};

// One `--set name=value`, or one `--mechanism-param name=value`.
struct Override {
  std::string name;
  double value = 0.0;
  // The value as typed, for mechanism parameters that may name a choice
  // (mechanisms/registry.hpp); when set it takes precedence over `value`.
  // Scenario parameters are numeric and ignore it.
  std::string text = {};
};
// Parses "name=value" strictly: the value must be a finite number.
Override parse_override(std::string_view text);

struct Scenario {
  std::string name;
  std::string description;
  std::string source;  // "built-in" or the file's path
  // CRC-32 of the TOML text it was read from, so that a record made from it
  // (a sweep's manifest) can tell when the file has been edited since.
  std::uint32_t text_crc32 = 0;
  std::vector<Parameter> parameters;
  Environment environment;
  // Mechanism parameters set by the file's [mechanisms.NAME] tables, by
  // mechanism name; command-line --mechanism-param values come after them
  // and win. Checked when the mechanism is built.
  std::map<std::string, std::vector<Override>> mechanism_parameters;

  // The file's parameters for `mechanism`, followed by `command_line`.
  std::vector<Override> parameters_for(const std::string& mechanism,
                                       std::vector<Override> command_line) const;

  ParameterValues parameter_values() const;
};

struct BuiltinScenario {
  std::string_view name;
  std::string_view file;  // the shipped TOML text
};
const std::vector<BuiltinScenario>& builtin_scenarios();
inline constexpr std::string_view kDefaultScenario = "lemons";

// Loads a built-in by name, or a file when the argument names an existing
// path or ends in ".toml". Throws InputError for anything wrong.
Scenario load_scenario(const std::string& name_or_path,
                       const std::vector<Override>& overrides = {});
// Parses scenario TOML text; `origin` names it in messages.
Scenario parse_scenario(std::string_view text, const std::string& origin,
                        const std::vector<Override>& overrides = {});

}  // namespace twostage
