// sim/monte_carlo.cpp
#include "sim/monte_carlo.hpp"

#include <algorithm>
#include <cmath>
#include <mutex>
#include <string>

#include <fmt/format.h>

namespace twostage {

double Moments::ci95() const {
  if (count < 2)
    return 0.0;
  return 1.96 * std::sqrt(variance() / count);
}

void Moments::merge(const Moments& other) {
  if (other.count == 0)
    return;
  if (count == 0) {
    *this = other;
    return;
  }
  // The other's sums moved to this shift: with y = x − s_b and d = s_b − s_a,
  // Σ(x − s_a) = Σy + n_b d and Σ(x − s_a)² = Σy² + 2dΣy + n_b d². Shifts are
  // first values, a few standard deviations apart, so nothing cancels; and
  // sums of 0/1 values stay exact integers.
  const double d = other.shift - shift;
  sum_sq += other.sum_sq + d * (2 * other.sum + other.count * d);
  sum += other.sum + other.count * d;
  count += other.count;
}

namespace {

// Every Moments member of a tally, in the one order that merging and
// serialising share; the type bins follow them.
constexpr Moments Tally::*kMoments[] = {
    &Tally::joined,     &Tally::traded,       &Tally::decision_error, &Tally::realised_surplus,
    &Tally::first_best, &Tally::surplus_lost, &Tally::imbalance,      &Tally::burned,
    &Tally::deficit,    &Tally::shortfall,    &Tally::utility1,       &Tally::utility2,
    &Tally::gain1,      &Tally::gain2};

template <typename TallyT, typename Visit>
void for_each_moments(TallyT& t, Visit visit) {
  for (Moments Tally::*m : kMoments)
    visit(t.*m);
  for (auto& b : t.bins1)
    visit(b.gain);
  for (auto& b : t.bins2)
    visit(b.gain);
}

}  // namespace

void Tally::merge(const Tally& o) {
  plays += o.plays;
  for (Moments Tally::*m : kMoments)
    (this->*m).merge(o.*m);
  max_imbalance = std::max(max_imbalance, o.max_imbalance);
  shortfall_plays += o.shortfall_plays;
  deposits += o.deposits;
  payouts += o.payouts;
  for (std::size_t k = 0; k < bins1.size(); ++k)
    bins1[k].gain.merge(o.bins1[k].gain);
  for (std::size_t k = 0; k < bins2.size(); ++k)
    bins2[k].gain.merge(o.bins2[k].gain);
}

namespace {

std::vector<TypeBin> make_bins(const TypeSpace& space, std::size_t count) {
  const double low = space.lower(0), high = space.upper(0);
  if (!(high > low))
    return {TypeBin{low, high, {}}};
  std::vector<TypeBin> bins(count);
  for (std::size_t k = 0; k < count; ++k) {
    bins[k].low = low + (high - low) * static_cast<double>(k) / static_cast<double>(count);
    bins[k].high = low + (high - low) * static_cast<double>(k + 1) / static_cast<double>(count);
  }
  return bins;
}

std::size_t bin_of(const std::vector<TypeBin>& bins, double x) {
  if (bins.size() == 1)
    return 0;
  const double low = bins.front().low, high = bins.back().high;
  const auto k =
      static_cast<std::size_t>((x - low) / (high - low) * static_cast<double>(bins.size()));
  return std::min(k, bins.size() - 1);
}

// Adds a batch's outcomes to the tally, play by play in order.
void tally_batch(const PlayBatch& b, Tally& t) {
  for (std::size_t i = 0; i < b.size; ++i) {
    const bool traded = b.traded[i] != 0;
    const double S = std::max(b.v1[i], b.v2[i]);
    const bool efficient = b.v2[i] > b.v1[i];  // x*(θ) at the true types
    const double realised = traded ? b.v2[i] : b.v1[i];
    const double sum_t = b.t1[i] + b.t2[i];
    const Settlement& s = b.settlement[i];
    // What an agent owes beyond its deposit it does not pay (the ledger
    // records it as a shortfall), so its realised transfer is ti + shortfall.
    const double U1 = b.pi1[i] + b.t1[i] + s.shortfall1;
    const double U2 = b.pi2[i] + b.t2[i] + s.shortfall2;
    t.plays += 1;
    t.joined.add(b.joined[i]);
    t.traded.add(traded);
    t.decision_error.add(traded != efficient);
    t.realised_surplus.add(realised);
    t.first_best.add(S);
    t.surplus_lost.add(S - realised);
    t.imbalance.add(sum_t);
    t.max_imbalance = std::max(t.max_imbalance, std::abs(sum_t));
    t.burned.add(s.burned);
    t.deficit.add(s.deficit);
    t.shortfall.add(s.shortfall1 + s.shortfall2);
    t.shortfall_plays += (s.shortfall1 + s.shortfall2) > 0;
    t.utility1.add(U1);
    t.utility2.add(U2);
    t.gain1.add(U1 - b.v1[i]);
    t.gain2.add(U2);
    t.bins1[bin_of(t.bins1, b.theta1[i * b.m1])].gain.add(U1 - b.v1[i]);
    t.bins2[bin_of(t.bins2, b.theta2[i * b.m2])].gain.add(U2);
  }
}

void append_records(const PlayBatch& b, std::uint64_t first_play, std::string& out) {
  for (std::size_t i = 0; i < b.size; ++i) {
    out += fmt::format("{}", first_play + i);
    for (std::size_t k = 0; k < b.m1; ++k)
      out += fmt::format(",{}", b.theta1[i * b.m1 + k]);
    for (std::size_t k = 0; k < b.m2; ++k)
      out += fmt::format(",{}", b.theta2[i * b.m2 + k]);
    out += fmt::format(",{}", int{b.joined[i]});
    for (std::size_t k = 0; k < b.m1; ++k)
      out += fmt::format(",{}", b.report1[i * b.m1 + k]);
    for (std::size_t k = 0; k < b.m2; ++k)
      out += fmt::format(",{}", b.report2[i * b.m2 + k]);
    const Settlement& s = b.settlement[i];
    out += fmt::format(",{},{},{},{},{},{},{},{},{},{},{},{}\n", b.q[i], int{b.traded[i]}, b.pi1[i],
                       b.pi2[i], b.u1_r[i], b.u2_r[i], b.t1[i], b.t2[i],
                       b.pi1[i] + b.t1[i] + s.shortfall1, b.pi2[i] + b.t2[i] + s.shortfall2,
                       s.burned - s.deficit, s.shortfall1 + s.shortfall2);
  }
}

}  // namespace

std::string records_header(std::size_t m1, std::size_t m2) {
  auto names = [](const char* stem, std::size_t m) {
    std::string out;
    for (std::size_t k = 0; k < m; ++k) {
      out += m == 1 ? fmt::format(",{}", stem) : fmt::format(",{}_{}", stem, k + 1);
    }
    return out;
  };
  return "play" + names("theta1", m1) + names("theta2", m2) + ",joined" + names("report1", m1) +
         names("report2", m2) + ",q,traded,pi1,pi2,u1_r,u2_r,t1,t2,U1,U2,burned,shortfall\n";
}

Deposits default_deposits(const Environment& env, const Mechanism& mechanism) {
  double largest = 0.0;
  for (const Type& a : env.Theta1.grid(33)) {
    for (const Type& b : env.Theta2.grid(33)) {
      largest = std::max({largest, std::abs(env.v1(a, b)), std::abs(env.v2(a, b))});
    }
  }
  const LumpSums lump = mechanism.lump_sums();
  return {4 * largest + std::abs(lump.seller.value), 4 * largest + std::abs(lump.buyer.value)};
}

MonteCarloResult run_monte_carlo(const Environment& env, const Mechanism& mechanism,
                                 const Agent& seller, const Agent& buyer,
                                 const MonteCarloOptions& options) {
  const std::uint64_t chunk = std::max<std::size_t>(options.chunk, 1);
  const std::uint64_t chunks = (options.plays + chunk - 1) / chunk;
  const auto ranks = static_cast<std::uint64_t>(std::max(options.ranks, 1));
  const auto rank = static_cast<std::uint64_t>(options.rank);
  Tally empty;
  empty.bins1 = make_bins(env.Theta1, options.type_bins);
  empty.bins2 = make_bins(env.Theta2, options.type_bins);

  MonteCarloResult result;
  result.tally = empty;
  // Chunks are played a round at a time and each round's tallies are merged
  // in chunk order before the next round starts, so memory stays bounded
  // (a tally per chunk of 1e11 plays would take gigabytes) while the merge
  // order, and so every bit of the result, stays that of chunk order. A
  // round is a multiple of the number of ranks, so chunk k of a round
  // belongs to rank k mod ranks there as in the whole run.
  const std::uint64_t round_chunks = kChunksPerRound * ranks;
  std::mutex records_mutex;
  std::atomic<std::uint64_t> plays_done{0};
  std::atomic<bool> stopped{false};
  const auto cancelled = [&] {
    return stopped.load(std::memory_order_relaxed) ||
           (options.cancel && options.cancel->load(std::memory_order_relaxed));
  };

  for (std::uint64_t round_start = 0; round_start < chunks && !stopped.load();
       round_start += round_chunks) {
    const std::uint64_t round = std::min(round_chunks, chunks - round_start);
    std::vector<Tally> tallies(round, empty);
    // Per-play records leave in play order: each chunk formats its rows, and
    // whoever finishes the next chunk due writes every ready one.
    std::vector<std::string> pending(options.records ? round : 0);
    std::vector<std::uint8_t> ready(options.records ? round : 0, 0);
    std::uint64_t next_to_write = 0;  // the round's next chunk due out

#pragma omp parallel num_threads(std::max(options.threads, 1))
    {
      PlayBatch batch;
#pragma omp for schedule(dynamic, 1)
      for (std::int64_t j = 0; j < static_cast<std::int64_t>(round); ++j) {
        const auto k = round_start + static_cast<std::uint64_t>(j);  // the chunk
        if (k % ranks != rank)
          continue;  // another process's chunk
        if (cancelled()) {
          stopped.store(true, std::memory_order_relaxed);
          continue;
        }
        Tally& tally = tallies[static_cast<std::size_t>(j)];
        const std::uint64_t first = k * chunk;
        const std::uint64_t plays = std::min<std::uint64_t>(chunk, options.plays - first);
        Streams streams{make_engine(options.seed, k, Stream::kNature),
                        make_engine(options.seed, k, Stream::kLottery),
                        make_engine(options.seed, k, Stream::kSeller),
                        make_engine(options.seed, k, Stream::kBuyer),
                        make_engine(options.seed, k, Stream::kNoise)};
        Mediator mediator(env, mechanism, options.deposits, options.observation_noise);
        std::string rows;
        for (std::uint64_t done = 0; done < plays; done += batch.size) {
          // A stopped run reports nothing, so a chunk may end half-played.
          if (cancelled()) {
            stopped.store(true, std::memory_order_relaxed);
            break;
          }
          const std::size_t n = std::min<std::uint64_t>(options.batch, plays - done);
          batch.resize(n, env.Theta1.dimension(), env.Theta2.dimension());
          mediator.play(batch, seller, buyer, streams);
          tally_batch(batch, tally);
          if (options.records)
            append_records(batch, first + done, rows);
        }
        tally.deposits = mediator.ledger().deposits();
        tally.payouts = mediator.ledger().payouts();
        if (options.records) {
          std::lock_guard lock(records_mutex);
          pending[static_cast<std::size_t>(j)] = std::move(rows);
          ready[static_cast<std::size_t>(j)] = 1;
          while (next_to_write < round && ready[next_to_write]) {
            *options.records << pending[next_to_write];
            std::string().swap(pending[next_to_write]);
            ++next_to_write;
          }
        }
        const std::uint64_t total = plays_done.fetch_add(plays) + plays;
        if (options.progress) {
          options.progress(static_cast<double>(total) / static_cast<double>(options.plays));
        }
      }
    }

    if (stopped.load())
      break;
    if (ranks > 1 && options.exchange)
      options.exchange(tallies);
    for (const Tally& t : tallies) {
      result.tally.merge(t);  // in chunk order
      if (options.record_convergence && t.plays > 0) {
        const Tally& sum = result.tally;
        result.convergence.push_back({sum.plays, sum.utility1, sum.utility2, sum.traded});
      }
    }
  }
  result.interrupted = stopped.load();
  return result;
}

std::vector<double> serialize(const Tally& t) {
  std::vector<double> out = {static_cast<double>(t.plays), t.max_imbalance,
                             static_cast<double>(t.shortfall_plays), t.deposits, t.payouts};
  for_each_moments(t, [&](const Moments& m) {
    out.insert(out.end(), {m.count, m.shift, m.sum, m.sum_sq});
  });
  return out;
}

Tally deserialize(const double* data, const Tally& shape) {
  Tally t = shape;
  t.plays = static_cast<std::uint64_t>(data[0]);
  t.max_imbalance = data[1];
  t.shortfall_plays = static_cast<std::uint64_t>(data[2]);
  t.deposits = data[3];
  t.payouts = data[4];
  std::size_t at = 5;
  for_each_moments(t, [&](Moments& m) {
    m.count = data[at];
    m.shift = data[at + 1];
    m.sum = data[at + 2];
    m.sum_sq = data[at + 3];
    at += 4;
  });
  return t;
}

}  // namespace twostage
