#include "touchpoint-scheduler/app/metrics.h"

namespace mot::scheduler {
namespace {

const char* FailureLabel(DispatchFailure f) {
  switch (f) {
    case DispatchFailure::kRejected:
      return "rejected";  // the broker or producer refuses the command for good
    case DispatchFailure::kMissing:
      return "missing";  // the stored touchpoint or command is gone or unreadable
    case DispatchFailure::kUnavailable:
      return "unavailable";  // the broker could not take it now; retried with backoff
    case DispatchFailure::kLeaseLost:
      return "lease_lost";  // settled after the claim ran out
    case DispatchFailure::kStore:
      return "store";  // Redis failed during a pass
  }
  return "store";
}

// What becomes of a touchpoint (the status label of mot_scheduler_touchpoints_total).
constexpr const char* kTouchpointStatuses[] = {"planned",   "fired",  "moved",
                                               "cancelled", "failed", "skipped"};

}  // namespace

void SchedulerMetrics::AddSteps(const Playbook& playbook) {
  std::lock_guard lock(steps_mu);
  for (const char* status : kTouchpointStatuses) {
    for (const auto& step : playbook.steps()) {
      prometheus::Counter*& counter = by_step[{step.id, status}];
      if (counter == nullptr) counter = &touchpoints.Add({{"step", step.id}, {"status", status}});
    }
  }
}

void SchedulerMetrics::Count(const std::string& step, const char* status, double n) {
  Touchpoints(step, status).Increment(n);
}

prometheus::Counter& SchedulerMetrics::Touchpoints(const std::string& step,
                                                   const std::string& status) {
  std::lock_guard lock(steps_mu);
  if (auto it = by_step.find({step, status}); it != by_step.end()) return *it->second;
  return *retired.at(status);  // a step of a playbook before this process's time
}

std::unique_ptr<SchedulerMetrics> MakeSchedulerMetrics(prometheus::Registry& r,
                                                       const Playbook& in_force) {
  auto& dispatched = prometheus::BuildCounter()
                         .Name("mot_scheduler_touchpoints_dispatched_total")
                         .Help("Touchpoint commands sent to the owning service.")
                         .Register(r);
  std::map<std::string, prometheus::Counter*> by_service;
  for (const auto& service : ActionServices()) {
    by_service[service] = &dispatched.Add({{"service", service}});
  }
  auto& failures = prometheus::BuildCounter()
                       .Name("mot_scheduler_dispatch_failures_total")
                       .Help(
                           "Due touchpoints not dispatched, by reason (rejected and missing "
                           "ones are FAILED; unavailable ones are retried).")
                       .Register(r);
  std::map<DispatchFailure, prometheus::Counter*> by_reason;
  for (auto f :
       {DispatchFailure::kRejected, DispatchFailure::kMissing, DispatchFailure::kUnavailable,
        DispatchFailure::kLeaseLost, DispatchFailure::kStore}) {
    by_reason[f] = &failures.Add({{"reason", FailureLabel(f)}});
  }
  auto metrics = std::unique_ptr<SchedulerMetrics>(new SchedulerMetrics{
      prometheus::BuildCounter()
          .Name("mot_scheduler_touchpoints_total")
          .Help("Touchpoints by playbook step and what became of them: planned, fired "
                "(dispatched), moved (re-anchored or rescheduled), cancelled, failed.")
          .Register(r),
      prometheus::BuildCounter()
          .Name("mot_scheduler_playbook_reloads_total")
          .Help("Playbook reloads by result: ok (a new version in force) or refused (broken; "
                "the one in force stays).")
          .Register(r),
      prometheus::BuildGauge()
          .Name("mot_scheduler_playbook_info")
          .Help("1 for the version of the playbook in force.")
          .Register(r),
      prometheus::BuildCounter()
          .Name("mot_scheduler_profiles_total")
          .Help("Customer profiles kept (mot.customer.v1).")
          .Register(r)
          .Add({}),
      prometheus::BuildCounter()
          .Name("mot_scheduler_calendar_touchpoints_total")
          .Help("Touchpoints stored by calendar passes (festivals, birthdays), new or not.")
          .Register(r)
          .Add({}),
      prometheus::BuildCounter()
          .Name("mot_scheduler_events_total")
          .Help("Lifecycle events accepted.")
          .Register(r)
          .Add({}),
      prometheus::BuildCounter()
          .Name("mot_scheduler_touchpoints_planned_total")
          .Help("Touchpoints planned from lifecycle events (redeliveries included).")
          .Register(r)
          .Add({}),
      std::move(by_service), std::move(by_reason),
      prometheus::BuildGauge()
          .Name("mot_scheduler_pending_timers")
          .Help("Touchpoint timers armed (scheduled, not yet dispatched), all partitions.")
          .Register(r)
          .Add({}),
      prometheus::BuildGauge()
          .Name("mot_scheduler_oldest_due_timer_age_seconds")
          .Help("How long the oldest due, unclaimed timer has been due (0 when none is).")
          .Register(r)
          .Add({}),
      prometheus::BuildHistogram()
          .Name("mot_scheduler_dispatch_lag_seconds")
          .Help("Time from a touchpoint's due time to its dispatch.")
          .Register(r)
          .Add({}, prometheus::Histogram::BucketBoundaries{0.1, 0.5, 1, 2, 5, 10, 30, 60, 300, 3600,
                                                           86400, 604800})});
  // Both results exported from the start (at 0), so a rate of refusals exists before one.
  for (const char* status : kTouchpointStatuses) {
    metrics->retired[status] = &metrics->touchpoints.Add({{"step", "retired"}, {"status", status}});
  }
  metrics->AddSteps(in_force);
  metrics->reload_ok = &metrics->reloads.Add({{"result", "ok"}});
  metrics->reload_refused = &metrics->reloads.Add({{"result", "refused"}});
  auto& forgetting = prometheus::BuildCounter()
                         .Name("mot_scheduler_forgetting_total")
                         .Help(
                             "Owners forgotten (customer_forgotten: journey ended, record "
                             "erased), and events about a forgotten owner set aside.")
                         .Register(r);
  metrics->owners_forgotten = &forgetting.Add({{"change", "forgotten"}});
  metrics->events_set_aside = &forgetting.Add({{"change", "event_set_aside"}});
  return metrics;
}

}  // namespace mot::scheduler
