// sim/efg.cpp
#include "sim/efg.hpp"

#include <charconv>
#include <cstdlib>

#include <fmt/format.h>

#include "scenarios/error.hpp"

namespace twostage {
namespace {

std::string fraction_text(const Fraction& p) {
  if (p.denominator == 1)
    return fmt::format("{}", p.numerator);
  return fmt::format("{}/{}", p.numerator, p.denominator);
}

void append_actions(std::string& out, const std::vector<std::string>& actions) {
  for (const std::string& a : actions)
    out += fmt::format(" \"{}\"", a);
}

// Preorder walk with an explicit stack: the tree is only eight layers deep,
// but an explicit stack keeps the writer independent of that.
void write_nodes(const GameTree& tree, std::string& out) {
  const TreeGraph& g = tree.graph;
  std::vector<TreeVertex> stack = {tree.root};
  int chance_sets = 0, outcomes = 0;
  while (!stack.empty()) {
    const TreeVertex v = stack.back();
    stack.pop_back();
    const TreeNode& node = g[v];
    const std::vector<std::string> actions = tree.actions(v);
    if (node.move == Move::kEnd) {
      ++outcomes;
      out += fmt::format("t \"n{}\" {} \"o{}\" {{ {:.17g}, {:.17g} }}\n", v, outcomes, outcomes,
                         node.payoff1, node.payoff2);
      continue;
    }
    if (node.player == 0) {
      ++chance_sets;
      out += fmt::format("c \"n{}\" {} \"nature {}\" {{", v, chance_sets, chance_sets);
      std::size_t k = 0;
      for (auto [e, end] = boost::out_edges(v, g); e != end; ++e, ++k)
        out += fmt::format(" \"{}\" {}", actions[k], fraction_text(g[*e].probability));
      out += " } 0\n";
    } else {
      const InfoSet& set = tree.infosets[node.infoset];
      out += fmt::format("p \"n{}\" {} {} \"{}\" {{", v, node.player, set.number, set.label);
      append_actions(out, actions);
      out += " } 0\n";
    }
    // Children in action order: push them reversed so the first pops first.
    std::vector<TreeVertex> children;
    for (auto [e, end] = boost::out_edges(v, g); e != end; ++e)
      children.push_back(boost::target(*e, g));
    stack.insert(stack.end(), children.rbegin(), children.rend());
  }
}

// A minimal tokenizer for the format: quoted strings, braces, commas and
// bare words (numbers, fractions, node kinds).
class Tokens {
 public:
  explicit Tokens(std::string_view text) : text_(text) {}

  bool done() {
    skip();
    return at_ >= text_.size();
  }
  std::string_view peek() {
    skip();
    const std::size_t save = at_;
    const std::string_view t = next_raw();
    at_ = save;
    return t;
  }
  std::string_view next() {
    skip();
    if (at_ >= text_.size())
      fail("unexpected end of file");
    return next_raw();
  }
  std::string quoted() {
    const std::string_view t = next();
    if (t.size() < 2 || t.front() != '"')
      fail(fmt::format("expected a quoted label, found '{}'", t));
    std::string s;
    for (std::size_t i = 1; i + 1 < t.size(); ++i) {
      if (t[i] == '\\' && i + 2 < t.size())
        ++i;
      s += t[i];
    }
    return s;
  }
  void expect(std::string_view what) {
    const std::string_view t = next();
    if (t != what)
      fail(fmt::format("expected '{}', found '{}'", what, t));
  }
  long integer() {
    const std::string_view t = next();
    long value = 0;
    const auto [end, error] = std::from_chars(t.data(), t.data() + t.size(), value);
    if (error != std::errc() || end != t.data() + t.size())
      fail(fmt::format("expected an integer, found '{}'", t));
    return value;
  }
  double real() {
    const std::string s(next());
    char* end = nullptr;
    const double value = std::strtod(s.c_str(), &end);
    if (end != s.c_str() + s.size())
      fail(fmt::format("expected a number, found '{}'", s));
    return value;
  }
  Fraction fraction() {
    const std::string s(next());
    const auto slash = s.find('/');
    Fraction p;
    char* end = nullptr;
    p.numerator = std::strtoll(s.c_str(), &end, 10);
    if (slash != std::string::npos) {
      p.denominator = std::strtoll(s.c_str() + slash + 1, &end, 10);
    }
    if (end != s.c_str() + s.size() || p.denominator <= 0)
      fail(fmt::format("expected a probability as a fraction, found '{}'", s));
    return p;
  }
  [[noreturn]] void fail(const std::string& why) const {
    throw_input_error("efg: {} at offset {}", why, at_);
  }

 private:
  void skip() {
    while (at_ < text_.size() &&
           (std::isspace(static_cast<unsigned char>(text_[at_])) || text_[at_] == ','))
      ++at_;
  }
  std::string_view next_raw() {
    const std::size_t start = at_;
    if (text_[at_] == '"') {
      ++at_;
      while (at_ < text_.size() && text_[at_] != '"')
        at_ += text_[at_] == '\\' ? 2 : 1;
      if (at_ >= text_.size())
        fail("unterminated label");
      ++at_;
    } else if (text_[at_] == '{' || text_[at_] == '}') {
      ++at_;
    } else {
      while (at_ < text_.size() && !std::isspace(static_cast<unsigned char>(text_[at_])) &&
             text_[at_] != ',' && text_[at_] != '{' && text_[at_] != '}' && text_[at_] != '"')
        ++at_;
    }
    return text_.substr(start, at_ - start);
  }

  std::string_view text_;
  std::size_t at_ = 0;
};

// Nonterminal nodes may carry an outcome after the 0/number; the writer
// never does, but the reader accepts it.
void read_outcome(Tokens& tokens, EfgNode& node) {
  node.outcome = static_cast<int>(tokens.integer());
  if (node.outcome != 0 && tokens.peek().front() == '"') {
    node.outcome_label = tokens.quoted();
    tokens.expect("{");
    while (tokens.peek() != "}")
      node.payoffs.push_back(tokens.real());
    tokens.expect("}");
  }
}

EfgNode read_node(Tokens& tokens) {
  EfgNode node;
  const std::string_view kind = tokens.next();
  if (kind != "c" && kind != "p" && kind != "t")
    tokens.fail(fmt::format("expected a node kind c, p or t, found '{}'", kind));
  node.kind = kind[0];
  node.label = tokens.quoted();
  if (node.kind == 't') {
    node.outcome = static_cast<int>(tokens.integer());
    node.outcome_label = tokens.quoted();
    tokens.expect("{");
    while (tokens.peek() != "}")
      node.payoffs.push_back(tokens.real());
    tokens.expect("}");
    return node;
  }
  if (node.kind == 'p')
    node.player = static_cast<int>(tokens.integer());
  node.infoset = static_cast<int>(tokens.integer());
  node.infoset_label = tokens.quoted();
  tokens.expect("{");
  while (tokens.peek() != "}") {
    node.actions.push_back(tokens.quoted());
    if (node.kind == 'c')
      node.probabilities.push_back(tokens.fraction());
  }
  tokens.expect("}");
  read_outcome(tokens, node);
  for (std::size_t k = 0; k < node.actions.size(); ++k)
    node.children.push_back(read_node(tokens));
  return node;
}

}  // namespace

std::string write_efg(const GameTree& tree, const std::string& title) {
  std::string out = fmt::format("EFG 2 R \"{}\" {{ \"seller\" \"buyer\" }}\n", title);
  out += fmt::format(
      "\"twostage: {} nodes; stage-1 actions report a type, stage-2 action 'truth' reports the "
      "realised payoff\"\n\n",
      tree.size());
  write_nodes(tree, out);
  return out;
}

EfgGame read_efg(std::string_view text) {
  Tokens tokens(text);
  EfgGame game;
  tokens.expect("EFG");
  tokens.expect("2");
  tokens.expect("R");
  game.title = tokens.quoted();
  tokens.expect("{");
  while (tokens.peek() != "}")
    game.players.push_back(tokens.quoted());
  tokens.expect("}");
  if (tokens.peek().front() == '"')
    tokens.quoted();  // the comment
  game.root = read_node(tokens);
  if (!tokens.done())
    tokens.fail("text after the last node");
  return game;
}

}  // namespace twostage
