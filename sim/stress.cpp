// sim/stress.cpp
#include "sim/stress.hpp"

#include <charconv>
#include <cmath>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "scenarios/error.hpp"

namespace twostage {
namespace {

constexpr const char* kForms = "noise:SIGMA, tremble:P, deposit:X, prior:SCENARIO, fine:F1/F2/...";

double non_negative(std::string_view text, std::string_view what) {
  double x = 0.0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), x);
  if (ec != std::errc() || end != text.data() + text.size() || !std::isfinite(x)) {
    throw_input_error("--stress {}:{}: '{}' is not a finite number", what, text, text);
  }
  if (x < 0)
    throw_input_error("--stress {}:{}: must be at least 0", what, text);
  return x;
}

void merge_into(Stress& into, const Stress& from) {
  if (from.noise > 0)
    into.noise = from.noise;
  if (from.tremble > 0)
    into.tremble = from.tremble;
  if (from.deposit)
    into.deposit = from.deposit;
  if (!from.prior.empty())
    into.prior = from.prior;
  if (!from.fines.empty())
    into.fines = from.fines;
}

}  // namespace

std::string Stress::label() const {
  std::vector<std::string> parts;
  if (noise > 0)
    parts.push_back(fmt::format("noise:{}", noise));
  if (tremble > 0)
    parts.push_back(fmt::format("tremble:{}", tremble));
  if (deposit)
    parts.push_back(fmt::format("deposit:{}", *deposit));
  if (!prior.empty())
    parts.push_back(fmt::format("prior:{}", prior));
  if (!fines.empty())
    parts.push_back(fmt::format("fine:{}", fmt::join(fines, "/")));
  return parts.empty() ? "none" : fmt::format("{}", fmt::join(parts, ","));
}

Strategy Stress::apply(Strategy strategy) const {
  if (tremble > 0) {
    strategy.report.push_back({StepKind::kTremble, tremble, {}});
    strategy.payoff.push_back({StepKind::kTremble, tremble, {}});
  }
  return strategy;
}

Stress parse_stress(const std::string& spec) {
  Stress stress;
  std::size_t start = 0;
  while (start <= spec.size()) {
    const auto end = spec.find(',', start);
    const std::string item = spec.substr(start, end == std::string::npos ? end : end - start);
    start = end == std::string::npos ? spec.size() + 1 : end + 1;
    const auto colon = item.find(':');
    if (colon == std::string::npos) {
      throw_input_error("--stress {}: expected KIND:VALUE (allowed: {})", item, kForms);
    }
    const std::string kind = item.substr(0, colon), value = item.substr(colon + 1);
    if (kind == "noise") {
      stress.noise = non_negative(value, kind);
    } else if (kind == "tremble") {
      stress.tremble = non_negative(value, kind);
      if (stress.tremble > 1)
        throw_input_error("--stress tremble:{}: must be at most 1", value);
    } else if (kind == "deposit") {
      stress.deposit = non_negative(value, kind);
    } else if (kind == "prior") {
      if (value.empty())
        throw_input_error("--stress prior: needs a scenario name or file");
      stress.prior = value;
    } else if (kind == "fine") {
      std::size_t from = 0;
      while (from <= value.size()) {
        const auto slash = value.find('/', from);
        stress.fines.push_back(non_negative(
            std::string_view(value).substr(from, slash == std::string::npos ? slash : slash - from),
            kind));
        from = slash == std::string::npos ? value.size() + 1 : slash + 1;
      }
    } else {
      throw_input_error("--stress {}: unknown stress '{}' (allowed: {})", item, kind, kForms);
    }
  }
  return stress;
}

Stress parse_stresses(const std::vector<std::string>& specs) {
  Stress all;
  for (const std::string& spec : specs)
    merge_into(all, parse_stress(spec));
  return all;
}

}  // namespace twostage
