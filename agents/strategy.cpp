// agents/strategy.cpp: parsing and printing strategy specs.
#include "agents/strategy.hpp"

#include <charconv>
#include <cmath>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "scenarios/error.hpp"

namespace twostage {
namespace {

constexpr const char* kReportForms =
    "truth, shift:D, scale:K, constant:C, type:X1/X2/..., tremble:P";
constexpr const char* kPayoffForms = "truth, shift:D, scale:K, constant:C, other, tremble:P";
constexpr const char* kParticipationForms = "always, never, above:X, below:X";

std::vector<std::string_view> split(std::string_view text, char separator) {
  std::vector<std::string_view> parts;
  std::size_t start = 0;
  while (true) {
    const auto end = text.find(separator, start);
    parts.push_back(text.substr(start, end == std::string_view::npos ? end : end - start));
    if (end == std::string_view::npos)
      return parts;
    start = end + 1;
  }
}

double number(std::string_view text, std::string_view context) {
  double x = 0.0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), x);
  if (ec != std::errc() || end != text.data() + text.size() || !std::isfinite(x)) {
    throw_input_error("strategy '{}': '{}' is not a finite number", context, text);
  }
  return x;
}

Step parse_step(std::string_view item, bool stage1, std::string_view context) {
  const auto colon = item.find(':');
  const std::string_view name = item.substr(0, colon);
  const std::string_view argument = colon == std::string_view::npos ? "" : item.substr(colon + 1);
  const char* forms = stage1 ? kReportForms : kPayoffForms;
  auto needs_argument = [&](StepKind kind) {
    if (argument.empty()) {
      throw_input_error("strategy '{}': '{}' needs a value (allowed: {})", context, name, forms);
    }
    return Step{kind, number(argument, context), {}};
  };
  if (name == "shift")
    return needs_argument(StepKind::kShift);
  if (name == "scale")
    return needs_argument(StepKind::kScale);
  if (name == "constant")
    return needs_argument(StepKind::kConstant);
  if (name == "tremble") {
    Step step = needs_argument(StepKind::kTremble);
    if (step.value < 0 || step.value > 1) {
      throw_input_error("strategy '{}': tremble probability {} is outside [0, 1]", context,
                        step.value);
    }
    return step;
  }
  if (stage1 && name == "type") {
    Step step{StepKind::kType, 0.0, {}};
    for (std::string_view x : split(argument, '/'))
      step.type.push_back(number(x, context));
    return step;
  }
  if (!stage1 && name == "other" && argument.empty())
    return {StepKind::kOther, 0.0, {}};
  throw_input_error("strategy '{}': unknown {} rule '{}' (allowed: {})", context,
                    stage1 ? "report" : "payoff", item, forms);
}

std::vector<Step> parse_steps(std::string_view rules, bool stage1, std::string_view context) {
  std::vector<Step> steps;
  for (std::string_view item : split(rules, ',')) {
    if (item == "truth")
      continue;  // the identity step
    steps.push_back(parse_step(item, stage1, context));
  }
  return steps;
}

std::string describe_steps(const std::vector<Step>& steps) {
  if (steps.empty())
    return "truth";
  std::vector<std::string> parts;
  for (const Step& s : steps) {
    switch (s.kind) {
      case StepKind::kShift:
        parts.push_back(fmt::format("shift:{}", s.value));
        break;
      case StepKind::kScale:
        parts.push_back(fmt::format("scale:{}", s.value));
        break;
      case StepKind::kConstant:
        parts.push_back(fmt::format("constant:{}", s.value));
        break;
      case StepKind::kType:
        parts.push_back(fmt::format("type:{}", fmt::join(s.type, "/")));
        break;
      case StepKind::kOther:
        parts.push_back("other");
        break;
      case StepKind::kTremble:
        parts.push_back(fmt::format("tremble:{}", s.value));
        break;
    }
  }
  return fmt::format("{}", fmt::join(parts, ","));
}

}  // namespace

bool Strategy::random() const {
  auto trembles = [](const std::vector<Step>& steps) {
    for (const Step& s : steps) {
      if (s.kind == StepKind::kTremble && s.value > 0)
        return true;
    }
    return false;
  };
  return trembles(report) || trembles(payoff);
}

std::string Strategy::describe() const {
  std::string participate = "always";
  if (participation == ParticipationRule::kNever)
    participate = "never";
  if (participation == ParticipationRule::kAbove)
    participate = fmt::format("above:{}", threshold);
  if (participation == ParticipationRule::kBelow)
    participate = fmt::format("below:{}", threshold);
  return fmt::format("participate={};report={};payoff={}", participate, describe_steps(report),
                     describe_steps(payoff));
}

Strategy parse_strategy(const std::vector<std::string>& specs) {
  Strategy strategy;
  for (const std::string& spec : specs) {
    for (std::string_view part : split(spec, ';')) {
      if (part.empty())
        continue;
      const auto eq = part.find('=');
      if (eq == std::string_view::npos) {
        throw_input_error(
            "strategy '{}': expected PART=RULES with PART one of participate, "
            "report, payoff",
            spec);
      }
      const std::string_view name = part.substr(0, eq), rules = part.substr(eq + 1);
      if (name == "report") {
        strategy.report = parse_steps(rules, true, spec);
      } else if (name == "payoff") {
        strategy.payoff = parse_steps(rules, false, spec);
      } else if (name == "participate") {
        const auto colon = rules.find(':');
        const std::string_view rule = rules.substr(0, colon);
        if (rules == "always") {
          strategy.participation = ParticipationRule::kAlways;
        } else if (rules == "never") {
          strategy.participation = ParticipationRule::kNever;
        } else if ((rule == "above" || rule == "below") && colon != std::string_view::npos) {
          strategy.participation =
              rule == "above" ? ParticipationRule::kAbove : ParticipationRule::kBelow;
          strategy.threshold = number(rules.substr(colon + 1), spec);
        } else {
          throw_input_error("strategy '{}': unknown participation rule '{}' (allowed: {})", spec,
                            rules, kParticipationForms);
        }
      } else {
        throw_input_error("strategy '{}': unknown part '{}' (allowed: participate, report, payoff)",
                          spec, name);
      }
    }
  }
  return strategy;
}

}  // namespace twostage
