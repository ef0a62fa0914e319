#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "domain/catalogue.h"
#include "mot/common/kafka.h"
#include "mot/common/redis.h"

namespace mot::survey {

// The team KPI's inputs beyond the survey scores, per project and month, counted from
// the events that carry them: lifecycle events (mot.lifecycle.v1: every owner seen in
// the project; repurchase and referral_made: owners who bought again or brought a
// buyer; community_activity: owners taking part) and ticket events (mot.ticket.v1:
// complaints opened and resolved, the kinds of kpi_complaint_kinds). Each count is of
// distinct ids in a Redis HyperLogLog, so an event delivered twice counts once and a
// count is one round trip however large (approximate beyond small numbers: a standard
// error of 0.81 %). Months are the catalogue's zone's, by when the event happened.
class KpiCounter {
 public:
  KpiCounter(RedisClient& redis, const SurveyCatalogue& catalogue) : redis_(redis), catalogue_(catalogue) {}
  // One consumed message of either topic. What does not decode is the topic owner's to
  // dead-letter (the scheduler's, ticketing's): skipped here.
  absl::Status Handle(const Incoming& in);

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
  const SurveyCatalogue& catalogue_;
};

// The Redis sorted set of the projects with answers or KPI events, by when each was
// last active (what the metrics report: the most recently active first).
std::string ProjectsKey();

// The KPI's shares (0-100) from the counts and the month's survey scores; absent where
// there is nothing to measure (no owners, no complaint opened, no CSAT answer).
KpiInputs KpiInputsOf(const KpiCounter::Counts& counts, std::optional<double> csat_satisfied);

}  // namespace mot::survey
