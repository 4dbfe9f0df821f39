// sim/game_tree.hpp: the two-stage game as an extensive-form tree, and best responses in it.
//
// For finite type spaces, and continuous ones discretised at the quantile
// midpoints of K equal-probability cells per coordinate, the game of
// MODEL.md §2 is built node by node (Boost.Graph adjacency_list):
//
//   nature draws θ1, then θ2                       chance nodes
//   the seller reports θ1^r, knowing θ1             one information set per θ1
//   the buyer reports θ2^r, knowing θ2 only         one per θ2 (moves are simultaneous)
//   the lottery draws q̂ with P(q̂ = 1) = x(θ^r)    chance (branches of probability 0 pruned)
//   the seller reports u1^r, knowing (θ1, θ1^r, q̂, π1)
//   the buyer reports u2^r, knowing (θ2, θ2^r, q̂, π2)
//   terminal payoffs πi + ti(θ^r, u^r)
//
// The stage-2 actions are "truth" (report πi) and a few constant lies spread
// over Πi, the range of the agent's realised payoffs in the discretised game.
// Because πi is part of the stage-2 information set, a belief there is
// formed by Bayes' rule from what πi reveals about the other type.
//
// best_response() solves agent i's problem against the other's truthful
// strategy by backward induction: at each of agent i's information sets the
// action values are sums over its nodes weighted by the probability that
// nature and the truthful opponent reach them (Bayes' rule; agent i's own
// earlier moves are the same at every node of the set, by perfect recall).
// All nodes of one information set lie on one layer of the tree, so one pass
// from the leaves to the root visits each node and edge once: linear time.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <boost/graph/adjacency_list.hpp>

#include "mechanisms/mechanism.hpp"

namespace twostage {

struct GameTreeOptions {
  std::size_t types = 4;        // per coordinate, for continuous spaces
  std::size_t payoff_lies = 2;  // constant stage-2 reports besides the truth (ends of Πi first)
  // Refuse to build a tree whose nodes would need more than this many bytes.
  std::size_t memory_budget = std::size_t{1} << 30;
};

// The layers of the tree, in the order of MODEL.md §2.
enum class Move : std::uint8_t {
  kNatureSeller,
  kNatureBuyer,
  kReportSeller,
  kReportBuyer,
  kLottery,
  kPayoffSeller,
  kPayoffBuyer,
  kEnd,
};

// A probability as an exact fraction, for the .efg file.
struct Fraction {
  std::int64_t numerator = 0, denominator = 1;
  double value() const { return static_cast<double>(numerator) / static_cast<double>(denominator); }
};

struct TreeNode {
  Move move = Move::kEnd;
  int player = 0;                       // 0 nature, 1 seller, 2 buyer
  std::uint32_t infoset = 0;            // decision nodes: index into GameTree::infosets
  double payoff1 = 0.0, payoff2 = 0.0;  // terminal nodes
  // The history so far: type, report and payoff-action indices, q̂.
  std::uint32_t theta1 = 0, theta2 = 0, r1 = 0, r2 = 0;
  std::uint8_t traded = 0;
  std::uint32_t a1 = 0, a2 = 0;  // stage-2 actions (0 = truth)
  double pi1 = 0.0, pi2 = 0.0;   // realised payoffs, once q̂ is drawn
};

struct TreeEdge {
  std::uint32_t action = 0;  // index into the node's action list
  Fraction probability;      // chance edges only
};

using TreeGraph =
    boost::adjacency_list<boost::vecS, boost::vecS, boost::directedS, TreeNode, TreeEdge>;
using TreeVertex = boost::graph_traits<TreeGraph>::vertex_descriptor;

struct InfoSet {
  int player = 1;
  Move move = Move::kReportSeller;
  std::string label;
  std::vector<std::string> actions;
  std::size_t truthful_action = 0;
  std::uint32_t number = 0;  // 1-based within the player, as in .efg
  double pi = 0.0;           // stage 2: the observed realised payoff
};

struct GameTree {
  TreeGraph graph;
  TreeVertex root = 0;
  std::vector<InfoSet> infosets;
  std::vector<Type> types1, types2;  // discretised type spaces
  std::vector<Fraction> probabilities1, probabilities2;
  std::vector<double> lies1, lies2;  // stage-2 constants of each agent
  std::size_t layers_nodes[8] = {};  // nodes per Move layer

  std::size_t size() const { return boost::num_vertices(graph); }
  // Action labels of a node: its information set's for decisions; for
  // nature, the types or "no trade" / "trade".
  std::vector<std::string> actions(TreeVertex v) const;
  std::string type_label(int agent, std::uint32_t index) const;
};

// The node count and the bytes a tree would need, without building it.
struct TreeSize {
  double nodes = 0.0;
  double bytes = 0.0;
};
TreeSize game_tree_size(const Mechanism& mechanism, const Environment& environment,
                        const GameTreeOptions& options);

// Throws InputError when --types is 0 or the tree exceeds the memory budget
// (the message gives the size it would need).
GameTree build_game_tree(const Mechanism& mechanism, const Environment& environment,
                         const GameTreeOptions& options = {});

struct InfoSetRegret {
  std::uint32_t infoset = 0;
  double weight = 0.0;  // probability that nature and the truthful opponent reach it
  bool reached = true;  // weight > 0; otherwise a uniform belief is used
  std::size_t best_action = 0;
  double regret = 0.0;  // value of the best action − value of the truthful one
  // Stage 2: a lie that reports a different payoff ties with the truth.
  bool truth_tied = false;
};

struct TreeBestResponse {
  int agent = 1;
  std::vector<InfoSetRegret> regrets;  // the agent's information sets
  std::vector<double> gain;            // per own type: best response − truth
  double exploitability = 0.0;         // max gain
  std::size_t argmax_type = 0;
  double expected_gain = 0.0;  // E over own types
  bool stage2_indifferent = false;
  std::size_t nodes_visited = 0;
};

TreeBestResponse best_response(const GameTree& tree, int agent);

}  // namespace twostage
