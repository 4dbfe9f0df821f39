// sim/efg.hpp: Gambit's extensive-form game format (.efg, version 2), written and read back.
//
// The writer emits the tree of sim/game_tree.hpp in preorder, one node per
// line, so that Gambit's own tools can check the truthful profile:
//
//   c "label" chance-infoset "infoset label" { "action" probability ... } 0
//   p "label" player infoset "infoset label" { "action" ... } 0
//   t "label" outcome "outcome label" { payoff1, payoff2 }
//
// Every node and outcome gets a unique non-empty label, chance
// probabilities are exact fractions that sum to 1 at each node, payoffs sit
// on the terminal nodes only, and the action list is repeated at every node
// of an information set (the format allows it to be omitted after the first).
//
// The reader parses what the writer produces (and the same subset of the
// format written by others); it exists so that a file can be checked against
// the tree it came from.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "sim/game_tree.hpp"

namespace twostage {

std::string write_efg(const GameTree& tree, const std::string& title);

struct EfgNode {
  char kind = 't';  // 'c' chance, 'p' player, 't' terminal
  std::string label;
  int player = 0;   // 'p' only
  int infoset = 0;  // 'c' and 'p'
  std::string infoset_label;
  std::vector<std::string> actions;
  std::vector<Fraction> probabilities;  // 'c' only
  int outcome = 0;
  std::string outcome_label;
  std::vector<double> payoffs;  // 't' only
  std::vector<EfgNode> children;
};

struct EfgGame {
  std::string title;
  std::vector<std::string> players;
  EfgNode root;
};

// Throws InputError naming the offset of the first token it cannot parse.
EfgGame read_efg(std::string_view text);

}  // namespace twostage
