#pragma once

#include <atomic>
#include <chrono>
#include <functional>

#include "touchpoint-scheduler/app/live_playbook.h"
#include "touchpoint-scheduler/app/metrics.h"

namespace mot::scheduler {

// Every `interval`, and at once on SIGHUP (blocked in every thread by the caller),
// reloads the playbook file when its text changed; then calls `reloaded`.
void WatchPlaybook(LivePlaybook& playbook, std::chrono::milliseconds interval,
                   SchedulerMetrics& metrics, const std::function<void()>& reloaded,
                   const std::atomic<bool>& stop);

}  // namespace mot::scheduler
