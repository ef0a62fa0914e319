#pragma once

#include <map>
#include <string>

namespace prometheus {
class Counter;
class Registry;
}  // namespace prometheus

namespace mot::survey {

// The survey service's counters, their handles made once at start (the scores and the
// KPI are computed when scraped: scores_metrics.h).
struct SurveyMetrics {
  // Requests to the web page by outcome: shown, answered, incomplete, closed, unknown,
  // refused, error.
  std::map<std::string, prometheus::Counter*> pages;
  // Survey instances erased because their owner was forgotten.
  prometheus::Counter* erasures = nullptr;
  explicit SurveyMetrics(prometheus::Registry& registry);
};

}  // namespace mot::survey
