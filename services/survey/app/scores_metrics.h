#pragma once

#include <memory>
#include <string>

#include "mot/common/clock.h"
#include "mot/common/redis.h"
#include "prometheus/collectable.h"
#include "survey/app/kpi.h"
#include "survey/domain/catalogue.h"

namespace mot::survey {

// The survey scores and the team KPI on /metrics, for the managers' dashboard: read
// from the shared running tallies and KPI counts when scraped (so every replica tells
// the same), for the current month in the catalogue's zone, by project and stage only
// (no owner): responses, CSAT mean and satisfied share, NPS, SERVQUAL gap per
// dimension, the KPI and its inputs. The projects are those answered or counted in,
// the `max_projects` most recently active.
class ScoresMetrics : public prometheus::Collectable {
 public:
  ScoresMetrics(RedisClient& redis, const SurveyCatalogue& catalogue, KpiCounter& kpi,
                const Clock& clock, size_t max_projects)
      : redis_(redis),
        catalogue_(catalogue),
        kpi_(kpi),
        clock_(clock),
        max_projects_(max_projects) {}
  std::vector<prometheus::MetricFamily> Collect() const override;

 private:
  RedisClient& redis_;
  const SurveyCatalogue& catalogue_;
  KpiCounter& kpi_;
  const Clock& clock_;
  size_t max_projects_;
};

}  // namespace mot::survey
