// sim/interrupt.cpp: the SIGINT flag behind InterruptGuard.
#include "sim/interrupt.hpp"

#include <csignal>

namespace twostage {
namespace {

std::atomic<bool> requested{false};
int depth = 0;  // guards alive; only the outermost clears the flag

// Async-signal-safe: a lock-free atomic store and nothing else.
extern "C" void on_interrupt(int) {
  requested.store(true);
}

}  // namespace

InterruptGuard::InterruptGuard() {
  // An inner guard (a run inside a sweep) keeps a Ctrl-C already caught.
  if (depth++ == 0)
    requested.store(false);
  previous_ = std::signal(SIGINT, on_interrupt);
}

InterruptGuard::~InterruptGuard() {
  std::signal(SIGINT, previous_);
  --depth;
}

std::atomic<bool>& interrupt_flag() {
  return requested;
}

}  // namespace twostage
