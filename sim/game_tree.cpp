// sim/game_tree.cpp
#include "sim/game_tree.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <numeric>
#include <tuple>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "scenarios/error.hpp"

namespace twostage {
namespace {

// Probabilities are written as fractions over this denominator (reduced),
// so that the chance probabilities of every node sum to exactly 1 in the
// file; decimal probabilities of up to nine digits are kept exactly.
constexpr std::int64_t kProbabilityDenominator = 1'000'000'000;
// Realised payoffs that agree to this share of the payoff scale are the
// same observation: they fall in one information set.
constexpr double kPayoffResolution = 1e-12;
// Two action values within this share of the payoff scale tie.
constexpr double kTieTolerance = 1e-10;
// Per node: its properties, its out-edge list and one edge (every node but
// the root has exactly one parent), plus allocator overhead.
constexpr double kBytesPerNode =
    sizeof(TreeNode) + sizeof(std::vector<int>) + sizeof(TreeEdge) + 2 * sizeof(void*) + 16;

Fraction reduce(std::int64_t numerator, std::int64_t denominator) {
  const std::int64_t g = std::gcd(numerator, denominator);
  return g == 0 ? Fraction{0, 1} : Fraction{numerator / g, denominator / g};
}

// Fractions over a common denominator that sum to exactly 1; the largest
// probability absorbs the rounding.
std::vector<Fraction> exact_probabilities(const std::vector<double>& p) {
  std::vector<std::int64_t> n(p.size());
  std::int64_t total = 0;
  for (std::size_t k = 0; k < p.size(); ++k) {
    n[k] = std::llround(p[k] * static_cast<double>(kProbabilityDenominator));
    total += n[k];
  }
  const auto largest = std::max_element(n.begin(), n.end());
  *largest += kProbabilityDenominator - total;
  std::vector<Fraction> out;
  for (std::int64_t x : n)
    out.push_back(reduce(x, kProbabilityDenominator));
  return out;
}

// The discretised type space: a finite space as it is; a continuous one at
// the quantile midpoints of K equal-probability cells per coordinate, each
// point with probability exactly 1/K^m.
void discretise(const TypeSpace& space, std::size_t K, std::vector<Type>& types,
                std::vector<Fraction>& probabilities) {
  if (space.is_discrete()) {
    types = space.points();
    probabilities = exact_probabilities(space.probabilities());
    return;
  }
  const std::size_t m = space.dimension();
  std::vector<std::size_t> index(m, 0);
  const auto count = static_cast<std::int64_t>(std::pow(static_cast<double>(K), m));
  while (true) {
    Type theta(m);
    for (std::size_t k = 0; k < m; ++k) {
      const double u = (static_cast<double>(index[k]) + 0.5) / static_cast<double>(K);
      theta[k] = space.coordinates()[k].quantile(u);
    }
    types.push_back(std::move(theta));
    probabilities.push_back({1, count});
    std::size_t k = m;
    while (k > 0 && ++index[k - 1] == K)
      index[--k] = 0;
    if (k == 0)
      break;
  }
}

// The constant stage-2 reports: the ends of Πi = [min(0, min vi), max(0, max vi)]
// over the discretised profiles, then evenly spaced interior points.
std::vector<double> payoff_lies(const Valuation& v, const std::vector<Type>& types1,
                                const std::vector<Type>& types2, std::size_t count) {
  double low = 0.0, high = 0.0;
  for (const Type& a : types1) {
    for (const Type& b : types2) {
      low = std::min(low, v(a, b));
      high = std::max(high, v(a, b));
    }
  }
  std::vector<double> lies;
  for (std::size_t m = 0; m < count; ++m) {
    const double share = count == 1 ? 1.0 : static_cast<double>(m) / static_cast<double>(count - 1);
    lies.push_back(low + share * (high - low));
  }
  std::sort(lies.begin(), lies.end());
  lies.erase(std::unique(lies.begin(), lies.end()), lies.end());
  return lies;
}

std::string number(double x) {
  return fmt::format("{:.10g}", x);
}

double checked_product(std::initializer_list<double> factors) {
  double p = 1.0;
  for (double f : factors)
    p *= f;
  return p;
}

}  // namespace

std::string GameTree::type_label(int agent, std::uint32_t index) const {
  const Type& theta = agent == 1 ? types1[index] : types2[index];
  if (theta.size() == 1)
    return number(theta[0]);
  std::vector<std::string> parts;
  for (double x : theta)
    parts.push_back(number(x));
  return fmt::format("({})", fmt::join(parts, ","));
}

std::vector<std::string> GameTree::actions(TreeVertex v) const {
  const TreeNode& node = graph[v];
  std::vector<std::string> out;
  switch (node.move) {
    case Move::kNatureSeller:
    case Move::kNatureBuyer: {
      const int agent = node.move == Move::kNatureSeller ? 1 : 2;
      const std::size_t n = agent == 1 ? types1.size() : types2.size();
      for (std::uint32_t k = 0; k < n; ++k)
        out.push_back(fmt::format("theta{}={}", agent, type_label(agent, k)));
      return out;
    }
    case Move::kLottery:
      for (auto [e, end] = boost::out_edges(v, graph); e != end; ++e)
        out.push_back(graph[*e].action == 1 ? "trade" : "no trade");
      return out;
    case Move::kEnd:
      return out;
    default:
      return infosets[node.infoset].actions;
  }
}

TreeSize game_tree_size(const Mechanism& mechanism, const Environment& env,
                        const GameTreeOptions& options) {
  if (options.types == 0)
    throw_input_error("--types 0: the game tree needs at least 1 type per agent");
  std::vector<Type> t1, t2;
  std::vector<Fraction> p1, p2;
  const auto per_space = [&](const TypeSpace& space) {
    return space.is_discrete() ? static_cast<double>(space.points().size())
                               : std::pow(static_cast<double>(options.types), space.dimension());
  };
  const double K1 = per_space(env.Theta1), K2 = per_space(env.Theta2);
  const double A1 = mechanism.two_stage() ? 1.0 + static_cast<double>(options.payoff_lies) : 1.0;
  const double A2 = A1;
  // Before asking the mechanism, an upper bound with both lottery branches:
  // refuse early when even the profiles of reports are too many to scan.
  const double profiles = checked_product({K1, K2, K1, K2});
  const double bound = 1 + K1 + K1 * K2 + K1 * K1 * K2 + profiles * (1 + 2 * (1 + A1 + A1 * A2));
  if (bound * kBytesPerNode <= static_cast<double>(options.memory_budget) || profiles > 1e9)
    return {bound, bound * kBytesPerNode};
  // The exact count: a lottery branch exists only where its probability is positive.
  discretise(env.Theta1, options.types, t1, p1);
  discretise(env.Theta2, options.types, t2, p2);
  double branches = 0.0;
  for (const Type& a : t1) {
    for (const Type& b : t2) {
      const double x = mechanism.trade_probability(a, b);
      branches += (x > 0.0 ? 1.0 : 0.0) + (x < 1.0 ? 1.0 : 0.0);
    }
  }
  const double nodes =
      1 + K1 + K1 * K2 + K1 * K1 * K2 + profiles + K1 * K2 * branches * (1 + A1 + A1 * A2);
  return {nodes, nodes * kBytesPerNode};
}

GameTree build_game_tree(const Mechanism& mechanism, const Environment& env,
                         const GameTreeOptions& options) {
  const TreeSize size = game_tree_size(mechanism, env, options);
  if (size.bytes > static_cast<double>(options.memory_budget)) {
    throw_input_error(
        "--types {}: the game tree would have {:.3g} nodes and need about {:.3g} GB; the budget "
        "is {:.3g} GB",
        options.types, size.nodes, size.bytes / 1e9,
        static_cast<double>(options.memory_budget) / 1e9);
  }
  GameTree tree;
  discretise(env.Theta1, options.types, tree.types1, tree.probabilities1);
  discretise(env.Theta2, options.types, tree.types2, tree.probabilities2);
  const bool two_stage = mechanism.two_stage();
  if (two_stage) {
    tree.lies1 = payoff_lies(env.v1, tree.types1, tree.types2, options.payoff_lies);
    tree.lies2 = payoff_lies(env.v2, tree.types1, tree.types2, options.payoff_lies);
  }
  const auto K1 = static_cast<std::uint32_t>(tree.types1.size());
  const auto K2 = static_cast<std::uint32_t>(tree.types2.size());
  double scale = 1.0;
  for (const Type& a : tree.types1) {
    for (const Type& b : tree.types2)
      scale = std::max({scale, std::abs(env.v1(a, b)), std::abs(env.v2(a, b))});
  }

  // Information sets, created on first use and keyed by what the player knows.
  std::map<std::tuple<int, int, std::uint32_t, std::uint32_t, int, long long>, std::uint32_t> ids;
  std::array<std::uint32_t, 3> per_player = {0, 0, 0};
  const auto infoset = [&](int player, Move move, std::uint32_t theta, std::uint32_t report,
                           int traded, double pi) {
    const long long key_pi = move == Move::kPayoffSeller || move == Move::kPayoffBuyer
                                 ? std::llround(pi / (kPayoffResolution * scale))
                                 : 0;
    const auto key = std::tuple{player, static_cast<int>(move), theta, report, traded, key_pi};
    const auto [it, inserted] =
        ids.try_emplace(key, static_cast<std::uint32_t>(tree.infosets.size()));
    if (!inserted)
      return it->second;
    InfoSet set;
    set.player = player;
    set.move = move;
    set.number = ++per_player[static_cast<std::size_t>(player)];
    const char* who = player == 1 ? "seller" : "buyer";
    const std::string type = tree.type_label(player, theta);
    if (move == Move::kReportSeller || move == Move::kReportBuyer) {
      set.label = fmt::format("{} type {}", who, type);
      const std::uint32_t n = player == 1 ? K1 : K2;
      for (std::uint32_t k = 0; k < n; ++k)
        set.actions.push_back(fmt::format("report {}", tree.type_label(player, k)));
      set.truthful_action = theta;
    } else {
      set.label =
          fmt::format("{} type {} reported {} {} payoff {}", who, type,
                      tree.type_label(player, report), traded ? "trade" : "no trade", number(pi));
      set.pi = pi;
      set.actions.push_back("truth");
      for (double c : player == 1 ? tree.lies1 : tree.lies2)
        set.actions.push_back(fmt::format("report {}", number(c)));
      set.truthful_action = 0;
    }
    tree.infosets.push_back(std::move(set));
    return it->second;
  };

  // Nodes are created layer by layer; vertex ids follow creation order.
  TreeGraph& g = tree.graph;
  const auto add = [&](const TreeNode& node) {
    const TreeVertex v = boost::add_vertex(node, g);
    ++tree.layers_nodes[static_cast<int>(node.move)];
    return v;
  };
  const auto link = [&](TreeVertex parent, TreeVertex child, std::uint32_t action, Fraction p) {
    boost::add_edge(parent, child, TreeEdge{action, p}, g);
  };
  tree.root = add(TreeNode{.move = Move::kNatureSeller});
  std::vector<TreeVertex> layer = {tree.root}, next;
  for (int depth = 0; depth < 7; ++depth) {
    next.clear();
    for (TreeVertex v : layer) {
      const TreeNode node = g[v];
      TreeNode child = node;
      switch (node.move) {
        case Move::kNatureSeller:
          child.move = Move::kNatureBuyer;
          for (std::uint32_t a = 0; a < K1; ++a) {
            child.theta1 = a;
            next.push_back(add(child));
            link(v, next.back(), a, tree.probabilities1[a]);
          }
          break;
        case Move::kNatureBuyer:
          child.move = Move::kReportSeller;
          child.player = 1;
          for (std::uint32_t b = 0; b < K2; ++b) {
            child.theta2 = b;
            child.infoset = infoset(1, Move::kReportSeller, node.theta1, 0, 0, 0.0);
            next.push_back(add(child));
            link(v, next.back(), b, tree.probabilities2[b]);
          }
          break;
        case Move::kReportSeller:
          child.move = Move::kReportBuyer;
          child.player = 2;
          child.infoset = infoset(2, Move::kReportBuyer, node.theta2, 0, 0, 0.0);
          for (std::uint32_t r = 0; r < K1; ++r) {
            child.r1 = r;
            next.push_back(add(child));
            link(v, next.back(), r, {});
          }
          break;
        case Move::kReportBuyer:
          child.move = Move::kLottery;
          child.player = 0;
          for (std::uint32_t r = 0; r < K2; ++r) {
            child.r2 = r;
            next.push_back(add(child));
            link(v, next.back(), r, {});
          }
          break;
        case Move::kLottery: {
          const Type &a = tree.types1[node.theta1], &b = tree.types2[node.theta2];
          const double x = mechanism.trade_probability(tree.types1[node.r1], tree.types2[node.r2]);
          const std::vector<Fraction> p = exact_probabilities({1.0 - x, x});
          child.move = Move::kPayoffSeller;
          child.player = 1;
          for (std::uint8_t q = 0; q < 2; ++q) {
            if (p[q].numerator == 0)
              continue;
            const RealisedPayoffs pay = realised_payoffs(env, a, b, q == 1);
            child.traded = q;
            child.pi1 = pay.pi1;
            child.pi2 = pay.pi2;
            child.infoset = two_stage
                                ? infoset(1, Move::kPayoffSeller, node.theta1, node.r1, q, pay.pi1)
                                : infoset(1, Move::kPayoffSeller, node.theta1, node.r1, q, 0.0);
            next.push_back(add(child));
            link(v, next.back(), q, p[q]);
          }
          break;
        }
        case Move::kPayoffSeller:
        case Move::kPayoffBuyer: {
          const bool seller = node.move == Move::kPayoffSeller;
          child.move = seller ? Move::kPayoffBuyer : Move::kEnd;
          child.player = seller ? 2 : 0;
          if (seller) {
            child.infoset = infoset(2, Move::kPayoffBuyer, node.theta2, node.r2, node.traded,
                                    two_stage ? node.pi2 : 0.0);
          }
          const std::size_t actions = tree.infosets[node.infoset].actions.size();
          for (std::uint32_t k = 0; k < actions; ++k) {
            TreeNode c = child;
            if (seller) {
              c.a1 = k;
            } else {
              // The terminal payoffs: the history's reports fix the transfers.
              c.a2 = k;
              const double u1 = node.a1 == 0 ? node.pi1 : tree.lies1[node.a1 - 1];
              const double u2 = k == 0 ? node.pi2 : tree.lies2[k - 1];
              const Transfers t = mechanism.transfers(tree.types1[node.r1], tree.types2[node.r2],
                                                      node.traded == 1, u1, u2);
              c.payoff1 = node.pi1 + t.t1;
              c.payoff2 = node.pi2 + t.t2;
            }
            next.push_back(add(c));
            link(v, next.back(), k, {});
          }
          break;
        }
        case Move::kEnd:
          break;
      }
    }
    layer.swap(next);
  }
  return tree;
}

TreeBestResponse best_response(const GameTree& tree, int agent) {
  const TreeGraph& g = tree.graph;
  const std::size_t n = boost::num_vertices(g);
  TreeBestResponse result;
  result.agent = agent;
  const int opponent = 3 - agent;

  // Top-down: the probability that nature and the truthful opponent reach
  // each node (vertex ids follow the layers, so parents come first).
  std::vector<double> reach(n, 0.0);
  std::vector<std::vector<TreeVertex>> layers(8);
  reach[tree.root] = 1.0;
  for (TreeVertex v = 0; v < n; ++v) {
    const TreeNode& node = g[v];
    layers[static_cast<std::size_t>(node.move)].push_back(v);
    for (auto [e, end] = boost::out_edges(v, g); e != end; ++e) {
      const TreeVertex child = boost::target(*e, g);
      double p = 1.0;
      if (node.player == 0 && node.move != Move::kEnd) {
        p = g[*e].probability.value();
      } else if (node.player == opponent) {
        p = g[*e].action == tree.infosets[node.infoset].truthful_action ? 1.0 : 0.0;
      }
      reach[child] = reach[v] * p;
    }
  }

  // Bottom-up: values under the best response and under full truth.
  std::vector<double> best(n, 0.0), truth(n, 0.0);
  std::vector<std::vector<double>> Q(tree.infosets.size()), Qu(tree.infosets.size());
  std::vector<double> weight(tree.infosets.size(), 0.0);
  std::vector<std::size_t> members(tree.infosets.size(), 0);
  std::vector<std::size_t> chosen(tree.infosets.size(), 0);
  double scale = 1.0;
  for (TreeVertex v : layers[static_cast<std::size_t>(Move::kEnd)])
    scale = std::max({scale, std::abs(g[v].payoff1), std::abs(g[v].payoff2)});
  const double tolerance = kTieTolerance * scale;

  for (int layer = 7; layer >= 0; --layer) {
    const std::vector<TreeVertex>& nodes = layers[static_cast<std::size_t>(layer)];
    // Agent i's information sets on this layer: sum the action values first.
    for (TreeVertex v : nodes) {
      const TreeNode& node = g[v];
      if (node.move == Move::kEnd || node.player != agent)
        continue;
      auto& q = Q[node.infoset];
      auto& qu = Qu[node.infoset];
      const std::size_t actions = tree.infosets[node.infoset].actions.size();
      q.resize(actions, 0.0);
      qu.resize(actions, 0.0);
      for (auto [e, end] = boost::out_edges(v, g); e != end; ++e) {
        const double value = best[boost::target(*e, g)];
        q[g[*e].action] += reach[v] * value;
        qu[g[*e].action] += value;
      }
      weight[node.infoset] += reach[v];
      ++members[node.infoset];
    }
    for (TreeVertex v : nodes) {
      const TreeNode& node = g[v];
      ++result.nodes_visited;
      if (node.move == Move::kEnd) {
        best[v] = truth[v] = agent == 1 ? node.payoff1 : node.payoff2;
        continue;
      }
      double b = 0.0, t = 0.0;
      const std::size_t truthful =
          node.player == 0 ? 0 : tree.infosets[node.infoset].truthful_action;
      if (node.player == agent && Q[node.infoset].size() > 0 && members[node.infoset] > 0) {
        // Decide once per information set, on its first node of the pass.
        const std::uint32_t I = node.infoset;
        const std::vector<double>& values = weight[I] > 0.0 ? Q[I] : Qu[I];
        std::size_t arg = truthful;
        for (std::size_t a = 0; a < values.size(); ++a) {
          if (values[a] > values[arg] + 0.0)
            arg = a;
        }
        chosen[I] = arg;
        const double norm = weight[I] > 0.0 ? weight[I] : static_cast<double>(members[I]);
        InfoSetRegret regret{
            I, weight[I], weight[I] > 0.0, arg, (values[arg] - values[truthful]) / norm, false};
        const InfoSet& set = tree.infosets[I];
        if (set.move == Move::kPayoffSeller || set.move == Move::kPayoffBuyer) {
          const std::vector<double>& lies = agent == 1 ? tree.lies1 : tree.lies2;
          for (std::size_t a = 1; a < values.size(); ++a) {
            const bool differs = std::abs(lies[a - 1] - set.pi) > tolerance;
            if (differs && std::abs(values[a] - values[truthful]) <= tolerance * norm &&
                regret.regret <= tolerance)
              regret.truth_tied = true;
          }
          result.stage2_indifferent = result.stage2_indifferent || regret.truth_tied;
        }
        result.regrets.push_back(regret);
        members[I] = 0;  // decided
      }
      for (auto [e, end] = boost::out_edges(v, g); e != end; ++e) {
        const TreeVertex child = boost::target(*e, g);
        const std::uint32_t action = g[*e].action;
        if (node.player == 0) {
          const double p = g[*e].probability.value();
          b += p * best[child];
          t += p * truth[child];
        } else {
          if (action == truthful)
            t = truth[child];
          const std::size_t pick = node.player == agent ? chosen[node.infoset] : truthful;
          if (action == pick)
            b = best[child];
        }
      }
      best[v] = b;
      truth[v] = t;
    }
  }

  // Gains per own type: the stage-1 nodes of θi, weighted by their reach.
  const Move stage1 = agent == 1 ? Move::kReportSeller : Move::kReportBuyer;
  const std::size_t K = agent == 1 ? tree.types1.size() : tree.types2.size();
  std::vector<double> sum_best(K, 0.0), sum_truth(K, 0.0), mass(K, 0.0);
  for (TreeVertex v : layers[static_cast<std::size_t>(stage1)]) {
    const TreeNode& node = g[v];
    const std::size_t k = agent == 1 ? node.theta1 : node.theta2;
    sum_best[k] += reach[v] * best[v];
    sum_truth[k] += reach[v] * truth[v];
    mass[k] += reach[v];
  }
  result.gain.resize(K);
  for (std::size_t k = 0; k < K; ++k) {
    result.gain[k] = mass[k] > 0.0 ? (sum_best[k] - sum_truth[k]) / mass[k] : 0.0;
    result.expected_gain += sum_best[k] - sum_truth[k];
    if (result.gain[k] > result.gain[result.argmax_type])
      result.argmax_type = k;
  }
  result.exploitability = result.gain[result.argmax_type];
  return result;
}

}  // namespace twostage
