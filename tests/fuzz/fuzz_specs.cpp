// tests/fuzz/fuzz_specs.cpp: any bytes as a command-line value.
//
// The parsers of `--set`, strategies, stresses and parameter ranges must
// return a value or throw InputError with a message.
#include <cstddef>
#include <cstdint>
#include <string>

#include "agents/strategy.hpp"
#include "scenarios/error.hpp"
#include "scenarios/scenario.hpp"
#include "sim/stress.hpp"

namespace {

template <typename Parse>
void must_not_crash(Parse parse) {
  try {
    parse();
  } catch (const twostage::InputError& error) {
    if (std::string(error.what()).empty())
      __builtin_trap();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  must_not_crash([&] { (void)twostage::parse_override(text); });
  must_not_crash([&] { (void)twostage::parse_strategy({text}).describe(); });
  must_not_crash([&] { (void)twostage::parse_stress(text).label(); });
  must_not_crash([&] { (void)twostage::Range::parse(text).describe(); });
  return 0;
}
