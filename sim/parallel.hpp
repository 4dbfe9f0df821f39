// sim/parallel.hpp: several processes under MPI (mpirun -np N twostage …).
//
// twostage builds with MPI when Debian's OpenMPI is installed, and without it
// otherwise; the program then always runs as one process. Under mpirun, `run`
// splits its chunks of plays across the ranks (chunk k on rank k mod N) and
// rank 0 gathers every chunk's tally and adds them in chunk order, so the
// output is byte-identical to a single process with the same seed; `sweep`
// splits its grid points the same way (point i on rank i mod N), each rank
// writing its own point files, and rank 0 assembles them. Only rank 0 prints;
// the other ranks stay silent.
#pragma once

#include <vector>

#include "sim/monte_carlo.hpp"

namespace twostage {

struct Processes {
  int rank = 0;
  int size = 1;
  int local_size = 1;  // processes on this machine, which share its cores
  bool root() const { return rank == 0; }
};

// Starts MPI when built with it and launched by mpirun; a no-op otherwise.
void start_processes(int* argc, char*** argv);
void stop_processes();
// The processes of this run (one, rank 0, before start_processes or without MPI).
const Processes& processes();

// On rank 0, fills in the tallies of the chunks other ranks played; the other
// ranks send theirs. `tallies` has one entry per chunk, in chunk order.
void exchange_tallies(std::vector<Tally>& tallies);

// Waits until every process reaches this point (nothing with one process).
void barrier();

// Whether this build can run on several processes.
bool built_with_mpi();

}  // namespace twostage
