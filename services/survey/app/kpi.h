#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "mot/common/redis.h"
#include "survey/domain/scores.h"

namespace mot::survey {

// The team KPI's inputs beyond the survey scores, per project and month, as the
// event consumer (event_consumer.h) counted them: each count is of distinct ids in a
// Redis HyperLogLog, so a count is one round trip however large.
class KpiCounter {
 public:
  explicit KpiCounter(RedisClient& redis) : redis_(redis) {}

  struct Counts {
    int64_t owners = 0;               // the project's owners seen so far
    int64_t bought_again = 0;         // owners who bought again or referred a buyer, in the month
    int64_t active = 0;               // owners in a community activity, in the month
    int64_t complaints_opened = 0;    // in the month
    int64_t complaints_resolved = 0;  // in the month
  };
  absl::StatusOr<Counts> CountsOf(const std::string& project, const std::string& month);
  // The same for each of `projects`, in one round trip.
  absl::StatusOr<std::vector<Counts>> CountsOfAll(const std::vector<std::string>& projects,
                                                  const std::string& month);

 private:
  RedisClient& redis_;
};

// The Redis sorted set of the projects with answers or KPI events, by when each was
// last active (what the metrics report: the most recently active first).
std::string ProjectsKey();

// The HyperLogLog of `what` (owners, bought, active, complaints_opened,
// complaints_resolved) for a project, and a month ("" for all time).
std::string KpiKey(const std::string& what, const std::string& project,
                   const std::string& month = "");

// The KPI's shares (0-100) from the counts and the month's survey scores; absent where
// there is nothing to measure (no owners, no complaint opened, no CSAT answer).
KpiInputs KpiInputsOf(const KpiCounter::Counts& counts, std::optional<double> csat_satisfied);

}  // namespace mot::survey
