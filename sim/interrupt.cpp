// sim/interrupt.cpp: the SIGINT flag behind InterruptGuard.
#include "sim/interrupt.hpp"

#include <csignal>

namespace twostage {
namespace {

std::atomic<bool> requested{false};
std::atomic<int> depth{0};  // guards alive; only the outermost clears the flag

// Async-signal-safe: a lock-free atomic store and nothing else.
extern "C" void on_interrupt(int) {
  requested.store(true);
}

}  // namespace

InterruptGuard::InterruptGuard() {
  // An inner guard (a run inside a sweep, on any of its threads) keeps a
  // Ctrl-C already caught. Inner guards find the handler already installed
  // and put it back as they found it.
  if (depth.fetch_add(1) == 0)
    requested.store(false);
  previous_ = std::signal(SIGINT, on_interrupt);
}

InterruptGuard::~InterruptGuard() {
  std::signal(SIGINT, previous_);
  depth.fetch_sub(1);
}

std::atomic<bool>& interrupt_flag() {
  return requested;
}

}  // namespace twostage
