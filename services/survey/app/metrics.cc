#include "survey/app/metrics.h"

#include "prometheus/counter.h"
#include "prometheus/registry.h"

namespace mot::survey {
namespace {

// What a page can end as; the metric's label.
constexpr const char* kOutcomes[] = {"shown",   "answered", "incomplete", "closed",
                                     "unknown", "refused",  "error"};

}  // namespace

SurveyMetrics::SurveyMetrics(prometheus::Registry& registry) {
  auto& family = prometheus::BuildCounter()
                     .Name("mot_survey_web_requests_total")
                     .Help(
                         "Requests to the survey web page by outcome: shown (the form), answered, "
                         "incomplete (the form again), closed (expired, answered or withdrawn), "
                         "unknown (no such link), refused (a malformed post), error.")
                     .Register(registry);
  for (const char* o : kOutcomes) pages[o] = &family.Add({{"outcome", o}});
  erasures = &prometheus::BuildCounter()
                  .Name("mot_survey_erasures_total")
                  .Help(
                      "Survey instances erased (free-text answers and link) because their owner "
                      "was forgotten (customer_forgotten); an instance erased before is not "
                      "counted again.")
                  .Register(registry)
                  .Add({});
}

}  // namespace mot::survey
