// scenarios/scenario.cpp: reading scenario TOML (toml11) into an Environment.
#include "scenarios/scenario.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <optional>
#include <set>
#include <sstream>

#include <fmt/format.h>
#include <muParser.h>
#include <boost/crc.hpp>
#include <toml.hpp>

#include "scenarios/error.hpp"

namespace twostage {
namespace {

// Strict number parsing: the whole text, finite, no "nan" or "inf".
bool parse_finite(std::string_view text, double& out) {
  const char* first = text.data();
  const char* last = text.data() + text.size();
  while (first < last && *first == ' ')
    ++first;
  while (last > first && last[-1] == ' ')
    --last;
  if (first < last && *first == '+')
    ++first;
  const auto [end, ec] = std::from_chars(first, last, out);
  return ec == std::errc() && end == last && std::isfinite(out);
}

// Reads the TOML document of one scenario. Messages name the origin, the line
// and the key, in one line.
class Reader {
 public:
  Reader(const toml::value& root, std::string origin) : root_(root), origin_(std::move(origin)) {}

  [[noreturn]] void fail(const toml::value& at, const std::string& key,
                         const std::string& problem) const {
    const auto line = at.location().line();
    if (line > 0)
      throw_input_error("{}:{}: {}: {}", origin_, line, key, problem);
    throw_input_error("{}: {}: {}", origin_, key, problem);
  }

  // Rejects keys other than `allowed` so that a misspelt key is not ignored.
  void only_keys(const toml::value& table, const std::string& where,
                 std::initializer_list<std::string_view> allowed) const {
    for (const auto& [key, value] : table.as_table()) {
      if (std::find(allowed.begin(), allowed.end(), key) == allowed.end()) {
        std::string list;
        for (auto a : allowed)
          list += fmt::format("{}{}", list.empty() ? "" : ", ", a);
        fail(value, where.empty() ? key : where + "." + key,
             fmt::format("unknown key (allowed here: {})", list));
      }
    }
  }

  const toml::value& table(const toml::value& parent, const std::string& key,
                           const std::string& where) const {
    const toml::value& v = require(parent, key, where);
    if (!v.is_table())
      fail(v, qualified(where, key), "expected a table");
    return v;
  }

  const toml::value& require(const toml::value& parent, const std::string& key,
                             const std::string& where) const {
    if (!parent.is_table() || !parent.contains(key)) {
      fail(parent, qualified(where, key), "missing");
    }
    return parent.at(key);
  }

  std::string string(const toml::value& parent, const std::string& key, const std::string& where,
                     const std::string& fallback = {}) const {
    if (!parent.contains(key)) {
      if (fallback.empty())
        fail(parent, qualified(where, key), "missing");
      return fallback;
    }
    const toml::value& v = parent.at(key);
    if (!v.is_string())
      fail(v, qualified(where, key), "expected a string");
    return v.as_string().str;
  }

  // A number, or a string holding an expression over the parameters.
  double number(const toml::value& v, const std::string& key) const {
    double x = 0.0;
    if (v.is_integer()) {
      x = static_cast<double>(v.as_integer());
    } else if (v.is_floating()) {
      x = v.as_floating();
    } else if (v.is_string()) {
      x = evaluate(v, key, v.as_string().str);
    } else {
      fail(v, key, "expected a number or an expression over the parameters");
    }
    if (!std::isfinite(x))
      fail(v, key, fmt::format("{} is not allowed (need a finite number)", x));
    return x;
  }

  double number(const toml::value& parent, const std::string& key, const std::string& where,
                std::optional<double> fallback = std::nullopt) const {
    if (!parent.contains(key)) {
      if (!fallback)
        fail(parent, qualified(where, key), "missing");
      return *fallback;
    }
    return number(parent.at(key), qualified(where, key));
  }

  std::vector<double> numbers(const toml::value& v, const std::string& key) const {
    if (!v.is_array())
      fail(v, key, "expected an array of numbers");
    std::vector<double> out;
    for (const auto& item : v.as_array())
      out.push_back(number(item, key));
    return out;
  }

  void set_parameters(const ParameterValues* values) { values_ = values; }
  const std::string& origin() const { return origin_; }
  const toml::value& root() const { return root_; }

  static std::string qualified(const std::string& where, const std::string& key) {
    return where.empty() ? key : where + "." + key;
  }

 private:
  double evaluate(const toml::value& at, const std::string& key, const std::string& text) const {
    mu::Parser parser;
    try {
      if (values_ != nullptr) {
        for (const auto& [name, value] : *values_)
          parser.DefineConst(name, value);
      }
      parser.SetExpr(text);
      return parser.Eval();
    } catch (const mu::Parser::exception_type& e) {
      fail(at, key,
           fmt::format("expression \"{}\" is not a number over the parameters: {}", text,
                       e.GetMsg()));
    }
  }

  const toml::value& root_;
  std::string origin_;
  const ParameterValues* values_ = nullptr;
};

bool valid_identifier(const std::string& name) {
  if (name.empty() || !(std::isalpha(static_cast<unsigned char>(name[0])) || name[0] == '_')) {
    return false;
  }
  return std::all_of(name.begin(), name.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
  });
}

std::vector<Parameter> read_parameters(const Reader& in) {
  std::vector<Parameter> parameters;
  if (!in.root().contains("parameters"))
    return parameters;
  const toml::value& table = in.table(in.root(), "parameters", "");
  std::vector<std::pair<std::uint_least32_t, Parameter>> by_line;
  for (const auto& [name, spec] : table.as_table()) {
    const std::string where = "parameters." + name;
    if (!valid_identifier(name) || name.rfind("theta", 0) == 0) {
      in.fail(spec, where, "a parameter name must be an identifier not starting with 'theta'");
    }
    if (!spec.is_table())
      in.fail(spec, where, "expected a table with default, range, description");
    in.only_keys(spec, where, {"default", "range", "description"});
    Parameter p;
    p.name = name;
    const toml::value& fallback = in.require(spec, "default", where);
    if (!fallback.is_integer() && !fallback.is_floating()) {
      in.fail(fallback, where + ".default", "expected a number");
    }
    p.default_value = in.number(fallback, where + ".default");
    p.value = p.default_value;
    p.description = in.string(spec, "description", where, " ");
    if (p.description == " ")
      p.description.clear();
    if (spec.contains("range")) {
      const toml::value& r = spec.at("range");
      if (!r.is_string())
        in.fail(r, where + ".range", "expected a string such as \"(0, 1)\"");
      try {
        p.range = Range::parse(r.as_string().str);
      } catch (const InputError& e) {
        in.fail(r, where + ".range", e.what());
      }
    }
    if (!p.range.contains(p.default_value)) {
      in.fail(fallback, where + ".default",
              fmt::format("{} is outside the parameter's range {}", p.default_value,
                          p.range.describe()));
    }
    by_line.emplace_back(spec.location().line(), std::move(p));
  }
  std::sort(by_line.begin(), by_line.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  for (auto& [line, p] : by_line)
    parameters.push_back(std::move(p));
  return parameters;
}

// [mechanisms.NAME] tables: parameter = number or choice name (a string).
std::map<std::string, std::vector<Override>> read_mechanism_parameters(const Reader& in) {
  std::map<std::string, std::vector<Override>> all;
  if (!in.root().contains("mechanisms"))
    return all;
  const toml::value& table = in.table(in.root(), "mechanisms", "");
  for (const auto& [mechanism, parameters] : table.as_table()) {
    const std::string where = "mechanisms." + mechanism;
    if (!parameters.is_table())
      in.fail(parameters, where, "expected a table of parameters");
    for (const auto& [name, value] : parameters.as_table()) {
      Override o;
      o.name = name;
      if (value.is_integer() || value.is_floating()) {
        o.value = in.number(value, where + "." + name);
        o.text = fmt::format("{}", o.value);
      } else if (value.is_string()) {
        o.text = value.as_string().str;
      } else {
        in.fail(value, where + "." + name, "expected a number or the name of a choice");
      }
      all[mechanism].push_back(o);
    }
  }
  return all;
}

void apply_overrides(std::vector<Parameter>& parameters, const std::vector<Override>& overrides,
                     const std::string& scenario) {
  for (const Override& o : overrides) {
    auto it = std::find_if(parameters.begin(), parameters.end(),
                           [&](const Parameter& p) { return p.name == o.name; });
    if (it == parameters.end()) {
      std::string names;
      for (const auto& p : parameters)
        names += (names.empty() ? "" : ", ") + p.name;
      throw_input_error("--set {}: scenario '{}' has no parameter '{}' (its parameters: {})",
                        o.name, scenario, o.name, names.empty() ? "none" : names);
    }
    if (!it->range.contains(o.value)) {
      throw_input_error("--set {}={}: outside the allowed range {} of parameter '{}'", o.name,
                        o.value, it->range.describe(), o.name);
    }
    it->value = o.value;
  }
}

CoordinateDistribution read_coordinate(const Reader& in, const toml::value& spec,
                                       const std::string& where) {
  const std::string kind = in.string(spec, "distribution", where, "uniform");
  if (kind == "uniform") {
    in.only_keys(spec, where, {"space", "distribution", "low", "high"});
  } else if (kind == "beta") {
    in.only_keys(spec, where, {"space", "distribution", "low", "high", "alpha", "beta"});
  } else if (kind == "truncated-normal") {
    in.only_keys(spec, where, {"space", "distribution", "low", "high", "mean", "sd"});
  } else {
    in.fail(
        spec.at("distribution"), where + ".distribution",
        fmt::format("unknown distribution '{}' (allowed: uniform, beta, truncated-normal)", kind));
  }
  const double low = in.number(spec, "low", where);
  const double high = in.number(spec, "high", where);
  try {
    if (kind == "beta") {
      return CoordinateDistribution::beta(in.number(spec, "alpha", where),
                                          in.number(spec, "beta", where), low, high);
    }
    if (kind == "truncated-normal") {
      return CoordinateDistribution::truncated_normal(in.number(spec, "mean", where),
                                                      in.number(spec, "sd", where), low, high);
    }
    return CoordinateDistribution::uniform(low, high);
  } catch (const InputError& e) {
    if (std::string_view(e.what()).rfind(in.origin(), 0) == 0)
      throw;
    in.fail(spec, where, e.what());
  }
}

Type read_point(const Reader& in, const toml::value& v, const std::string& key) {
  if (v.is_array())
    return in.numbers(v, key);
  return {in.number(v, key)};
}

TypeSpace read_type_space(const Reader& in, const std::string& agent) {
  const toml::value& spec = in.table(in.root(), agent, "");
  const std::string space = in.string(spec, "space", agent);
  try {
    if (space == "point") {
      in.only_keys(spec, agent, {"space", "value"});
      return TypeSpace::point(read_point(in, in.require(spec, "value", agent), agent + ".value"));
    }
    if (space == "interval") {
      return TypeSpace::continuous({read_coordinate(in, spec, agent)});
    }
    if (space == "box") {
      in.only_keys(spec, agent, {"space", "coordinates"});
      const toml::value& list = in.require(spec, "coordinates", agent);
      if (!list.is_array() || list.as_array().empty()) {
        in.fail(list, agent + ".coordinates", "expected a non-empty array of tables");
      }
      std::vector<CoordinateDistribution> coordinates;
      for (std::size_t k = 0; k < list.as_array().size(); ++k) {
        const toml::value& c = list.as_array()[k];
        const std::string where = fmt::format("{}.coordinates[{}]", agent, k + 1);
        if (!c.is_table())
          in.fail(c, where, "expected a table");
        coordinates.push_back(read_coordinate(in, c, where));
      }
      return TypeSpace::continuous(std::move(coordinates));
    }
    if (space == "finite") {
      in.only_keys(spec, agent, {"space", "points", "probabilities"});
      const toml::value& points = in.require(spec, "points", agent);
      if (!points.is_array())
        in.fail(points, agent + ".points", "expected an array");
      std::vector<Type> types;
      for (const auto& p : points.as_array())
        types.push_back(read_point(in, p, agent + ".points"));
      std::vector<double> probabilities;
      if (spec.contains("probabilities")) {
        probabilities = in.numbers(spec.at("probabilities"), agent + ".probabilities");
      } else {
        probabilities.assign(types.size(), 1.0 / static_cast<double>(types.size()));
      }
      return TypeSpace::finite(std::move(types), std::move(probabilities));
    }
  } catch (const InputError& e) {
    // Errors from the type-space constructors get the file position.
    if (std::string_view(e.what()).rfind(in.origin(), 0) == 0)
      throw;
    in.fail(spec, agent, e.what());
  }
  in.fail(spec.at("space"), agent + ".space",
          fmt::format("unknown type space '{}' (allowed: point, interval, box, finite)", space));
}

Valuation read_valuation(const Reader& in, const toml::value& table, const std::string& name,
                         const ParameterValues& values, std::size_t m1, std::size_t m2) {
  const std::string where = "valuations." + name;
  const toml::value& v = in.require(table, name, "valuations");
  if (v.is_string()) {
    try {
      return Valuation::expression(name, v.as_string().str, values, m1, m2);
    } catch (const InputError& e) {
      in.fail(v, where, e.what());
    }
  }
  if (!v.is_table()) {
    in.fail(v, where, "expected a formula string or an affine table {constant, theta1, theta2}");
  }
  in.only_keys(v, where, {"constant", "theta1", "theta2"});
  auto coefficients = [&](const char* key, std::size_t m) {
    std::vector<double> c(m, 0.0);
    if (v.contains(key))
      c = in.numbers(v.at(key), where + "." + key);
    if (c.size() != m) {
      in.fail(v.at(key), where + "." + key,
              fmt::format("has {} coefficients, but the type has dimension {}", c.size(), m));
    }
    return c;
  };
  return Valuation::affine(in.number(v, "constant", where, 0.0), coefficients("theta1", m1),
                           coefficients("theta2", m2));
}

// Valuations must be finite wherever the mechanism may evaluate them; a grid
// over Θ catches formulas such as log(theta1) on [0, 1].
void check_valuations_finite(const Environment& env, const std::string& origin) {
  // About 256 points per agent whatever the dimension, so the check stays cheap.
  auto per_axis = [](const TypeSpace& space) {
    const double root = std::pow(256.0, 1.0 / static_cast<double>(space.dimension()));
    return std::max<std::size_t>(2, static_cast<std::size_t>(root));
  };
  const auto grid1 = env.Theta1.grid(per_axis(env.Theta1));
  const auto grid2 = env.Theta2.grid(per_axis(env.Theta2));
  for (const Type& a : grid1) {
    for (const Type& b : grid2) {
      for (const auto& [name, v] : {std::pair{"v1", &env.v1}, std::pair{"v2", &env.v2}}) {
        const double value = (*v)(a, b);
        if (!std::isfinite(value)) {
          throw_input_error(
              "{}: valuations.{} is {} at theta1 = ({}), theta2 = ({}) (valuations "
              "must be finite on the whole type space)",
              origin, name, value, fmt::join(a, ", "), fmt::join(b, ", "));
        }
      }
    }
  }
}

}  // namespace

std::string Range::describe() const {
  auto end = [](double x) {
    return std::isinf(x) ? std::string(x < 0 ? "-inf" : "inf") : fmt::format("{}", x);
  };
  return fmt::format("{}{}, {}{}", low_open ? '(' : '[', end(low), end(high),
                     high_open ? ')' : ']');
}

Range Range::parse(std::string_view text) {
  auto bad = [&]() -> Range {
    throw_input_error(
        "range \"{}\" is not an interval such as \"(0, 1)\", \"[0, 1]\" or "
        "\"[0, inf)\"",
        text);
  };
  std::string s(text);
  s.erase(std::remove(s.begin(), s.end(), ' '), s.end());
  if (s.size() < 5)
    return bad();
  const char open = s.front(), close = s.back();
  const auto comma = s.find(',');
  if ((open != '(' && open != '[') || (close != ')' && close != ']') ||
      comma == std::string::npos) {
    return bad();
  }
  auto end = [&](std::string part, double& x) {
    if (part == "inf" || part == "+inf") {
      x = INFINITY;
    } else if (part == "-inf") {
      x = -INFINITY;
    } else if (!parse_finite(part, x)) {
      bad();
    }
  };
  Range r;
  end(s.substr(1, comma - 1), r.low);
  end(s.substr(comma + 1, s.size() - comma - 2), r.high);
  r.low_open = open == '(' || std::isinf(r.low);
  r.high_open = close == ')' || std::isinf(r.high);
  if (!(r.low < r.high))
    bad();
  return r;
}

std::vector<Override> Scenario::parameters_for(const std::string& mechanism,
                                               std::vector<Override> command_line) const {
  std::vector<Override> all;
  if (const auto it = mechanism_parameters.find(mechanism); it != mechanism_parameters.end()) {
    all = it->second;
  }
  all.insert(all.end(), command_line.begin(), command_line.end());
  return all;
}

Override parse_override(std::string_view text) {
  const auto eq = text.find('=');
  if (eq == std::string_view::npos || eq == 0) {
    throw_input_error("--set {}: expected name=value", text);
  }
  Override o;
  o.name = std::string(text.substr(0, eq));
  if (!parse_finite(text.substr(eq + 1), o.value)) {
    throw_input_error("--set {}: '{}' is not a finite number", text, text.substr(eq + 1));
  }
  return o;
}

ParameterValues Scenario::parameter_values() const {
  ParameterValues values;
  for (const auto& p : parameters)
    values[p.name] = p.value;
  return values;
}

Scenario parse_scenario(std::string_view text, const std::string& origin,
                        const std::vector<Override>& overrides) {
  toml::value root;
  try {
    std::istringstream stream{std::string(text)};
    root = toml::parse(stream, origin);
  } catch (const toml::syntax_error& e) {
    // toml11's message spans several lines; keep its first line and the position.
    std::string first(e.what());
    first = first.substr(0, first.find('\n'));
    if (first.rfind("[error] ", 0) == 0)
      first = first.substr(8);
    throw_input_error("{}:{}: malformed TOML: {}", origin, e.location().line(), first);
  }
  Reader in(root, origin);
  in.only_keys(
      root, "",
      {"name", "description", "parameters", "seller", "buyer", "valuations", "mechanisms"});

  Scenario scenario;
  scenario.name = in.string(root, "name", "");
  scenario.description = in.string(root, "description", "", " ");
  if (scenario.description == " ")
    scenario.description.clear();
  scenario.source = origin;
  boost::crc_32_type crc;
  crc.process_bytes(text.data(), text.size());
  scenario.text_crc32 = crc.checksum();
  scenario.parameters = read_parameters(in);
  scenario.mechanism_parameters = read_mechanism_parameters(in);
  apply_overrides(scenario.parameters, overrides, scenario.name);
  const ParameterValues values = scenario.parameter_values();
  in.set_parameters(&values);

  TypeSpace Theta1 = read_type_space(in, "seller");
  TypeSpace Theta2 = read_type_space(in, "buyer");
  const toml::value& valuations = in.table(root, "valuations", "");
  in.only_keys(valuations, "valuations", {"v1", "v2"});
  Valuation v1 =
      read_valuation(in, valuations, "v1", values, Theta1.dimension(), Theta2.dimension());
  Valuation v2 =
      read_valuation(in, valuations, "v2", values, Theta1.dimension(), Theta2.dimension());
  scenario.environment =
      Environment{std::move(Theta1), std::move(Theta2), std::move(v1), std::move(v2)};
  check_valuations_finite(scenario.environment, origin);
  return scenario;
}

Scenario load_scenario(const std::string& name_or_path, const std::vector<Override>& overrides) {
  for (const BuiltinScenario& builtin : builtin_scenarios()) {
    if (builtin.name == name_or_path) {
      Scenario s = parse_scenario(builtin.file, fmt::format("{}.toml", builtin.name), overrides);
      s.source = "built-in";
      return s;
    }
  }
  const std::filesystem::path path(name_or_path);
  if (!std::filesystem::is_regular_file(path)) {
    if (path.extension() == ".toml" || name_or_path.find('/') != std::string::npos) {
      throw_input_error("scenario file '{}' does not exist or is not a regular file", name_or_path);
    }
    std::string names;
    for (const auto& b : builtin_scenarios())
      names += fmt::format("{}{}", names.empty() ? "" : ", ", b.name);
    throw_input_error("unknown scenario '{}' (built-in: {}; or give the path of a .toml file)",
                      name_or_path, names);
  }
  std::ifstream file(path, std::ios::binary);
  std::stringstream buffer;
  buffer << file.rdbuf();
  if (!file)
    throw_input_error("cannot read scenario file '{}'", name_or_path);
  return parse_scenario(buffer.str(), name_or_path, overrides);
}

}  // namespace twostage
