// sim/mediator.hpp: the mediator runs the two-stage protocol of MODEL.md §2.
//
// For a batch of plays it: lets each agent draw its type (Nature), asks each
// whether it joins, takes the deposits, collects stage-1 reports, decides
// q = x(θ^r) and draws the lottery q̂, computes each agent's realised payoff
// πi and discloses to each agent only its own (a StageTwoView), collects the
// stage-2 payoff reports, asks the mechanism for the transfers and settles
// them through the ledger. Everything is stored as arrays of the batch
// (structure of arrays): the buffers are allocated once, so a play costs no
// allocation and the mechanism is called once per batch.
#pragma once

#include <cstdint>
#include <vector>

#include "agents/agent.hpp"
#include "mechanisms/mechanism.hpp"
#include "sim/ledger.hpp"

namespace twostage {

// The outcome of a batch of plays, row-major for types.
struct PlayBatch {
  std::size_t size = 0;
  std::size_t m1 = 0, m2 = 0;
  std::vector<double> theta1, theta2;    // true types
  std::vector<std::uint8_t> joined;      // both agents took part
  std::vector<double> report1, report2;  // stage-1 reports
  std::vector<double> q;                 // trading probability x(θ^r)
  std::vector<std::uint8_t> traded;      // q̂
  std::vector<double> v1, v2;            // valuations at the true types
  std::vector<double> pi1, pi2;          // realised allocation payoffs
  std::vector<double> u1_r, u2_r;        // stage-2 payoff reports
  std::vector<double> t1, t2;            // transfers
  std::vector<Settlement> settlement;    // the ledger's entries

  void resize(std::size_t n, std::size_t seller_dimension, std::size_t buyer_dimension);
  TypeView seller_type(std::size_t i) const { return {theta1.data() + i * m1, m1}; }
  TypeView buyer_type(std::size_t i) const { return {theta2.data() + i * m2, m2}; }
};

struct Deposits {
  double seller = 0.0;
  double buyer = 0.0;
};

// The random streams of one chunk of plays (see agents/random.hpp).
struct Streams {
  Engine nature, lottery, seller, buyer, noise;
};

class Mediator {
 public:
  // `observation_noise` σ ≥ 0: each agent observes its realised payoff plus
  // an independent N(0, σ²) error (a stress test; 0 is MODEL.md §2's exact
  // observation). Utilities are always the true payoffs.
  Mediator(const Environment& environment, const Mechanism& mechanism, Deposits deposits,
           double observation_noise = 0.0);

  // Plays batch.size plays (the batch must be sized) between the two agents.
  void play(PlayBatch& batch, const Agent& seller, const Agent& buyer, Streams& streams);

  const Ledger& ledger() const { return ledger_; }

 private:
  const Environment& env_;
  const Mechanism& mechanism_;
  Deposits deposits_;
  double observation_noise_;
  Ledger ledger_;
  std::vector<std::uint8_t> seller_joins_, buyer_joins_;
  std::vector<double> observed1_, observed2_;  // what each agent sees of its payoff
};

}  // namespace twostage
