// scenarios/expectation.cpp
#include "scenarios/expectation.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>

#include <boost/math/quadrature/gauss_kronrod.hpp>
#include <boost/math/quadrature/tanh_sinh.hpp>
#include <boost/math/tools/roots.hpp>
#include <boost/random/sobol.hpp>

namespace twostage {
namespace {

constexpr double kEpsilon = std::numeric_limits<double>::epsilon();

// Roots in (low, high) of each gap function: a uniform scan finds sign
// changes, TOMS 748 refines each to full precision. Two roots inside one scan
// interval are missed; the adaptive quadrature then still converges, only
// more slowly, and its error estimate says so.
std::vector<double> find_cutoffs(const std::vector<TypeFunction>& kinks, double low, double high,
                                 unsigned scan) {
  std::vector<double> roots;
  double x = 0.0;
  const TypeView view(&x, 1);
  for (const TypeFunction& gap : kinks) {
    auto f = [&](double t) {
      x = t;
      return gap(view);
    };
    double left = low, f_left = f(low);
    for (unsigned i = 1; i <= scan; ++i) {
      const double right = low + (high - low) * i / scan;
      const double f_right = f(right);
      if (f_right == 0.0) {
        roots.push_back(right);  // the cut-off falls exactly on a scan point
      } else if ((f_left < 0 && f_right > 0) || (f_left > 0 && f_right < 0)) {
        std::uintmax_t iterations = 100;
        const auto [a, b] = boost::math::tools::toms748_solve(
            f, left, right, f_left, f_right, boost::math::tools::eps_tolerance<double>(52),
            iterations);
        roots.push_back(0.5 * (a + b));
      }
      left = right;
      f_left = f_right;
    }
  }
  std::sort(roots.begin(), roots.end());
  roots.erase(std::unique(roots.begin(), roots.end()), roots.end());
  return roots;
}

// Adaptive Gauss–Kronrod over [a, b], on the change of variable
// x = a + (b − a)s, s ∈ [0, 1]. Boost 1.74's adaptive rule compares the
// Gauss–Kronrod difference taken on its reference interval [−1, 1] with a
// tolerance in the piece's own units (the piece's estimate times tol), so on
// a piece of width w its test is stricter by a factor of about 2/w. A piece
// 1e-9 wide (a cut-off next to an end, as at γ2 = 1 − 1e-9) could then never
// pass and was bisected to the depth cap; nested in two further integrals,
// that made a Monte Carlo check take minutes. On s every piece has width 1.
template <typename F>
double gauss_kronrod_piece(const F& f, double a, double b, unsigned max_depth, double tolerance,
                           double* error, double* l1) {
  using Rule = boost::math::quadrature::gauss_kronrod<double, 21>;
  const double width = b - a;
  const auto on_unit = [&](double s) { return width * f(a + width * s); };
  return Rule::integrate(on_unit, 0.0, 1.0, max_depth, tolerance, error, l1);
}

// E g(θ) for one continuous coordinate, integrated over the probability
// u = F(θ) rather than over θ: E g(θ) = ∫₀¹ g(Q(u)) du with Q the quantile.
// No density appears, so the integrand stays as bounded as g is when the
// mass sits in a sliver of [low, high] (a truncated normal with a tiny sd,
// which a rule placed in θ would step over), when the density is unbounded
// at an end (beta shapes below 1), or when the interval is 1e-300 wide. For
// U[low, high] this is the same integral as in θ, rescaled. The cut-offs
// are still found in θ and break the u-range at F(cut-off).
Estimate integrate_1d(const CoordinateDistribution& dist, const TypeFunction& g,
                      const std::vector<TypeFunction>& kinks, const ExpectationOptions& options) {
  std::vector<double> breaks = {0.0};
  for (double r : find_cutoffs(kinks, dist.low(), dist.high(), options.cutoff_scan)) {
    // A cut-off within a few ulps of a neighbouring break would leave a
    // sliver narrower than the rule's node spacing, which bisection cannot
    // resolve; the kink then sits at the break to within rounding anyway.
    // (F(r) may also round onto an end when the cut-off carries no mass.)
    const double u = dist.cdf(r);
    constexpr double gap = 64 * kEpsilon;
    if (u > breaks.back() + gap && u < 1.0 - gap)
      breaks.push_back(u);
  }
  breaks.push_back(1.0);

  auto integrand = [&](double u) {
    const double t = dist.quantile(u);
    return g(TypeView(&t, 1));
  };
  // The tolerance is meant for the whole integral. A piece that carries a
  // sliver of it (a cut-off next to an end) cannot meet a relative target of
  // its own below rounding, and bisecting it to the depth limit would cost
  // millions of evaluations; so each piece gets the tolerance scaled by its
  // share of ∫|f|, estimated with one unrefined Gauss–Kronrod rule.
  const std::size_t pieces = breaks.size() - 1;
  std::vector<double> share(pieces);
  double total_l1 = 0.0;
  for (std::size_t i = 0; i < pieces; ++i) {
    double rough_error = 0.0;
    gauss_kronrod_piece(integrand, breaks[i], breaks[i + 1], 0, 0.0, &rough_error, &share[i]);
    total_l1 += share[i];
  }
  if (total_l1 <= options.absolute_tolerance) {
    Estimate rough;
    for (std::size_t i = 0; i < pieces; ++i) {
      rough.value +=
          gauss_kronrod_piece(integrand, breaks[i], breaks[i + 1], 0, 0.0, nullptr, nullptr);
    }
    rough.error = 2 * total_l1 + options.absolute_tolerance;  // |∫f| ≤ ∫|f|, with margin
    return rough;
  }
  // A beta quantile behaves like u^(1/α) at 0 and like 1 − (1 − u)^(1/β) at
  // 1, and a truncated normal's like a logarithm at an end that lies far in
  // the tail (a law 30 sd out is nearly exponential: Q(u) ≈ −ln(1 − u)/λ
  // until u is within 1e-40 of 1). Both are end-point singularities, which
  // the double-exponential rule integrates at full speed and Gauss–Kronrod
  // only by bisecting to its depth cap.
  const bool singular_ends = dist.kind() != DistributionKind::kUniform;
  Estimate total;
  for (std::size_t i = 0; i < pieces; ++i) {
    double error = 0.0, l1 = 0.0;
    double value = 0.0;
    const double tolerance =
        share[i] > 0 ? std::min(1e-3, options.relative_tolerance * total_l1 / share[i]) : 1e-3;
    if (singular_ends) {
      // Boost 1.74 declares integrate() non-const; one rule per thread keeps it safe.
      static thread_local boost::math::quadrature::tanh_sinh<double> rule;
      value = rule.integrate(integrand, breaks[i], breaks[i + 1], tolerance, &error, &l1);
    } else {
      value = gauss_kronrod_piece(integrand, breaks[i], breaks[i + 1], options.max_depth, tolerance,
                                  &error, &l1);
    }
    total.value += value;
    total.error += error + 4 * kEpsilon * l1;
  }
  return total;
}

Estimate sum_discrete(const TypeSpace& space, const TypeFunction& g) {
  Estimate total;
  double magnitude = 0.0;
  for (std::size_t k = 0; k < space.points().size(); ++k) {
    const double term = space.probabilities()[k] * g(space.points()[k]);
    total.value += term;
    magnitude += std::abs(term);
  }
  // Rounding bound of a recursive sum of n terms.
  total.error = static_cast<double>(space.points().size() + 1) * kEpsilon * magnitude;
  return total;
}

Estimate average_over_nodes(const QmcNodes& nodes, const TypeFunction& g) {
  std::vector<double> shift_means(nodes.shifts, 0.0);
  for (std::size_t s = 0; s < nodes.shifts; ++s) {
    double sum = 0.0;
    for (std::size_t i = 0; i < nodes.points; ++i)
      sum += g(nodes.node(s, i));
    shift_means[s] = sum / static_cast<double>(nodes.points);
  }
  double mean = 0.0;
  for (double m : shift_means)
    mean += m;
  mean /= static_cast<double>(nodes.shifts);
  double variance = 0.0;
  for (double m : shift_means)
    variance += (m - mean) * (m - mean);
  variance /= static_cast<double>(nodes.shifts - 1);
  return {mean, 3.0 * std::sqrt(variance / static_cast<double>(nodes.shifts))};
}

}  // namespace

std::string to_string(ExpectationMethod method) {
  switch (method) {
    case ExpectationMethod::kExact:
      return "exact";
    case ExpectationMethod::kQuadrature:
      return "quadrature";
    case ExpectationMethod::kQuasiMonteCarlo:
      return "qmc";
  }
  return "?";
}

QmcNodes make_qmc_nodes(const std::vector<CoordinateDistribution>& coordinates,
                        const ExpectationOptions& options) {
  QmcNodes nodes;
  nodes.dimension = coordinates.size();
  nodes.points = options.qmc_points;
  nodes.shifts = std::max<std::size_t>(options.qmc_shifts, 2);
  nodes.theta.resize(nodes.dimension * nodes.points * nodes.shifts);

  // One Sobol point set, reused under every shift (Cranley–Patterson rotation).
  boost::random::sobol sobol(nodes.dimension);
  const double scale = std::ldexp(1.0, -64);
  std::vector<double> unit(nodes.dimension * nodes.points);
  for (double& u : unit)
    u = (static_cast<double>(sobol()) + 0.5) * scale;

  // The shifts come from one seeded stream, in shift order.
  std::mt19937_64 engine(options.seed);
  std::vector<double> shift(nodes.dimension);
  for (std::size_t s = 0; s < nodes.shifts; ++s) {
    for (double& x : shift)
      x = std::ldexp(static_cast<double>(engine() >> 11), -53);
    for (std::size_t i = 0; i < nodes.points; ++i) {
      for (std::size_t k = 0; k < nodes.dimension; ++k) {
        double u = unit[i * nodes.dimension + k] + shift[k];
        if (u >= 1.0)
          u -= 1.0;
        nodes.theta[(s * nodes.points + i) * nodes.dimension + k] = coordinates[k].quantile(u);
      }
    }
  }
  return nodes;
}

Estimate expect(const TypeSpace& space, const TypeFunction& g,
                const std::vector<TypeFunction>& kinks, const ExpectationOptions& options,
                const QmcNodes* nodes) {
  if (space.is_discrete())
    return sum_discrete(space, g);
  if (space.dimension() == 1)
    return integrate_1d(space.coordinates()[0], g, kinks, options);
  if (nodes != nullptr && nodes->dimension == space.dimension()) {
    return average_over_nodes(*nodes, g);
  }
  return average_over_nodes(make_qmc_nodes(space.coordinates(), options), g);
}

Expectations::Expectations(const Environment& environment, ExpectationOptions options)
    : env_(environment), options_(options) {
  if (method_of(env_.Theta1) == ExpectationMethod::kQuasiMonteCarlo) {
    nodes1_ = make_qmc_nodes(env_.Theta1.coordinates(), options_);
  }
  if (method_of(env_.Theta2) == ExpectationMethod::kQuasiMonteCarlo) {
    nodes2_ = make_qmc_nodes(env_.Theta2.coordinates(), options_);
  }
}

ExpectationMethod Expectations::method_of(const TypeSpace& space) {
  if (space.is_discrete())
    return ExpectationMethod::kExact;
  return space.dimension() == 1 ? ExpectationMethod::kQuadrature
                                : ExpectationMethod::kQuasiMonteCarlo;
}

ExpectationMethod Expectations::method_of_ES() const {
  return std::max(method_over_Theta1(), method_over_Theta2());
}

Estimate Expectations::W1(TypeView theta1) const {
  // The kink of S(a, ·) is where v2 − v1 changes sign in θ2.
  const TypeFunction surplus = [&](TypeView theta2) { return env_.S(theta1, theta2); };
  const TypeFunction gap = [&](TypeView theta2) { return env_.trade_gain(theta1, theta2); };
  return expect(env_.Theta2, surplus, {gap}, options_, &nodes2_);
}

Estimate Expectations::W2(TypeView theta2) const {
  const TypeFunction surplus = [&](TypeView theta1) { return env_.S(theta1, theta2); };
  const TypeFunction gap = [&](TypeView theta1) { return env_.trade_gain(theta1, theta2); };
  return expect(env_.Theta1, surplus, {gap}, options_, &nodes1_);
}

Estimate Expectations::seller_outside_option(TypeView theta1) const {
  const TypeFunction value = [&](TypeView theta2) { return env_.v1(theta1, theta2); };
  return expect(env_.Theta2, value, {}, options_, &nodes2_);
}

Estimate Expectations::ES() const {
  const auto m1 = method_over_Theta1(), m2 = method_over_Theta2();
  // Both continuous and one multi-dimensional: RQMC over the joint type.
  if (!env_.Theta1.is_discrete() && !env_.Theta2.is_discrete() &&
      (m1 == ExpectationMethod::kQuasiMonteCarlo || m2 == ExpectationMethod::kQuasiMonteCarlo)) {
    std::vector<CoordinateDistribution> joint = env_.Theta1.coordinates();
    joint.insert(joint.end(), env_.Theta2.coordinates().begin(), env_.Theta2.coordinates().end());
    const QmcNodes nodes = make_qmc_nodes(joint, options_);
    const std::size_t d1 = env_.Theta1.dimension();
    return average_over_nodes(
        nodes, [&](TypeView theta) { return env_.S(theta.first(d1), theta.subspan(d1)); });
  }
  // Otherwise nest: the outer expectation runs over a discrete side where
  // there is one, and the inner errors add at most their largest value.
  double inner_error = 0.0;
  auto track = [&inner_error](Estimate inner) {
    inner_error = std::max(inner_error, inner.error);
    return inner.value;
  };
  if (env_.Theta2.is_discrete() && !env_.Theta1.is_discrete()) {
    const TypeFunction outer = [&](TypeView b) { return track(W2(b)); };
    Estimate es = expect(env_.Theta2, outer, {}, options_);
    es.error += inner_error;
    return es;
  }
  // Outer over Θ1. When Θ2 is an interval, W1 is smooth except where the
  // cut-off in θ2 leaves Θ2, i.e. where v2 − v1 vanishes at an end of Θ2;
  // when Θ2 is discrete, where it vanishes at a support point.
  std::vector<Type> ends;
  if (env_.Theta2.is_discrete()) {
    ends = env_.Theta2.points();
  } else {
    ends = {{env_.Theta2.lower(0)}, {env_.Theta2.upper(0)}};
  }
  std::vector<TypeFunction> kinks;
  for (const Type& b : ends) {
    kinks.push_back([this, b](TypeView a) { return env_.trade_gain(a, b); });
  }
  const TypeFunction outer = [&](TypeView a) { return track(W1(a)); };
  Estimate es = expect(env_.Theta1, outer, kinks, options_, &nodes1_);
  es.error += inner_error;  // read only after the outer integral has run
  return es;
}

}  // namespace twostage
