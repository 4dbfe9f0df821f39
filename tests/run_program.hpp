// tests/run_program.hpp: runs the twostage executable the way a user would.
#pragma once

#include <string>
#include <vector>

namespace twostage::testing {

struct ProgramResult {
  int exit_code = -1;
  std::string out;  // everything written to stdout
  std::string err;  // everything written to stderr
};

// Runs the built `twostage` with `args` (no shell involved) and captures both streams.
ProgramResult run_twostage(const std::vector<std::string>& args);

// Writes `text` to a fresh file in the test's temporary directory; returns the path.
std::string write_temp_file(const std::string& name, const std::string& text);

}  // namespace twostage::testing
