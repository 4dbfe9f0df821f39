// agents/random.hpp: the random engine and how its streams are seeded.
//
// Every stream is a Mersenne Twister (Boost.Random's mt19937_64) seeded from
// (run seed, chunk index, stream id) through SplitMix64, so a chunk of plays
// draws the same numbers whichever thread runs it, and separate streams for
// Nature, the lottery and each agent's own randomisation keep the types and
// lotteries common across strategies (common random numbers).
#pragma once

#include <cstdint>

#include <boost/random/mersenne_twister.hpp>

namespace twostage {

using Engine = boost::random::mt19937_64;

enum class Stream : std::uint64_t {
  kNature = 0,
  kLottery = 1,
  kSeller = 2,
  kBuyer = 3,
  kNoise = 4,  // observation noise (stress tests)
};

// SplitMix64's finaliser (Steele, Lea and Flood 2014): a bijection of 64-bit
// words that spreads nearby inputs far apart.
constexpr std::uint64_t splitmix64(std::uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

inline Engine make_engine(std::uint64_t seed, std::uint64_t chunk, Stream stream) {
  const std::uint64_t key =
      splitmix64(splitmix64(seed) ^ splitmix64((chunk << 3) | static_cast<std::uint64_t>(stream)));
  return Engine(key);
}

}  // namespace twostage
