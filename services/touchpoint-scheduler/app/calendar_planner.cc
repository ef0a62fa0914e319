#include "touchpoint-scheduler/app/calendar_planner.h"

#include <algorithm>

#include "mot/common/log.h"
#include "touchpoint-scheduler/domain/calendar.h"

namespace mot::scheduler {

absl::StatusOr<int64_t> CalendarPlanner::Pass(const std::atomic<bool>& stop) {
  const TimePoint now = clock_.Now();
  const std::shared_ptr<const Playbook> pb = playbook_.Get();
  const TimePoint to = now + pb->plan_ahead();
  // A festival within reach: every customer; else birthdays only: those with one.
  const bool festivals = HasFestivalDates(*pb, now, to);
  if (!festivals && !HasBirthdaySteps(*pb)) return 0;
  int64_t stored = 0;
  TimePoint earliest = TimePoint::max();
  std::vector<int> partitions = options_.partitions;
  if (partitions.empty()) {
    for (int p = 0; p < store_.partitions(); ++p) partitions.push_back(p);
  }
  for (int p : partitions) {
    uint64_t cursor = 0;
    do {
      if (stop.load()) return stored;
      auto scan = store_.ScanCustomers(p, cursor, options_.batch, !festivals);
      if (!scan.ok()) return scan.status();
      cursor = scan->first;
      auto facts = store_.Facts(scan->second, pb->stages());
      if (!facts.ok()) return facts.status();
      std::vector<PlannedTouchpoint> planned;
      for (const auto& [id, f] : *facts) {
        for (auto& tp : PlanCalendar(*pb, f, now, to)) planned.push_back(std::move(tp));
      }
      if (planned.empty()) continue;
      auto s = store_.ScheduleAll(planned, now);
      if (!s.ok()) return s;
      stored += static_cast<int64_t>(planned.size());
      for (const auto& tp : planned)
        earliest = std::min(earliest, FromProto(tp.touchpoint.due_at()));
    } while (cursor != 0);
  }
  metrics_.calendar_planned.Increment(static_cast<double>(stored));
  if (earliest != TimePoint::max()) planned_(earliest);
  return stored;
}

void CalendarPlanner::Wake() { alarm_.Ring(); }

void CalendarPlanner::Run(const std::atomic<bool>& stop) {
  while (!stop.load()) {
    alarm_.Reset();
    auto pass = Pass(stop);
    if (!pass.ok()) {
      Log().warn("calendar pass failed, again in {} ms: {}", options_.interval.count(),
                 pass.status().message());
    } else if (*pass > 0) {
      Log().info("calendar pass stored {} touchpoints", *pass);
    }
    alarm_.Wait(options_.interval, stop);
  }
}
}  // namespace mot::scheduler
