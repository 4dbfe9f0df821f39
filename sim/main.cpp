// sim/main.cpp: the twostage program.
#include "sim/cli.hpp"

int main(int argc, char** argv) {
  return twostage::run_command_line(argc, argv);
}
