// sim/ledger.hpp: the mediator's accounts (MODEL.md §2: deposits, then settlement).
//
// Each participant lodges a deposit Di before stage 1. At settlement its
// account holds Di + ti; it is paid that balance, or nothing when the balance
// is negative, in which case the missing amount is recorded as a shortfall
// (the agent owed more than it lodged) rather than absorbed. What the
// mediator keeps is burned; what it must add is a deficit. Money is conserved:
// deposits + deficit = payouts + burned, checked on every settlement.
#pragma once

#include <cmath>
#include <stdexcept>

namespace twostage {

struct Settlement {
  double payout1 = 0.0, payout2 = 0.0;
  double shortfall1 = 0.0, shortfall2 = 0.0;
  double burned = 0.0;   // kept by the mediator
  double deficit = 0.0;  // paid in by the mediator
};

class Ledger {
 public:
  // Settles one play: deposits D1, D2 and transfers t1, t2.
  Settlement settle(double deposit1, double deposit2, double t1, double t2) {
    Settlement s;
    const double balance1 = deposit1 + t1, balance2 = deposit2 + t2;
    s.payout1 = balance1 > 0 ? balance1 : 0.0;
    s.payout2 = balance2 > 0 ? balance2 : 0.0;
    s.shortfall1 = balance1 < 0 ? -balance1 : 0.0;
    s.shortfall2 = balance2 < 0 ? -balance2 : 0.0;
    const double cash = (deposit1 + deposit2) - (s.payout1 + s.payout2);
    s.burned = cash > 0 ? cash : 0.0;
    s.deficit = cash < 0 ? -cash : 0.0;
    // The play's own check, with the totals of every play so far.
    const double scale = deposit1 + deposit2 + std::abs(t1) + std::abs(t2);
    if (std::abs((deposit1 + deposit2 + s.deficit) - (s.payout1 + s.payout2 + s.burned)) >
        1e-12 * scale) {
      throw std::logic_error("ledger: money not conserved in a settlement");
    }
    deposits_ += deposit1 + deposit2;
    payouts_ += s.payout1 + s.payout2;
    burned_ += s.burned;
    deficit_ += s.deficit;
    shortfall_ += s.shortfall1 + s.shortfall2;
    return s;
  }

  double deposits() const { return deposits_; }
  double payouts() const { return payouts_; }
  double burned() const { return burned_; }
  double deficit() const { return deficit_; }
  double shortfall() const { return shortfall_; }
  // deposits + deficit − payouts − burned over every settlement (0 up to rounding).
  double imbalance() const { return deposits_ + deficit_ - payouts_ - burned_; }

 private:
  double deposits_ = 0.0, payouts_ = 0.0, burned_ = 0.0, deficit_ = 0.0, shortfall_ = 0.0;
};

}  // namespace twostage
