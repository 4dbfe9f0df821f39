// scenarios/distribution.hpp: the distribution of one continuous type coordinate.
//
// MODEL.md §1 lets each coordinate of a continuous type follow its own
// distribution on a bounded interval [low, high]; coordinates and agents are
// independent. Densities, distribution functions and quantiles come from
// Boost.Math; sampling uses Boost.Random through the quantile or a native
// Boost.Random distribution, so a stream of draws depends only on the engine.
#pragma once

#include <string>

#include <boost/random/beta_distribution.hpp>
#include <boost/random/uniform_01.hpp>

namespace twostage {

enum class DistributionKind { kUniform, kBeta, kTruncatedNormal };

class CoordinateDistribution {
 public:
  // U[low, high].
  static CoordinateDistribution uniform(double low, double high);
  // Beta(alpha, beta) scaled from [0, 1] to [low, high].
  static CoordinateDistribution beta(double alpha, double beta, double low, double high);
  // Normal(mean, sd) conditioned on [low, high].
  static CoordinateDistribution truncated_normal(double mean, double sd, double low, double high);

  DistributionKind kind() const { return kind_; }
  double low() const { return low_; }
  double high() const { return high_; }
  double alpha() const { return a_; }  // beta shape α, or the normal's mean
  double beta() const { return b_; }   // beta shape β, or the normal's sd

  double pdf(double x) const;
  double cdf(double x) const;
  double quantile(double u) const;
  double mean() const;
  // One draw; deterministic given the engine's state.
  template <typename Engine>
  double sample(Engine& engine) const {
    switch (kind_) {
      case DistributionKind::kUniform:
        return low_ + (high_ - low_) * boost::random::uniform_01<double>()(engine);
      case DistributionKind::kBeta:
        // Boost.Random draws Beta as X/(X + Y) with gamma variates, which
        // for a shape well below 1 both underflow to 0 and give 0/0; the
        // inverse transform has no such failure and is used below shape 1.
        if (a_ < 1.0 || b_ < 1.0)
          return quantile(boost::random::uniform_01<double>()(engine));
        return low_ + (high_ - low_) * boost::random::beta_distribution<double>(a_, b_)(engine);
      case DistributionKind::kTruncatedNormal:
        return quantile(boost::random::uniform_01<double>()(engine));
    }
    return low_;
  }

  // E.g. "U[0, 1]", "Beta(2, 3) on [0, 1]", "N(0.5, 0.2) truncated to [0, 1]".
  std::string describe() const;

 private:
  CoordinateDistribution(DistributionKind kind, double a, double b, double low, double high);

  DistributionKind kind_;
  double a_ = 0.0, b_ = 0.0;
  double low_, high_;
  // Truncated normal: whether it is computed through the upper tail 1 − Φ,
  // that tail function at low, and the probability of [low, high].
  bool upper_tail_ = false;
  double tail_at_low_ = 0.0, mass_ = 1.0;
};

}  // namespace twostage
