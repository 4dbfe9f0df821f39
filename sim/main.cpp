// sim/main.cpp: the twostage program.
#include "sim/cli.hpp"
#include "sim/parallel.hpp"

int main(int argc, char** argv) {
  twostage::start_processes(&argc, &argv);
  const int code = twostage::run_command_line(argc, argv);
  twostage::stop_processes();
  return code;
}
