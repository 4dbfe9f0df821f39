// sim/cli.cpp: subcommands, their options and the program boundary.
//
// Every subcommand builds its whole output in memory and prints it only when
// it has finished, so an error never leaves partial results on stdout.
// Diagnostics and progress go to stderr through spdlog.
#include "sim/cli.hpp"

#include <cstdio>
#include <exception>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#include <CLI/CLI.hpp>

#include "mechanisms/registry.hpp"
#include "scenarios/error.hpp"
#include "sim/describe.hpp"
#include "sim/verify.hpp"

namespace twostage {
namespace {

constexpr int kExitBadInput = 2;
constexpr int kExitFailure = 1;

// Options every scenario-based subcommand shares.
struct ScenarioOptions {
  std::string scenario{kDefaultScenario};
  std::vector<std::string> sets;
  bool json = false;

  void add_to(CLI::App& command) {
    command.add_option("scenario", scenario, "built-in scenario name or path of a .toml file")
        ->capture_default_str();
    command.add_option("--set", sets, "override a scenario parameter: --set name=value")
        ->type_name("NAME=VALUE");
    command.add_flag("--json", json, "print JSON instead of text");
  }

  Scenario load() const {
    std::vector<Override> overrides;
    for (const std::string& s : sets)
      overrides.push_back(parse_override(s));
    return load_scenario(scenario, overrides);
  }
};

// `--mechanism-param name=value`, parsed as strictly as `--set`.
Override parse_mechanism_parameter(const std::string& text) {
  try {
    return parse_override(text);
  } catch (const InputError&) {
    throw_input_error("--mechanism-param {}: expected name=value with a finite number", text);
  }
}

std::string list_scenarios(bool as_json) {
  Json all = Json::array();
  std::string text;
  for (const BuiltinScenario& builtin : builtin_scenarios()) {
    const Scenario s = load_scenario(std::string(builtin.name));
    all.push_back(scenario_json(s));
    text += fmt::format("{}{}\n  {}\n", s.name, s.name == kDefaultScenario ? " (default)" : "",
                        s.description);
    for (const Parameter& p : s.parameters) {
      text += fmt::format("    {:<8} default {:<6} allowed {:<12} {}\n", p.name, p.default_value,
                          p.range.describe(), p.description);
    }
  }
  return as_json ? dump(all) : text;
}

void setup_logging(const std::string& level) {
  auto logger = spdlog::stderr_color_mt("twostage");
  logger->set_pattern("%^%l%$: %v");
  spdlog::set_default_logger(logger);
  spdlog::set_level(spdlog::level::from_str(level));
}

}  // namespace

int run_command_line(int argc, char** argv) {
  CLI::App app{"twostage: simulate two-stage mechanisms for bilateral trade", "twostage"};
  app.set_version_flag("--version", std::string(TWOSTAGE_VERSION));
  app.require_subcommand(1);
  std::string log_level = "info";
  app.add_option("--log-level", log_level,
                 "diagnostics on stderr: trace, debug, info, warn, error, off")
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error", "off"}))
      ->capture_default_str();

  bool scenarios_json = false;
  auto* scenarios =
      app.add_subcommand("scenarios", "list the built-in scenarios and their parameters");
  scenarios->add_flag("--json", scenarios_json, "print JSON instead of text");

  ScenarioOptions describe_options;
  std::size_t grid = 11;
  auto* describe_command = app.add_subcommand(
      "describe", "facts of an environment: sides, triviality, single crossing, W1, W2, ES");
  describe_options.add_to(*describe_command);
  describe_command->add_option("--grid", grid, "table points per type coordinate")
      ->check(CLI::Range(2, 1001))
      ->capture_default_str();

  ScenarioOptions verify_options;
  std::string mechanism{kDefaultMechanism};
  std::vector<std::string> mechanism_params;
  std::size_t verify_grid = 11;
  auto* verify_command = app.add_subcommand(
      "verify", "interim analysis on the truthful path; verdicts on EFF, BB, IIR (docs/verify.md)");
  verify_options.add_to(*verify_command);
  verify_command->add_option("--mechanism", mechanism, "mechanism to verify (groves)")
      ->capture_default_str();
  verify_command
      ->add_option("--mechanism-param", mechanism_params,
                   "set a mechanism parameter: --mechanism-param name=value (groves: split)")
      ->type_name("NAME=VALUE");
  verify_command->add_option("--grid", verify_grid, "slack-curve points per type coordinate")
      ->check(CLI::Range(2, 1001))
      ->capture_default_str();

  // CLI11 would only say that a subcommand is required; name the unknown word.
  if (argc > 1 && argv[1][0] != '-') {
    std::string known;
    bool found = false;
    for (const CLI::App* command : app.get_subcommands({})) {
      known += (known.empty() ? "" : ", ") + command->get_name();
      found = found || command->get_name() == argv[1];
    }
    if (!found) {
      std::fprintf(stderr, "error: unknown command '%s' (commands: %s)\n", argv[1], known.c_str());
      return kExitBadInput;
    }
  }

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) {  // --help or --version
      std::fputs((e.what() && *e.what() ? std::string(e.what()) + "\n" : app.help()).c_str(),
                 stdout);
      return 0;
    }
    std::fprintf(stderr, "error: %s (run 'twostage --help' for usage)\n", e.what());
    return kExitBadInput;
  }

  setup_logging(log_level);
  try {
    std::string output;
    if (*scenarios) {
      output = list_scenarios(scenarios_json);
    } else if (*describe_command) {
      const Scenario scenario = describe_options.load();
      const Description d = describe(scenario, grid);
      output = describe_options.json ? dump(to_json(d)) : to_text(d);
    } else if (*verify_command) {
      const Scenario scenario = verify_options.load();
      VerifyOptions options;
      options.mechanism = mechanism;
      for (const std::string& p : mechanism_params) {
        options.mechanism_parameters.push_back(parse_mechanism_parameter(p));
      }
      options.interim.curve_points = verify_grid;
      const Verification v = verify(scenario, options);
      output = verify_options.json ? dump(to_json(v)) : to_text(v);
    }
    std::fwrite(output.data(), 1, output.size(), stdout);
    return std::fflush(stdout) == 0 ? 0 : kExitFailure;
  } catch (const InputError& e) {
    spdlog::error("{}", e.what());
    return kExitBadInput;
  } catch (const std::exception& e) {
    spdlog::critical("internal error: {}", e.what());
    return kExitFailure;
  }
}

}  // namespace twostage
