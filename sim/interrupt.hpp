// sim/interrupt.hpp: Ctrl-C as a request to stop at the next safe point.
//
// Long commands (run, sweep) catch SIGINT while they work: the handler only
// raises a flag, and the work polls it where stopping loses nothing (between
// batches of plays, between sweep points). The command then throws
// Interrupted, and the command line exits with code 130 after saying what
// was kept.
#pragma once

#include <atomic>
#include <stdexcept>
#include <string>

namespace twostage {

// Catches Ctrl-C for its lifetime and restores the previous handler on exit.
// The outermost guard clears the flag on entry; guards nest, also on the
// threads of the outermost one's command (a sweep's points).
class InterruptGuard {
 public:
  InterruptGuard();
  ~InterruptGuard();
  InterruptGuard(const InterruptGuard&) = delete;
  InterruptGuard& operator=(const InterruptGuard&) = delete;

 private:
  void (*previous_)(int);
};

// The flag the handler raises; Monte Carlo options take its address.
std::atomic<bool>& interrupt_flag();

// Thrown by a command that stopped on Ctrl-C. what() says what became of its
// output, for the one line the command line prints.
struct Interrupted : std::runtime_error {
  explicit Interrupted(const std::string& outcome = "nothing was written")
      : std::runtime_error(outcome) {}
};

}  // namespace twostage
