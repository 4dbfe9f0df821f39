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
  // The density at the point a share z of the way from low to high, given
  // also zc = 1 − z; either may be tiny and exact, so the density stays
  // accurate right next to an end where it is unbounded.
  double pdf_at_share(double z, double zc) const;
  double cdf(double x) const;
  double quantile(double u) const;
  double mean() const;
  // True where the density is unbounded at an end of the support (beta with a
  // shape below 1): quadrature then needs the double-exponential rule.
  bool singular_at_ends() const;

  // One draw; deterministic given the engine's state.
  template <typename Engine>
  double sample(Engine& engine) const {
    switch (kind_) {
      case DistributionKind::kUniform:
        return low_ + (high_ - low_) * boost::random::uniform_01<double>()(engine);
      case DistributionKind::kBeta:
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
  double mass_low_ = 0.0, mass_ = 1.0;  // truncated normal: Φ(low), Φ(high) − Φ(low)
};

}  // namespace twostage
