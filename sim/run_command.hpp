// sim/run_command.hpp: the options of `twostage run` and their execution.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "scenarios/scenario.hpp"
#include "sim/interrupt.hpp"

namespace CLI {
class App;
}

namespace twostage {

// The number of cores, at least 1.
int default_threads();

struct RunCommand {
  std::string mechanism = "groves";
  std::vector<Override> mechanism_parameters;
  std::int64_t plays = 1'000'000;
  std::uint64_t seed = 1;
  int threads = default_threads();         // every core
  std::vector<std::string> seller, buyer;  // strategy specs
  std::string out;                         // directory for run.json, slack_by_type.csv, plays.csv
  std::string plot;                        // directory for the convergence figure (sim/plot.hpp)
  bool records = false;                    // write plays.csv
  std::size_t bins = 10;
  double deposit_seller = -1.0, deposit_buyer = -1.0;  // negative: the default deposits
  std::vector<std::string> stress;  // --stress specs, applied together (sim/stress.hpp)
  bool json = false;                // set from the scenario options' --json

  // Adds the options (not the scenario positional or --set) to `command`.
  void add_to(CLI::App& command, std::vector<std::string>& mechanism_parameter_texts);
  // Runs the plays and returns the report to print. Throws InputError for bad
  // input and Interrupted when Ctrl-C stopped the run (nothing is written).
  std::string execute(const Scenario& scenario) const;
};

}  // namespace twostage
