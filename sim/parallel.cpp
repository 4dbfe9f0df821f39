// sim/parallel.cpp
#include "sim/parallel.hpp"

#include <cstdlib>

#ifdef TWOSTAGE_HAVE_MPI
#include <mpi.h>
#endif

namespace twostage {
namespace {

Processes current;
bool started = false;

}  // namespace

bool built_with_mpi() {
#ifdef TWOSTAGE_HAVE_MPI
  return true;
#else
  return false;
#endif
}

const Processes& processes() {
  return current;
}

void start_processes(int* argc, char*** argv) {
#ifdef TWOSTAGE_HAVE_MPI
  // Only under a launcher: a plain `twostage` must not need an MPI runtime.
  if (std::getenv("OMPI_COMM_WORLD_SIZE") == nullptr && std::getenv("PMI_SIZE") == nullptr) {
    return;
  }
  MPI_Init(argc, argv);
  started = true;
  MPI_Comm_rank(MPI_COMM_WORLD, &current.rank);
  MPI_Comm_size(MPI_COMM_WORLD, &current.size);
  MPI_Comm local;
  MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, current.rank, MPI_INFO_NULL, &local);
  MPI_Comm_size(local, &current.local_size);
  MPI_Comm_free(&local);
#else
  (void)argc;
  (void)argv;
#endif
}

void stop_processes() {
#ifdef TWOSTAGE_HAVE_MPI
  if (started)
    MPI_Finalize();
  started = false;
#endif
}

void barrier() {
#ifdef TWOSTAGE_HAVE_MPI
  if (started)
    MPI_Barrier(MPI_COMM_WORLD);
#endif
}

void exchange_tallies(std::vector<Tally>& tallies) {
#ifdef TWOSTAGE_HAVE_MPI
  if (current.size <= 1 || tallies.empty())
    return;
  const Tally& shape = tallies.front();
  const std::size_t length = serialize(shape).size();
  const auto chunks = static_cast<int>(tallies.size());
  auto owned = [&](int rank) {
    std::vector<int> ks;
    for (int k = rank; k < chunks; k += current.size)
      ks.push_back(k);
    return ks;
  };
  // This rank's chunks, flattened in chunk order.
  std::vector<double> mine;
  for (int k : owned(current.rank)) {
    const std::vector<double> flat = serialize(tallies[static_cast<std::size_t>(k)]);
    mine.insert(mine.end(), flat.begin(), flat.end());
  }
  std::vector<int> counts(static_cast<std::size_t>(current.size)),
      offsets(static_cast<std::size_t>(current.size));
  int total = 0;
  for (int r = 0; r < current.size; ++r) {
    counts[static_cast<std::size_t>(r)] = static_cast<int>(owned(r).size() * length);
    offsets[static_cast<std::size_t>(r)] = total;
    total += counts[static_cast<std::size_t>(r)];
  }
  std::vector<double> all(current.root() ? static_cast<std::size_t>(total) : 0);
  MPI_Gatherv(mine.data(), static_cast<int>(mine.size()), MPI_DOUBLE, all.data(), counts.data(),
              offsets.data(), MPI_DOUBLE, 0, MPI_COMM_WORLD);
  if (!current.root())
    return;
  for (int r = 1; r < current.size; ++r) {
    const std::vector<int> ks = owned(r);
    for (std::size_t j = 0; j < ks.size(); ++j) {
      const double* data = all.data() + offsets[static_cast<std::size_t>(r)] + j * length;
      tallies[static_cast<std::size_t>(ks[j])] = deserialize(data, shape);
    }
  }
#else
  (void)tallies;
#endif
}

}  // namespace twostage
