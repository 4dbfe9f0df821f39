// sim/mediator.cpp
#include "sim/mediator.hpp"

#include <boost/random/normal_distribution.hpp>
#include <boost/random/uniform_01.hpp>

namespace twostage {

void PlayBatch::resize(std::size_t n, std::size_t seller_dimension, std::size_t buyer_dimension) {
  size = n;
  m1 = seller_dimension;
  m2 = buyer_dimension;
  theta1.resize(n * m1);
  theta2.resize(n * m2);
  report1.resize(n * m1);
  report2.resize(n * m2);
  for (auto* v : {&q, &v1, &v2, &pi1, &pi2, &u1_r, &u2_r, &t1, &t2})
    v->resize(n);
  joined.resize(n);
  traded.resize(n);
  settlement.resize(n);
}

Mediator::Mediator(const Environment& environment, const Mechanism& mechanism, Deposits deposits,
                   double observation_noise)
    : env_(environment),
      mechanism_(mechanism),
      deposits_(deposits),
      observation_noise_(observation_noise) {}

void Mediator::play(PlayBatch& b, const Agent& seller, const Agent& buyer, Streams& streams) {
  const std::size_t n = b.size;
  // 1. Nature draws the types; each agent learns only its own.
  seller.draw_types(streams.nature, b.theta1.data(), n);
  buyer.draw_types(streams.nature, b.theta2.data(), n);
  for (std::size_t i = 0; i < n; ++i) {
    b.v1[i] = env_.v1(b.seller_type(i), b.buyer_type(i));
    b.v2[i] = env_.v2(b.seller_type(i), b.buyer_type(i));
  }

  // 2. Participation: the game is played only where both join.
  seller_joins_.resize(n);
  buyer_joins_.resize(n);
  seller.decide_participation(b.theta1.data(), n, seller_joins_.data());
  buyer.decide_participation(b.theta2.data(), n, buyer_joins_.data());
  for (std::size_t i = 0; i < n; ++i)
    b.joined[i] = seller_joins_[i] && buyer_joins_[i];

  // 3. Stage 1: type reports, then the decision and the lottery. The lottery
  // draws for every play so that its stream stays aligned across mechanisms.
  seller.report_types(b.theta1.data(), n, b.report1.data(), streams.seller);
  buyer.report_types(b.theta2.data(), n, b.report2.data(), streams.buyer);
  const ReportBatch reports{n, b.m1, b.m2, b.report1.data(), b.report2.data()};
  mechanism_.trade_probabilities(reports, b.q.data());
  boost::random::uniform_01<double> uniform;
  for (std::size_t i = 0; i < n; ++i) {
    const double draw = uniform(streams.lottery);
    b.traded[i] = b.joined[i] && draw < b.q[i];
  }

  // 4. Observation: πi = ui(q̂, θ) (MODEL.md §1), each disclosed to its owner only.
  for (std::size_t i = 0; i < n; ++i) {
    b.pi1[i] = b.traded[i] ? 0.0 : b.v1[i];
    b.pi2[i] = b.traded[i] ? b.v2[i] : 0.0;
  }
  const double* seen1 = b.pi1.data();
  const double* seen2 = b.pi2.data();
  if (observation_noise_ > 0) {
    boost::random::normal_distribution<double> error(0.0, observation_noise_);
    observed1_.resize(n);
    observed2_.resize(n);
    for (std::size_t i = 0; i < n; ++i) {
      observed1_[i] = b.pi1[i] + error(streams.noise);
      observed2_[i] = b.pi2[i] + error(streams.noise);
    }
    seen1 = observed1_.data();
    seen2 = observed2_.data();
  }
  const StageTwoView seller_view{n,    b.m1, b.theta1.data(), b.report1.data(), b.traded.data(),
                                 seen1};
  const StageTwoView buyer_view{n, b.m2, b.theta2.data(), b.report2.data(), b.traded.data(), seen2};

  // 5. Stage 2: payoff reports, then transfers and settlement.
  seller.report_payoffs(seller_view, b.u1_r.data(), streams.seller);
  buyer.report_payoffs(buyer_view, b.u2_r.data(), streams.buyer);
  mechanism_.transfers(reports, b.traded.data(), b.u1_r.data(), b.u2_r.data(), b.t1.data(),
                       b.t2.data());
  for (std::size_t i = 0; i < n; ++i) {
    if (!b.joined[i]) {  // no game: no deposits, no money
      b.t1[i] = b.t2[i] = 0.0;
      b.settlement[i] = Settlement{};
      continue;
    }
    b.settlement[i] = ledger_.settle(deposits_.seller, deposits_.buyer, b.t1[i], b.t2[i]);
  }
}

}  // namespace twostage
