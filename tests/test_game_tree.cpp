// tests/test_game_tree.cpp: the extensive-form game tree, its best responses and its .efg file.
//
// The tree's best response is checked against the deviation search on the
// same discretised scenario: both see the same stage-1 reports (the
// support) and the same stage-2 lies (the ends of Πi), so for the mechanisms
// below, where the best lie does not depend on what πi reveals, the gains
// must agree type by type.
#include <algorithm>
#include <numeric>
#include <set>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "mechanisms/groves.hpp"
#include "scenarios/error.hpp"
#include "scenarios/scenario.hpp"
#include "sim/efg.hpp"
#include "sim/game_tree.hpp"
#include "sim/search.hpp"
#include "tests/test_mechanisms.hpp"

namespace twostage {
namespace {

// A continuous U[0, 1] space replaced by the midpoints of K equal cells,
// as the game tree discretises it; a point stays a point.
TypeSpace discretised(const TypeSpace& space, std::size_t K) {
  if (space.is_discrete())
    return space;
  std::vector<Type> points;
  for (std::size_t k = 0; k < K; ++k)
    points.push_back({space.coordinates()[0].quantile((k + 0.5) / static_cast<double>(K))});
  return TypeSpace::finite(points, std::vector<double>(K, 1.0 / static_cast<double>(K)));
}

Environment discretised(const Environment& env, std::size_t K) {
  return {discretised(env.Theta1, K), discretised(env.Theta2, K), env.v1, env.v2};
}

SearchOptions search_options() {
  SearchOptions options;
  options.nodes = 1;  // unused: the other space is finite
  return options;
}

// Checks tree and search agree for every type of every agent.
void check_agreement(const Mechanism& mechanism, const Environment& env,
                     const Expectations& expectations) {
  const GameTree tree = build_game_tree(mechanism, env, {.types = 1, .payoff_lies = 2});
  const SearchResult found = search(mechanism, expectations, SearchAgent::kBoth, search_options());
  for (int agent : {1, 2}) {
    const TreeBestResponse br = best_response(tree, agent);
    const AgentSearch& s = found.agents[static_cast<std::size_t>(agent - 1)];
    REQUIRE(br.gain.size() == s.curve.size());
    for (std::size_t k = 0; k < br.gain.size(); ++k) {
      INFO("agent " << agent << " type " << k);
      const double tolerance = s.curve[k].lower.error + s.curve[k].upper.error + 1e-12;
      CHECK(br.gain[k] == Approx(s.curve[k].lower.value).margin(tolerance));
      CHECK(br.gain[k] <= s.curve[k].upper.value + tolerance);
    }
    CHECK(br.nodes_visited == tree.size());  // one pass: linear in the nodes
  }
}

// The sum of fractions is exactly 1 (over the least common denominator).
bool sums_to_one(const std::vector<Fraction>& p) {
  std::int64_t common = 1;
  for (const Fraction& f : p)
    common = std::lcm(common, f.denominator);
  std::int64_t total = 0;
  for (const Fraction& f : p)
    total += f.numerator * (common / f.denominator);
  return total == common;
}

// Walks the tree and the parsed file together, in preorder.
void compare(const GameTree& tree, TreeVertex v, const EfgNode& node, std::set<std::string>& labels,
             std::vector<const EfgNode*>& decisions) {
  const TreeNode& t = tree.graph[v];
  CHECK(!node.label.empty());
  CHECK(labels.insert(node.label).second);  // unique
  if (t.move == Move::kEnd) {
    REQUIRE(node.kind == 't');
    REQUIRE(node.payoffs.size() == 2);
    CHECK(node.payoffs[0] == t.payoff1);  // 17 significant digits round-trip exactly
    CHECK(node.payoffs[1] == t.payoff2);
    CHECK(!node.outcome_label.empty());
    return;
  }
  REQUIRE(node.kind == (t.player == 0 ? 'c' : 'p'));
  CHECK(node.actions == tree.actions(v));
  std::size_t k = 0;
  for (auto [e, end] = boost::out_edges(v, tree.graph); e != end; ++e, ++k) {
    if (t.player == 0) {
      CHECK(node.probabilities[k].numerator == tree.graph[*e].probability.numerator);
      CHECK(node.probabilities[k].denominator == tree.graph[*e].probability.denominator);
    }
    compare(tree, boost::target(*e, tree.graph), node.children.at(k), labels, decisions);
  }
  if (t.player == 0) {
    CHECK(sums_to_one(node.probabilities));
  } else {
    CHECK(node.player == t.player);
    CHECK(node.infoset == static_cast<int>(tree.infosets[t.infoset].number));
    decisions.push_back(&node);
  }
}

}  // namespace

TEST_CASE("tree best response equals the search on discretised scenarios", "[tree][search]") {
  SECTION("Groves, two-sided-linear with 4 types each: nothing to gain") {
    const Scenario s = load_scenario("two-sided-linear");
    const Environment env = discretised(s.environment, 4);
    const Expectations expectations(env);
    const GrovesMechanism groves(env, expectations);
    check_agreement(groves, env, expectations);
    const GameTree tree = build_game_tree(groves, env, {.types = 1});
    for (int agent : {1, 2}) {
      const TreeBestResponse br = best_response(tree, agent);
      CHECK(std::abs(br.exploitability) <= 1e-12);
      CHECK(br.stage2_indifferent);  // Definition 8: own reports never enter own transfers
      for (const InfoSetRegret& r : br.regrets)
        CHECK(r.regret <= 1e-12);
    }
  }
  SECTION("Groves with the own payoff report: top of Πi at every stage-2 set") {
    const Scenario s = load_scenario("two-sided-linear");
    const Environment env = discretised(s.environment, 4);
    const Expectations expectations(env);
    const testing::OwnReportGroves mechanism(env, expectations);
    check_agreement(mechanism, env, expectations);
    const GameTree tree = build_game_tree(mechanism, env, {.types = 1});
    const TreeBestResponse br = best_response(tree, 1);
    // θ1 = 1/8 trades with every θ2 in {1/8, …, 7/8} (θ2 > θ1·4/7), so its
    // realised payoff is 0 and its gain is the top of Π1: max v1 = 7/8 + 0.3·7/8.
    CHECK(br.gain[0] == Approx(0.875 * 1.3).margin(1e-12));
    CHECK(br.exploitability == Approx(0.875 * 1.3).margin(1e-12));
    CHECK_FALSE(br.stage2_indifferent);
  }
  SECTION("two prices without single crossing: the stage-1 lie") {
    const Scenario s = load_scenario("lemons", {{"a", -0.3}, {"b", 1.5}});
    const Environment env = discretised(s.environment, 5);
    const Expectations expectations(env);
    const testing::TwoPriceMechanism mechanism(env, 0.6, 0.0);
    check_agreement(mechanism, env, expectations);
    // Types 0.1 … 0.9: the gain is |θ1 − 0.6| (test_search.cpp derives it).
    const TreeBestResponse br = best_response(build_game_tree(mechanism, env, {.types = 1}), 1);
    const std::vector<double> expected = {0.5, 0.3, 0.1, 0.1, 0.3};
    for (std::size_t k = 0; k < expected.size(); ++k)
      CHECK(br.gain[k] == Approx(expected[k]).margin(1e-12));
  }
}

TEST_CASE("an exported .efg file parses back to the same tree", "[tree][efg]") {
  const Scenario s = load_scenario("two-sided-linear");
  const Expectations expectations(s.environment);
  const GrovesMechanism groves(s.environment, expectations);
  const GameTree tree = build_game_tree(groves, s.environment, {.types = 2, .payoff_lies = 2});
  const std::string text = write_efg(tree, "two-sided-linear with groves");
  const EfgGame game = read_efg(text);
  CHECK(game.players == std::vector<std::string>{"seller", "buyer"});
  std::set<std::string> labels;
  std::vector<const EfgNode*> decisions;
  compare(tree, tree.root, game.root, labels, decisions);
  CHECK(labels.size() == tree.size());
  // Nodes of one information set carry the same label and action list.
  for (const EfgNode* a : decisions) {
    for (const EfgNode* b : decisions) {
      if (a->player == b->player && a->infoset == b->infoset) {
        CHECK(a->infoset_label == b->infoset_label);
        CHECK(a->actions == b->actions);
      }
    }
  }
  CHECK_THROWS_AS(read_efg("EFG 2 R \"x\" { \"a\" } \"\" q"), InputError);
}

TEST_CASE("a tree over the memory budget is refused with its size", "[tree][input]") {
  const Scenario s = load_scenario("two-sided-linear");
  const Expectations expectations(s.environment);
  const GrovesMechanism groves(s.environment, expectations);
  const GameTreeOptions options{.types = 40, .payoff_lies = 2, .memory_budget = 1 << 20};
  const TreeSize size = game_tree_size(groves, s.environment, options);
  CHECK(size.nodes > 40.0 * 40 * 40 * 40);  // at least one lottery node per profile
  CHECK_THROWS_WITH(build_game_tree(groves, s.environment, options),
                    Catch::Contains("nodes") && Catch::Contains("GB"));
  CHECK_THROWS_AS(build_game_tree(groves, s.environment, {.types = 0}), InputError);
}

}  // namespace twostage
