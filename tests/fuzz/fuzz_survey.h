// What the two survey targets (fuzz_answers, fuzz_form) share.
#pragma once

#include <optional>

#include "fuzz_common.h"
#include "survey/domain/catalogue.h"

namespace motfuzz {

// The shipped survey catalogue (deploy/config/surveys.yaml), loaded once.
inline const mot::survey::SurveyCatalogue& ShippedSurveys() {
  static const auto* catalogue = [] {
    auto parsed = mot::survey::SurveyCatalogue::FromYaml(ShippedConfig("surveys.yaml"));
    if (!parsed.ok() || parsed->surveys().empty())
      Broken("the shipped survey catalogue does not load");
    return new mot::survey::SurveyCatalogue(*std::move(parsed));
  }();
  return *catalogue;
}

// A score that is absent or within [low, high] (give or take rounding).
inline bool InRange(const std::optional<double>& v, double low, double high) {
  return !v || (*v >= low - 1e-9 && *v <= high + 1e-9);
}

}  // namespace motfuzz
