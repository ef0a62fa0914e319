#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <vector>

#include "absl/status/statusor.h"
#include "mot/common/alarm.h"
#include "mot/common/clock.h"
#include "touchpoint-scheduler/app/live_playbook.h"
#include "touchpoint-scheduler/app/metrics.h"
#include "touchpoint-scheduler/domain/journey_store.h"

namespace mot::scheduler {

struct CalendarOptions {
  std::chrono::milliseconds interval{std::chrono::hours(1)};
  int batch = 500;  // customers per round trip
  // The partitions this replica plans for (its dispatcher's); empty: all.
  std::vector<int> partitions;
};

// Plans the calendar steps (festivals, birthdays) for every customer on the dates
// within the playbook's plan_ahead, a batch of customers at a time on its own
// thread, so event processing never waits for it. Deterministic ids make every
// pass idempotent: each owner gets each date's touchpoint once.
class CalendarPlanner {
 public:
  CalendarPlanner(const LivePlaybook& playbook, JourneyStore& store, const Clock& clock,
                  CalendarOptions options, SchedulerMetrics& metrics,
                  std::function<void(TimePoint earliest_due)> planned)
      : playbook_(playbook),
        store_(store),
        clock_(clock),
        options_(options),
        metrics_(metrics),
        planned_(std::move(planned)) {}
  // One pass over every customer, ended early once `stop` is set; the touchpoints
  // stored (new or not).
  absl::StatusOr<int64_t> Pass(const std::atomic<bool>& stop);
  // A pass at start, every interval, and when woken.
  void Run(const std::atomic<bool>& stop);
  void Wake();

 private:
  const LivePlaybook& playbook_;
  JourneyStore& store_;
  const Clock& clock_;
  const CalendarOptions options_;
  SchedulerMetrics& metrics_;
  std::function<void(TimePoint)> planned_;
  Alarm alarm_;
};
}  // namespace mot::scheduler
