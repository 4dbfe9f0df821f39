// scenarios/distribution.cpp: densities and quantiles through Boost.Math.
#include "scenarios/distribution.hpp"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>
#include <boost/math/distributions/beta.hpp>
#include <boost/math/distributions/normal.hpp>
#include <boost/math/special_functions/beta.hpp>

#include "scenarios/error.hpp"

namespace twostage {
namespace {

void require_interval(double low, double high) {
  if (!std::isfinite(low) || !std::isfinite(high)) {
    throw_input_error("interval [{}, {}] must have finite ends", low, high);
  }
  if (!(low < high)) {
    throw_input_error(
        "interval [{}, {}] is empty or inverted (need low < high; use a point type "
        "space for a single value)",
        low, high);
  }
}

}  // namespace

CoordinateDistribution::CoordinateDistribution(DistributionKind kind, double a, double b,
                                               double low, double high)
    : kind_(kind), a_(a), b_(b), low_(low), high_(high) {}

CoordinateDistribution CoordinateDistribution::uniform(double low, double high) {
  require_interval(low, high);
  return {DistributionKind::kUniform, 0.0, 0.0, low, high};
}

CoordinateDistribution CoordinateDistribution::beta(double alpha, double beta, double low,
                                                    double high) {
  require_interval(low, high);
  if (!(std::isfinite(alpha) && alpha > 0) || !(std::isfinite(beta) && beta > 0)) {
    throw_input_error("beta distribution needs alpha > 0 and beta > 0 (got alpha = {}, beta = {})",
                      alpha, beta);
  }
  return {DistributionKind::kBeta, alpha, beta, low, high};
}

CoordinateDistribution CoordinateDistribution::truncated_normal(double mean, double sd, double low,
                                                                double high) {
  require_interval(low, high);
  if (!std::isfinite(mean) || !(std::isfinite(sd) && sd > 0)) {
    throw_input_error("truncated normal needs a finite mean and sd > 0 (got mean = {}, sd = {})",
                      mean, sd);
  }
  CoordinateDistribution d(DistributionKind::kTruncatedNormal, mean, sd, low, high);
  const boost::math::normal normal(mean, sd);
  d.mass_low_ = boost::math::cdf(normal, low);
  d.mass_ = boost::math::cdf(normal, high) - d.mass_low_;
  if (!(d.mass_ > 1e-300)) {
    throw_input_error("truncated normal N({}, {}) puts no probability on [{}, {}]", mean, sd, low,
                      high);
  }
  return d;
}

double CoordinateDistribution::pdf(double x) const {
  if (x < low_ || x > high_)
    return 0.0;
  const double width = high_ - low_;
  switch (kind_) {
    case DistributionKind::kUniform:
      return 1.0 / width;
    case DistributionKind::kBeta: {
      const double z = std::clamp((x - low_) / width, 0.0, 1.0);
      return boost::math::pdf(boost::math::beta_distribution<>(a_, b_), z) / width;
    }
    case DistributionKind::kTruncatedNormal:
      return boost::math::pdf(boost::math::normal(a_, b_), x) / mass_;
  }
  return 0.0;
}

double CoordinateDistribution::pdf_at_share(double z, double zc) const {
  if (kind_ != DistributionKind::kBeta)
    return pdf(low_ + z * (high_ - low_));
  if (z <= 0 || zc <= 0)
    return 0.0;
  // z^(α−1) (1 − z)^(β−1) / B(α, β), with 1 − z taken from zc.
  return std::pow(z, a_ - 1) * std::pow(zc, b_ - 1) / (boost::math::beta(a_, b_) * (high_ - low_));
}

double CoordinateDistribution::cdf(double x) const {
  if (x <= low_)
    return 0.0;
  if (x >= high_)
    return 1.0;
  switch (kind_) {
    case DistributionKind::kUniform:
      return (x - low_) / (high_ - low_);
    case DistributionKind::kBeta:
      return boost::math::cdf(boost::math::beta_distribution<>(a_, b_),
                              (x - low_) / (high_ - low_));
    case DistributionKind::kTruncatedNormal:
      return (boost::math::cdf(boost::math::normal(a_, b_), x) - mass_low_) / mass_;
  }
  return 0.0;
}

double CoordinateDistribution::quantile(double u) const {
  u = std::clamp(u, 0.0, 1.0);
  switch (kind_) {
    case DistributionKind::kUniform:
      return low_ + u * (high_ - low_);
    case DistributionKind::kBeta:
      return low_ +
             (high_ - low_) * boost::math::quantile(boost::math::beta_distribution<>(a_, b_), u);
    case DistributionKind::kTruncatedNormal: {
      // Inverse transform on the conditioned normal; clamp against rounding.
      const double p = std::clamp(mass_low_ + u * mass_, 1e-300, 1.0 - 1e-16);
      return std::clamp(boost::math::quantile(boost::math::normal(a_, b_), p), low_, high_);
    }
  }
  return low_;
}

double CoordinateDistribution::mean() const {
  switch (kind_) {
    case DistributionKind::kUniform:
      return 0.5 * (low_ + high_);
    case DistributionKind::kBeta:
      return low_ + (high_ - low_) * a_ / (a_ + b_);
    case DistributionKind::kTruncatedNormal: {
      // E[X | low ≤ X ≤ high] = μ + σ (φ(α) − φ(β)) / (Φ(β) − Φ(α)).
      const boost::math::normal standard;
      const double alpha = (low_ - a_) / b_, beta = (high_ - a_) / b_;
      return a_ +
             b_ * (boost::math::pdf(standard, alpha) - boost::math::pdf(standard, beta)) / mass_;
    }
  }
  return low_;
}

bool CoordinateDistribution::singular_at_ends() const {
  return kind_ == DistributionKind::kBeta && (a_ < 1.0 || b_ < 1.0);
}

std::string CoordinateDistribution::describe() const {
  switch (kind_) {
    case DistributionKind::kUniform:
      return fmt::format("U[{}, {}]", low_, high_);
    case DistributionKind::kBeta:
      return fmt::format("Beta({}, {}) on [{}, {}]", a_, b_, low_, high_);
    case DistributionKind::kTruncatedNormal:
      return fmt::format("N({}, {}) truncated to [{}, {}]", a_, b_, low_, high_);
  }
  return "?";
}

}  // namespace twostage
