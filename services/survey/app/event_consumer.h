#pragma once

#include "absl/status/status.h"
#include "mot/common/kafka.h"
#include "mot/common/redis.h"
#include "survey/domain/catalogue.h"

namespace mot::survey {

// The team KPI's inputs beyond the survey scores, per project and month, counted from
// the events that carry them: lifecycle events (mot.lifecycle.v1: every owner seen in
// the project; repurchase and referral_made: owners who bought again or brought a
// buyer; community_activity: owners taking part) and ticket events (mot.ticket.v1:
// complaints opened and resolved, the kinds of kpi_complaint_kinds). Each count is of
// distinct ids in a Redis HyperLogLog, so an event delivered twice counts once and a
// count is one round trip however large (approximate beyond small numbers: a standard
// error of 0.81 %). Months are the catalogue's zone's, by when the event happened.
class EventConsumer {
 public:
  EventConsumer(RedisClient& redis, const SurveyCatalogue& catalogue)
      : redis_(redis), catalogue_(catalogue) {}
  // One consumed message of either topic. What does not decode is the topic owner's to
  // dead-letter (the scheduler's, ticketing's): skipped here.
  absl::Status Handle(const Incoming& in);

 private:
  RedisClient& redis_;
  const SurveyCatalogue& catalogue_;
};

}  // namespace mot::survey
