// sim/run_command.cpp: `twostage run`.
#include "sim/run_command.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <memory>
#include <mutex>
#include <thread>

#include <spdlog/spdlog.h>
#include <CLI/CLI.hpp>

#include "agents/agent.hpp"
#include "mechanisms/registry.hpp"
#include "scenarios/error.hpp"
#include "sim/design.hpp"
#include "sim/parallel.hpp"
#include "sim/plot.hpp"
#include "sim/run.hpp"

namespace twostage {
namespace {

// Writes `text` to `path` through a temporary file in the same directory, so
// a reader never sees a half-written file.
void write_atomically(const std::filesystem::path& path, const std::string& text) {
  const auto partial = path.string() + ".partial";
  {
    std::ofstream out(partial, std::ios::binary);
    out << text;
    if (!out)
      throw_input_error("--out: cannot write '{}'", partial);
  }
  std::filesystem::rename(partial, path);
}

}  // namespace

int default_threads() {
  // Under mpirun the processes on one machine share its cores.
  const int cores = static_cast<int>(std::thread::hardware_concurrency());
  return std::max(1, cores / std::max(1, processes().local_size));
}

void RunCommand::add_to(CLI::App& command, std::vector<std::string>& mechanism_parameter_texts) {
  command.add_option("--mechanism", mechanism, "mechanism to play (docs/mechanisms.md)")
      ->capture_default_str();
  command
      .add_option("--mechanism-param", mechanism_parameter_texts,
                  "set a mechanism parameter: --mechanism-param name=value")
      ->type_name("NAME=VALUE");
  command.add_option("--plays", plays, "number of plays (at least 1)")->capture_default_str();
  command.add_option("--seed", seed, "seed of every random stream")->capture_default_str();
  command
      .add_option("--threads", threads, "worker threads (at least 1); results do not depend on it")
      ->capture_default_str();
  command
      .add_option("--seller", seller, "seller strategy, e.g. report=shift:0.1 (docs/strategies.md)")
      ->type_name("SPEC");
  command.add_option("--buyer", buyer, "buyer strategy, e.g. payoff=scale:0.5,tremble:0.01")
      ->type_name("SPEC");
  command.add_option("--out", out, "directory for run.json, slack_by_type.csv (and plays.csv)")
      ->type_name("DIR");
  command
      .add_option("--plot", plot,
                  "draw the estimates' convergence with gnuplot into DIR (convergence.png, .svg)")
      ->type_name("DIR");
  command.add_flag("--records", records, "also write every play to DIR/plays.csv (needs --out)");
  command.add_option("--bins", bins, "type bins for the slack by type")
      ->check(CLI::Range(1, 1000))
      ->capture_default_str();
  command.add_option("--deposit-seller", deposit_seller,
                     "seller's deposit (default: enough for any truthful play)");
  command
      .add_option("--stress", stress,
                  "stress test: noise:SIGMA, tremble:P, deposit:X, prior:SCENARIO, fine:F "
                  "(docs/cli.md)")
      ->type_name("SPEC");
  command.add_option("--deposit-buyer", deposit_buyer,
                     "buyer's deposit (default: enough for any truthful play)");
}

std::string RunCommand::execute(const Scenario& scenario) const {
  if (plays < 1)
    throw_input_error("--plays {}: the number of plays must be at least 1", plays);
  if (threads < 1)
    throw_input_error("--threads {}: the thread count must be at least 1", threads);
  if (records && out.empty())
    throw_input_error("--records needs --out DIR for plays.csv");
  if (!plot.empty())
    require_gnuplot();
  for (const auto& [name, value] : {std::pair{"--deposit-seller", deposit_seller},
                                    std::pair{"--deposit-buyer", deposit_buyer}}) {
    if (!std::isfinite(value))
      throw_input_error("{} {}: must be a finite number", name, value);
  }
  const Stress stressed = parse_stresses(stress);
  if (stressed.fines.size() > 1) {
    throw_input_error("--stress {}: run takes one fine; compare sweeps several", stressed.label());
  }
  const Environment& env = scenario.environment;
  const Design design = design_mechanism(
      scenario, mechanism, mechanism_parameters, stressed,
      stressed.fines.empty() ? std::nullopt : std::optional<double>(stressed.fines[0]));
  const Mechanism* mech = design.mechanism.get();
  const Agent seller_agent(1, env, stressed.apply(parse_strategy(seller)));
  const Agent buyer_agent(2, env, stressed.apply(parse_strategy(buyer)));

  RunReport report;
  report.scenario = &scenario;
  report.mechanism = mech;
  report.stress = stressed.label();
  report.seller = seller_agent.strategy();
  report.buyer = buyer_agent.strategy();
  MonteCarloOptions& o = report.options;
  o.plays = static_cast<std::uint64_t>(plays);
  o.seed = seed;
  o.threads = threads;
  o.type_bins = bins;
  o.deposits = default_deposits(env, *mech);
  if (stressed.deposit)
    o.deposits = {*stressed.deposit, *stressed.deposit};
  o.observation_noise = stressed.noise;
  const Processes& group = processes();
  if (group.size > 1) {
    if (records)
      throw_input_error("--records is not available under mpirun (one process only)");
    o.rank = group.rank;
    o.ranks = group.size;
    o.exchange = exchange_tallies;
  }
  o.record_convergence = !plot.empty();
  if (deposit_seller >= 0)
    o.deposits.seller = deposit_seller;
  if (deposit_buyer >= 0)
    o.deposits.buyer = deposit_buyer;

  // Output files go to DIR through temporary names; plays.csv is streamed to
  // its temporary name and renamed only when the run completes.
  std::filesystem::path dir;
  std::unique_ptr<std::ofstream> records_file;
  if (!out.empty()) {
    dir = out;
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    if (ec || !std::filesystem::is_directory(dir)) {
      throw_input_error("--out {}: cannot create the directory ({})", out, ec.message());
    }
    if (records) {
      records_file = std::make_unique<std::ofstream>(dir / "plays.csv.partial", std::ios::binary);
      if (!*records_file)
        throw_input_error("--out {}: cannot write plays.csv", out);
      *records_file << records_header(env.Theta1.dimension(), env.Theta2.dimension());
      o.records = records_file.get();
    }
  }

  InterruptGuard guard;
  o.cancel = &interrupt_flag();
  auto last = std::chrono::steady_clock::now();
  std::mutex progress_mutex;
  o.progress = [&](double share) {
    std::lock_guard lock(progress_mutex);
    const auto now = std::chrono::steady_clock::now();
    if (now - last < std::chrono::seconds(1) || share >= 1.0)
      return;
    last = now;
    spdlog::info("run: {:.0f}% of {} plays", 100 * share, o.plays);
  };
  report.result = run_monte_carlo(env, *mech, seller_agent, buyer_agent, o);
  if (report.result.interrupted) {
    if (records_file) {
      records_file.reset();
      std::filesystem::remove(dir / "plays.csv.partial");
    }
    throw Interrupted();
  }

  if (!group.root())
    return {};  // rank 0 holds every chunk's tally and reports
  const std::string json_text = dump(to_json(report));
  if (!out.empty()) {
    if (records_file) {
      records_file->close();
      std::filesystem::rename(dir / "plays.csv.partial", dir / "plays.csv");
    }
    write_atomically(dir / "slack_by_type.csv", slack_csv(report));
    write_atomically(dir / "run.json", json_text);
  }
  if (!plot.empty())
    plot_convergence(report, plot);
  return json ? json_text : to_text(report);
}

}  // namespace twostage
