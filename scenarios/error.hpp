// scenarios/error.hpp: the exception type for bad input.
//
// Anything a user can get wrong (a scenario file, a parameter, a command-line
// option) is reported by throwing InputError with one line that names what is
// wrong and what is allowed. The command line catches it at the program
// boundary and exits with code 2; library code never exits the process.
#pragma once

#include <stdexcept>
#include <string>

#include <fmt/format.h>

namespace twostage {

class InputError : public std::runtime_error {
 public:
  explicit InputError(const std::string& message) : std::runtime_error(message) {}
};

// Formats the message with fmt and throws InputError.
template <typename... Args>
[[noreturn]] void throw_input_error(fmt::format_string<Args...> format, Args&&... args) {
  throw InputError(fmt::format(format, std::forward<Args>(args)...));
}

}  // namespace twostage
