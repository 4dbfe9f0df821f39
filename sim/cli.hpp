// sim/cli.hpp: the `twostage` command line.
#pragma once

namespace twostage {

// Parses the arguments, runs one subcommand and returns the process exit code:
// 0 on success, 2 on bad input (one line on stderr, nothing on stdout), 1 on
// an internal failure. Results are written to stdout only once complete.
int run_command_line(int argc, char** argv);

}  // namespace twostage
