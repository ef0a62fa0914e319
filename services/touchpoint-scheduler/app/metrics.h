#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>

#include "prometheus/counter.h"
#include "prometheus/family.h"
#include "prometheus/gauge.h"
#include "prometheus/histogram.h"
#include "prometheus/registry.h"
#include "touchpoint-scheduler/domain/playbook.h"

namespace mot::scheduler {

// Why a dispatch did not go through (the label of mot_scheduler_dispatch_failures_total).
enum class DispatchFailure { kRejected, kMissing, kUnavailable, kLeaseLost, kStore };

// Declared once, every handle made at start; handlers keep references.
struct SchedulerMetrics {
  // Touchpoints by step and what became of them: planned, fired, moved, cancelled, failed,
  // skipped (planned past its lateness limit, never sent).
  prometheus::Family<prometheus::Counter>& touchpoints;
  prometheus::Family<prometheus::Counter>& reloads;  // by result: ok, refused
  prometheus::Family<prometheus::Gauge>& playbook;   // 1 for the version in force
  prometheus::Counter& profiles;
  prometheus::Counter& calendar_planned;
  // mot_scheduler_touchpoints_total of a step (made by AddSteps).
  void Count(const std::string& step, const char* status, double n = 1);
  prometheus::Counter& events;
  prometheus::Counter& planned;
  std::map<std::string, prometheus::Counter*> dispatched;    // by service
  std::map<DispatchFailure, prometheus::Counter*> failures;  // by reason
  prometheus::Gauge& pending;
  prometheus::Gauge& oldest_due_age;
  prometheus::Histogram& lag;
  prometheus::Counter* reload_ok = nullptr;       // reloads{result="ok"}, made at start
  prometheus::Counter* reload_refused = nullptr;  // reloads{result="refused"}
  // mot_scheduler_forgetting_total: owners forgotten, and their later events set aside.
  prometheus::Counter* owners_forgotten = nullptr;  // {change="forgotten"}
  prometheus::Counter* events_set_aside = nullptr;  // {change="event_set_aside"}

  // Makes the touchpoint counters of every step of `playbook` for every status, at
  // start and on each reload (those of steps no longer in force stay). A touchpoint
  // of a step this process never had in force (planned before a restart) is counted
  // under step="retired", made at start.
  void AddSteps(const Playbook& playbook);
  // The touchpoint counters by (step, status), AddSteps' and Count's only.
  std::mutex steps_mu;  // a reload adds while handlers count
  std::map<std::pair<std::string, std::string>, prometheus::Counter*> by_step;
  std::map<std::string, prometheus::Counter*> retired;  // by status

 private:
  prometheus::Counter& Touchpoints(const std::string& step, const std::string& status);
};

// Every handle, those of the steps of the playbook `in_force` too.
std::unique_ptr<SchedulerMetrics> MakeSchedulerMetrics(prometheus::Registry& registry,
                                                       const Playbook& in_force);

}  // namespace mot::scheduler
