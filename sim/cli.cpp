// sim/cli.cpp: subcommands, their options and the program boundary.
//
// Every subcommand builds its whole output in memory and prints it only when
// it has finished, so an error never leaves partial results on stdout.
// Diagnostics and progress go to stderr through spdlog.
#include "sim/cli.hpp"

#include <cstdio>
#include <exception>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#include <CLI/CLI.hpp>

#include "mechanisms/registry.hpp"
#include "scenarios/error.hpp"
#include "sim/compare.hpp"
#include "sim/describe.hpp"
#include "sim/design.hpp"
#include "sim/efg.hpp"
#include "sim/game_tree.hpp"
#include "sim/parallel.hpp"
#include "sim/plot.hpp"
#include "sim/reproduce.hpp"
#include "sim/run_command.hpp"
#include "sim/search.hpp"
#include "sim/sweep.hpp"
#include "sim/verify.hpp"

namespace twostage {
namespace {

constexpr int kExitBadInput = 2;
constexpr int kExitFailure = 1;
constexpr int kExitInterrupted = 130;  // 128 + SIGINT, as shells report it

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

// `--mechanism-param name=value`. The value stays text here: the registry
// parses it as strictly as `--set` for a numeric parameter and matches it
// against the choices of a categorical one (mechanisms/registry.hpp).
Override parse_mechanism_parameter(const std::string& text) {
  const auto eq = text.find('=');
  if (eq == std::string::npos || eq == 0 || eq + 1 == text.size()) {
    throw_input_error("--mechanism-param {}: expected name=value", text);
  }
  return {.name = text.substr(0, eq), .value = 0.0, .text = text.substr(eq + 1)};
}

// compare.json and compare.csv, each through a temporary name.
void write_compare_files(const std::string& directory, const std::string& json,
                         const std::string& csv) {
  std::error_code ec;
  std::filesystem::create_directories(directory, ec);
  if (ec || !std::filesystem::is_directory(directory)) {
    throw_input_error("--out {}: cannot create the directory", directory);
  }
  for (const auto& [name, text] : {std::pair{"compare.json", &json}, {"compare.csv", &csv}}) {
    const auto path = std::filesystem::path(directory) / name;
    const auto partial = path.string() + ".partial";
    {
      std::ofstream out(partial, std::ios::binary);
      out << *text;
      if (!out)
        throw_input_error("--out {}: cannot write {}", directory, name);
    }
    std::filesystem::rename(partial, path);
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

// `twostage search`: its options beyond the scenario's.
struct SearchCommand {
  std::string mechanism{kDefaultMechanism};
  std::vector<std::string> mechanism_params;
  std::string agent{"both"};
  std::string mode{"exact"};
  std::string out_dir;
  std::string plot_dir;
  std::vector<std::string> stress;
  SearchOptions options;

  void add_to(CLI::App& command) {
    command.add_option("--mechanism", mechanism, "mechanism to search (docs/mechanisms.md)")
        ->capture_default_str();
    command.add_option("--mechanism-param", mechanism_params, "set a mechanism parameter")
        ->type_name("NAME=VALUE");
    command.add_option("--agent", agent, "whose deviations: seller, buyer or both")
        ->capture_default_str();
    command.add_option("--mode", mode, "evaluation: exact (quadrature or sums) or mc")
        ->capture_default_str();
    command.add_option("--types", options.types, "true types per coordinate")
        ->capture_default_str();
    command.add_option("--reports", options.reports, "stage-1 reports per coordinate")
        ->capture_default_str();
    command.add_option("--nodes", options.nodes, "screening nodes over the other agent's types")
        ->capture_default_str();
    command
        .add_option("--draws", options.mc_confirm_draws,
                    "mc: draws that confirm each type's best deviation (screening uses "
                    "--screen-draws)")
        ->capture_default_str();
    command
        .add_option("--screen-draws", options.mc_screen_draws, "mc: draws that screen candidates")
        ->capture_default_str();
    command.add_option("--seed", options.seed, "mc: seed of the draws")->capture_default_str();
    command
        .add_option("--stress", stress,
                    "stress test: deposit:X, prior:SCENARIO, fine:F (noise and tremble: run, "
                    "compare)")
        ->type_name("SPEC");
    command.add_option("--out", out_dir, "write the gain curve of each agent as CSV into DIR")
        ->type_name("DIR");
    command
        .add_option(
            "--plot", plot_dir,
            "draw the gain curves with gnuplot into DIR (gain.png, .svg, .gp; docs/plots.md)")
        ->type_name("DIR");
  }
};

std::string run_search(const ScenarioOptions& scenario_options, SearchCommand& command) {
  if (!command.plot_dir.empty())
    require_gnuplot();
  const Scenario scenario = scenario_options.load();
  const SearchAgent agent = parse_search_agent(command.agent);
  command.options.mode = parse_evaluation_mode(command.mode);
  std::vector<Override> parameters;
  for (const std::string& p : command.mechanism_params)
    parameters.push_back(parse_mechanism_parameter(p));
  // Stresses that change the mechanism apply; noise and trembles change how
  // the opponent plays, which the search takes as truthful and exact.
  const Stress stress = parse_stresses(command.stress);
  if (stress.noise > 0 || stress.tremble > 0) {
    throw_input_error(
        "--stress {}: search takes deposit, prior and fine stresses; noise and "
        "tremble are for run and compare",
        stress.label());
  }
  if (stress.fines.size() > 1) {
    throw_input_error("--stress {}: search takes one fine; compare sweeps several", stress.label());
  }
  const Expectations expectations(scenario.environment);
  const Design design = design_mechanism(
      scenario, command.mechanism, parameters, stress,
      stress.fines.empty() ? std::nullopt : std::optional<double>(stress.fines[0]));
  std::unique_ptr<Mechanism> capped;
  if (stress.deposit)
    capped = cap_by_deposit(*design.mechanism, *stress.deposit);
  const Mechanism& mechanism = capped ? *capped : *design.mechanism;
  const SearchResult result = search(mechanism, expectations, agent, command.options);
  if (!command.out_dir.empty())
    write_gain_curves(command.out_dir, result);
  std::string output = scenario_options.json ? dump(to_json(result)) : to_text(result);
  if (!command.plot_dir.empty())
    plot_search(result, scenario.name, command.plot_dir);
  return output;
}

// `twostage export`.
struct ExportCommand {
  std::string scenario{kDefaultScenario};
  std::vector<std::string> sets;
  std::string mechanism{kDefaultMechanism};
  std::vector<std::string> mechanism_params;
  std::string format{"efg"};
  GameTreeOptions options;

  void add_to(CLI::App& command) {
    command.add_option("scenario", scenario, "built-in scenario name or path of a .toml file")
        ->capture_default_str();
    command.add_option("--set", sets, "override a scenario parameter: --set name=value")
        ->type_name("NAME=VALUE");
    command.add_option("--mechanism", mechanism, "mechanism (docs/mechanisms.md)")
        ->capture_default_str();
    command.add_option("--mechanism-param", mechanism_params, "set a mechanism parameter")
        ->type_name("NAME=VALUE");
    command.add_option("--types", options.types, "types per agent on a continuous space")
        ->capture_default_str();
    command.add_option("--payoff-lies", options.payoff_lies, "constant stage-2 payoff reports")
        ->capture_default_str();
    command.add_option("--format", format, "output format: efg (Gambit)")->capture_default_str();
  }
};

std::string run_export(const ExportCommand& command) {
  if (command.format != "efg")
    throw_input_error("--format {}: expected efg", command.format);
  std::vector<Override> overrides, parameters;
  for (const std::string& s : command.sets)
    overrides.push_back(parse_override(s));
  for (const std::string& p : command.mechanism_params)
    parameters.push_back(parse_mechanism_parameter(p));
  const Scenario scenario = load_scenario(command.scenario, overrides);
  const Expectations expectations(scenario.environment);
  const auto mechanism =
      make_mechanism(command.mechanism, scenario.parameters_for(command.mechanism, parameters),
                     scenario.environment, expectations);
  const GameTree tree = build_game_tree(*mechanism, scenario.environment, command.options);
  return write_efg(tree, fmt::format("{} with {}", scenario.name, mechanism->name()));
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
  verify_command->add_option("--mechanism", mechanism, "mechanism to verify (docs/mechanisms.md)")
      ->capture_default_str();
  verify_command
      ->add_option("--mechanism-param", mechanism_params,
                   "set a mechanism parameter: --mechanism-param name=value (docs/mechanisms.md)")
      ->type_name("NAME=VALUE");
  verify_command->add_option("--grid", verify_grid, "slack-curve points per type coordinate")
      ->check(CLI::Range(2, 1001))
      ->capture_default_str();
  std::int64_t verify_plays = 1'000'000;
  std::uint64_t verify_seed = 1;
  int verify_threads = default_threads();
  verify_command
      ->add_option("--plays", verify_plays, "plays of the Monte Carlo cross-check (0 skips it)")
      ->capture_default_str();
  verify_command->add_option("--seed", verify_seed, "seed of the Monte Carlo cross-check")
      ->capture_default_str();
  verify_command->add_option("--threads", verify_threads, "threads of the Monte Carlo cross-check");
  std::string verify_plot;
  verify_command
      ->add_option("--plot", verify_plot,
                   "draw the slack curves with gnuplot into DIR (slack.png, .svg, .gp; "
                   "docs/plots.md)")
      ->type_name("DIR");

  ScenarioOptions search_options;
  SearchCommand search_args;
  auto* search_command = app.add_subcommand(
      "search", "best-response search over deviations: exploitability per agent (docs/search.md)");
  search_options.add_to(*search_command);
  search_args.add_to(*search_command);

  ScenarioOptions run_scenario;
  RunCommand run_args;
  std::vector<std::string> run_mechanism_params;
  auto* run_command = app.add_subcommand(
      "run", "Monte Carlo play of the two-stage game by seller and buyer agents (docs/cli.md)");
  run_scenario.add_to(*run_command);
  run_args.add_to(*run_command, run_mechanism_params);

  ScenarioOptions compare_scenario;
  std::string compare_mechanisms{kDefaultMechanism};
  std::vector<std::string> compare_stress;
  std::int64_t compare_plays = 200'000;
  std::uint64_t compare_seed = 1;
  int compare_threads = default_threads();
  std::string compare_out;
  auto* compare_command = app.add_subcommand(
      "compare", "mechanisms side by side on EFF, BB, IIR, BIC and deposits, under stress");
  compare_scenario.add_to(*compare_command);
  compare_command
      ->add_option("--mechanisms", compare_mechanisms,
                   "comma-separated list, e.g. groves,shoot-the-liar,posted-price")
      ->capture_default_str();
  compare_command
      ->add_option("--stress", compare_stress,
                   "a stress to play, repeatable: noise:SIGMA, tremble:P, deposit:X, "
                   "prior:SCENARIO, fine:F1/F2/... (a sweep)")
      ->type_name("SPEC");
  compare_command->add_option("--plays", compare_plays, "plays per mechanism and stress")
      ->capture_default_str();
  compare_command->add_option("--seed", compare_seed, "seed of the plays")->capture_default_str();
  compare_command->add_option("--threads", compare_threads,
                              "threads (results do not depend on it)");
  compare_command
      ->add_option("--out", compare_out, "also write compare.json and compare.csv to DIR")
      ->type_name("DIR");
  std::string compare_plot;
  compare_command
      ->add_option("--plot", compare_plot,
                   "draw the table as grouped bars with gnuplot into DIR (compare.png, .svg, .gp)")
      ->type_name("DIR");

  // `twostage sweep` (docs/sweep.md): one command's figures over a parameter grid.
  SweepOptions sweep_args;
  std::vector<std::string> sweep_grids, sweep_metrics_texts;
  std::string sweep_kind{"verify"};
  auto* sweep_command = app.add_subcommand(
      "sweep", "verify, run, search or compare over a grid of scenario parameters (docs/sweep.md)");
  sweep_command->add_option("scenario", sweep_args.scenario, "built-in scenario name or .toml path")
      ->required();
  sweep_command->add_option("--set", sweep_args.sets, "fix a scenario parameter: --set name=value")
      ->type_name("NAME=VALUE");
  sweep_command->add_option("--mechanism", sweep_args.mechanism, "mechanism (docs/mechanisms.md)")
      ->capture_default_str();
  sweep_command
      ->add_option("--mechanism-param", sweep_args.mechanism_parameters,
                   "set a mechanism parameter")
      ->type_name("NAME=VALUE");
  sweep_command->add_option("--grid", sweep_grids, "an axis: --grid name=low:high:count")
      ->type_name("NAME=LOW:HIGH:COUNT")
      ->required();
  sweep_command->add_option("--metrics", sweep_metrics_texts, "comma-separated columns to keep")
      ->type_name("LIST");
  sweep_command->add_option("--command", sweep_kind, "verify, run, search or compare")
      ->capture_default_str();
  sweep_command
      ->add_option("--plays", sweep_args.plays,
                   "plays per point: run, compare, and verify's Monte Carlo check (0 skips it)")
      ->capture_default_str();
  sweep_command->add_option("--seed", sweep_args.seed, "seed of every point")
      ->capture_default_str();
  sweep_command->add_option("--out", sweep_args.out, "directory of the sweep's files")
      ->type_name("DIR")
      ->required();
  sweep_args.threads = default_threads();
  sweep_command
      ->add_option("--threads", sweep_args.threads,
                   "points computed at once, one thread each (default: the cores, shared "
                   "among the processes of mpirun on this machine)")
      ->check(CLI::Range(1, 1024));
  std::string sweep_plot;
  sweep_command
      ->add_option("--plot", sweep_plot,
                   "draw each numeric metric with gnuplot into DIR: a curve over one axis, a "
                   "heatmap over two (sweep-METRIC.png, .svg, .gp; docs/plots.md)")
      ->type_name("DIR");

  std::string reproduce_target;
  ReproduceOptions reproduce_args;
  reproduce_args.scenario_directory = TWOSTAGE_SOURCE_DIR "/tests/data";
  bool reproduce_json = false;
  auto* reproduce_command = app.add_subcommand(
      "reproduce", "recompute the paper's results beside their closed forms (docs/reproduce.md)");
  reproduce_command->add_option("what", reproduce_target, "what to reproduce: paper")
      ->required()
      ->check(CLI::IsMember({"paper"}));
  reproduce_command->add_flag("--json", reproduce_json, "print JSON instead of text");
  reproduce_command
      ->add_option("--out", reproduce_args.out,
                   "write the tables (CSV, JSON) and the figures (gnuplot) into DIR")
      ->type_name("DIR");
  reproduce_command
      ->add_option("--scenarios", reproduce_args.scenario_directory,
                   "directory whose one-sided *.toml scenarios join Theorem 1")
      ->type_name("DIR")
      ->capture_default_str();
  reproduce_command
      ->add_option("--gammas", reproduce_args.gamma_points,
                   "Proposition 1: gamma values per axis, k/(N+1) for k = 1..N")
      ->check(CLI::Range(1, 99))
      ->capture_default_str();
  reproduce_command
      ->add_option("--threads", reproduce_args.threads,
                   "threads over the Proposition 1 grid (results do not depend on it)")
      ->check(CLI::Range(1, 256))
      ->capture_default_str();

  ExportCommand export_args;
  auto* export_command = app.add_subcommand(
      "export", "write the discretised game tree in Gambit's .efg format (docs/search.md)");
  export_args.add_to(*export_command);

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
  // Under mpirun only rank 0 speaks; only `run` and `sweep` split their work
  // across ranks, so the other ranks have nothing to do for any other command.
  if (!processes().root()) {
    spdlog::set_level(spdlog::level::off);
    if (!*run_command && !*sweep_command)
      return 0;
  }
  try {
    std::string output;
    if (*scenarios) {
      output = list_scenarios(scenarios_json);
    } else if (*describe_command) {
      const Scenario scenario = describe_options.load();
      const Description d = describe(scenario, grid);
      output = describe_options.json ? dump(to_json(d)) : to_text(d);
    } else if (*verify_command) {
      if (!verify_plot.empty())
        require_gnuplot();
      const Scenario scenario = verify_options.load();
      VerifyOptions options;
      options.mechanism = mechanism;
      for (const std::string& p : mechanism_params) {
        options.mechanism_parameters.push_back(parse_mechanism_parameter(p));
      }
      options.interim.curve_points = verify_grid;
      if (verify_plays < 0)
        throw_input_error("--plays {}: must be 0 (skip) or more", verify_plays);
      if (verify_threads < 1)
        throw_input_error("--threads {}: must be at least 1", verify_threads);
      options.monte_carlo.plays = static_cast<std::uint64_t>(verify_plays);
      options.monte_carlo.seed = verify_seed;
      options.monte_carlo.threads = verify_threads;
      const Verification v = verify(scenario, options);
      output = verify_options.json ? dump(to_json(v)) : to_text(v);
      if (!verify_plot.empty())
        plot_verification(v, verify_plot);
    }
    if (*search_command)
      output = run_search(search_options, search_args);
    if (*run_command) {
      for (const std::string& p : run_mechanism_params) {
        run_args.mechanism_parameters.push_back(parse_mechanism_parameter(p));
      }
      run_args.json = run_scenario.json;
      output = run_args.execute(run_scenario.load());
    }
    if (*compare_command) {
      if (compare_plays < 1)
        throw_input_error("--plays {}: must be at least 1", compare_plays);
      if (compare_threads < 1)
        throw_input_error("--threads {}: must be at least 1", compare_threads);
      CompareOptions options;
      for (std::size_t start = 0; start <= compare_mechanisms.size();) {
        const auto comma = compare_mechanisms.find(',', start);
        const std::string name = compare_mechanisms.substr(
            start, comma == std::string::npos ? std::string::npos : comma - start);
        if (!name.empty())
          options.mechanisms.push_back(name);
        start = comma == std::string::npos ? compare_mechanisms.size() + 1 : comma + 1;
      }
      for (const std::string& spec : compare_stress)
        options.stresses.push_back(parse_stress(spec));
      options.plays = static_cast<std::uint64_t>(compare_plays);
      options.seed = compare_seed;
      options.threads = compare_threads;
      if (!compare_plot.empty())
        require_gnuplot();
      const Scenario scenario = compare_scenario.load();
      const Comparison comparison = compare(scenario, options);
      const std::string json_text = dump(to_json(comparison));
      if (!compare_out.empty())
        write_compare_files(compare_out, json_text, to_csv(comparison));
      output = compare_scenario.json ? json_text : to_text(comparison);
      if (!compare_plot.empty())
        plot_comparison(comparison, compare_plot);
    }
    if (*sweep_command) {
      sweep_args.kind = parse_sweep_kind(sweep_kind);
      for (const std::string& g : sweep_grids)
        sweep_args.grids.push_back(parse_grid_axis(g));
      for (const std::string& list : sweep_metrics_texts) {
        std::stringstream names(list);
        for (std::string name; std::getline(names, name, ',');)
          if (!name.empty())
            sweep_args.metrics.push_back(name);
      }
      if (!sweep_plot.empty()) {
        require_gnuplot();
        require_plottable_sweep(sweep_args.grids.size());
      }
      const Sweep sweep(sweep_args);
      const SweepSummary s = run_sweep(sweep);
      if (processes().root()) {
        if (!sweep_plot.empty())
          plot_sweep(sweep, s.records, sweep_plot);
        output =
            fmt::format("sweep: {} points ({} computed, {} resumed): {}/sweep.csv, sweep.json\n",
                        s.points, s.computed, s.resumed, sweep_args.out);
      }
    }
    if (*export_command)
      output = run_export(export_args);
    if (*reproduce_command) {
      if (!reproduce_args.out.empty())
        require_gnuplot("--out");
      const Reproduction reproduction = reproduce_paper(reproduce_args);
      output = reproduce_json ? dump(to_json(reproduction)) : to_text(reproduction);
      if (!reproduce_args.out.empty())
        write_reproduction(reproduction, reproduce_args.out);
    }
    std::fwrite(output.data(), 1, output.size(), stdout);
    return std::fflush(stdout) == 0 ? 0 : kExitFailure;
  } catch (const InputError& e) {
    spdlog::error("{}", e.what());
    return kExitBadInput;
  } catch (const Interrupted& e) {
    spdlog::error("interrupted: {}", e.what());
    return kExitInterrupted;
  } catch (const std::exception& e) {
    spdlog::critical("internal error: {}", e.what());
    return kExitFailure;
  }
}

}  // namespace twostage
