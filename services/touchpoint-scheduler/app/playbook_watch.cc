#include "touchpoint-scheduler/app/playbook_watch.h"

#include <signal.h>

#include <string>

#include "mot/common/log.h"

namespace mot::scheduler {

void WatchPlaybook(LivePlaybook& playbook, std::chrono::milliseconds interval,
                   SchedulerMetrics& metrics, const std::function<void()>& reloaded,
                   const std::atomic<bool>& stop) {
  sigset_t hup;
  sigemptyset(&hup);
  sigaddset(&hup, SIGHUP);
  std::string shown = playbook.Get()->version();
  metrics.playbook.Add({{"version", shown}}).Set(1);
  auto next = std::chrono::steady_clock::now() + interval;
  while (!stop.load()) {
    const timespec wait{0, 200'000'000};
    const bool signalled = sigtimedwait(&hup, nullptr, &wait) == SIGHUP;
    if (!signalled && std::chrono::steady_clock::now() < next) continue;
    next = std::chrono::steady_clock::now() + interval;
    auto changed = playbook.Reload();
    if (!changed.ok()) {
      metrics.reload_refused->Increment();
      Log().error("playbook reload refused, version {} stays in force: {}", shown,
                  changed.status().message());
      continue;
    }
    if (!*changed) {
      if (signalled) Log().info("playbook unchanged (version {})", shown);
      continue;
    }
    const std::string version = playbook.Get()->version();
    metrics.reload_ok->Increment();
    metrics.playbook.Remove(&metrics.playbook.Add({{"version", shown}}));
    metrics.playbook.Add({{"version", version}}).Set(1);
    metrics.AddSteps(*playbook.Get());
    Log().info("playbook reloaded: version {} in force ({} steps)", version,
               playbook.Get()->steps().size());
    shown = version;
    if (reloaded) reloaded();
  }
}
}  // namespace mot::scheduler
