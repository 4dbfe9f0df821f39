// tests/fuzz/fuzz_scenario.cpp: any bytes as a scenario file.
//
// The loader must accept a scenario or throw InputError with a message, and
// a scenario it accepts must survive classification and its expectations:
// no crash, no undefined behaviour, no other exception.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "scenarios/error.hpp"
#include "scenarios/expectation.hpp"
#include "scenarios/facts.hpp"
#include "scenarios/scenario.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  try {
    const twostage::Scenario s = twostage::parse_scenario(text, "fuzz.toml");
    // Keep the work per input small: a few expectations and the facts.
    twostage::ExpectationOptions options;
    options.qmc_points = 64;
    options.qmc_shifts = 2;
    const twostage::Expectations e(s.environment, options);
    (void)e.ES();
    (void)twostage::classify(s.environment);
  } catch (const twostage::InputError& error) {
    if (std::string_view(error.what()).empty())
      __builtin_trap();  // messages are never empty
  }
  return 0;
}
