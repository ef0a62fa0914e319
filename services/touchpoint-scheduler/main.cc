#include <signal.h>

#include "mot/common/gate.h"
#include "mot/common/log.h"
#include "mot/common/runtime.h"
#include "mot/common/topics.h"
#include "touchpoint-scheduler/app/calendar_planner.h"
#include "touchpoint-scheduler/app/dispatcher.h"
#include "touchpoint-scheduler/app/http_ingest.h"
#include "touchpoint-scheduler/app/lifecycle_consumer.h"
#include "touchpoint-scheduler/app/live_playbook.h"
#include "touchpoint-scheduler/app/metrics.h"
#include "touchpoint-scheduler/app/outcome_consumer.h"
#include "touchpoint-scheduler/app/playbook_watch.h"
#include "touchpoint-scheduler/app/profile_consumer.h"
#include "touchpoint-scheduler/app/redis_journey_store.h"
#include "touchpoint-scheduler/app/scheduler_service.h"
#include "touchpoint-scheduler/config.h"

namespace {

mot::AccessPolicy Policy() {
  return mot::PolicyOf("mot.scheduler.v1.SchedulerService",
                       {{"GetJourney", mot::Scope::kReader},
                        {"GetStage", mot::Scope::kReader},
                        {"CancelTouchpoint", mot::Scope::kManager},
                        {"RescheduleTouchpoint", mot::Scope::kManager},
                        {"ValidatePlaybook", mot::Scope::kReader},
                        {"SimulateJourney", mot::Scope::kReader},
                        {"IngestEvent", mot::Scope::kPublisher},
                        {"ExportCustomer", mot::Scope::kManager}});
}

}  // namespace

int main() {
  return mot::RunService("touchpoint-scheduler", [] {
    using namespace mot::scheduler;
    // SIGHUP reloads the playbook: blocked in every thread, taken by the watcher.
    sigset_t hup;
    sigemptyset(&hup);
    sigaddset(&hup, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &hup, nullptr);
    auto config = SchedulerConfig::FromEnv(mot::Env());
    LivePlaybook::Check check;
    if (config.templates) {
      check = [uses = *config.templates](const Playbook& pb) { return CheckTemplates(pb, uses); };
    } else {
      mot::Log().warn(
          "MOT_TEMPLATES is not set: the playbook is not checked against the templates");
    }
    LivePlaybook playbook(std::move(config.playbook), config.playbook_path, config.playbook_text,
                          std::move(check));

    mot::Runtime runtime("touchpoint-scheduler", config.common);
    const mot::Clock& clock = runtime.clock();
    auto metrics = MakeSchedulerMetrics(runtime.registry(), *playbook.Get());
    RedisJourneyStore store(runtime.redis(), config.store);
    Dispatcher dispatcher(store, runtime.producer(), clock, config.dispatcher, *metrics);
    const auto planned = [&](mot::TimePoint due) { dispatcher.Planned(due); };
    LifecycleHandler lifecycle(playbook, store, clock, config.limits, *metrics, planned);
    OutcomeHandler outcomes(store, clock, playbook, lifecycle);
    ProfileHandler profiles(store, clock, *metrics);
    CalendarPlanner planner(playbook, store, clock, config.calendar, *metrics, planned);
    runtime.AddBatchConsumer(
        {mot::kCustomerTopic}, [&](std::vector<mot::Work>& batch) { profiles.HandleBatch(batch); },
        ".profiles");
    runtime.AddLoop([&](const std::atomic<bool>& stop) { planner.Run(stop); });
    runtime.AddLoop([&](const std::atomic<bool>& stop) {
      WatchPlaybook(
          playbook, config.reload_interval, *metrics, [&] { planner.Wake(); }, stop);
    });
    runtime.AddBatchConsumer({mot::kLifecycleTopic},
                             [&](std::vector<mot::Work>& batch) { lifecycle.HandleBatch(batch); });
    runtime.AddBatchConsumer(
        {mot::kTicketEventsTopic, mot::kNotificationEventsTopic, mot::kSurveyEventsTopic},
        [&](std::vector<mot::Work>& batch) { outcomes.HandleBatch(batch); }, ".outcomes");
    runtime.AddLoop([&](const std::atomic<bool>& stop) { dispatcher.Run(stop); });
    EventIntake intake(playbook, runtime.producer(), clock, config.limits);
    HttpIngest ingest(config.ingest, intake);
    if (!config.ingest.addr.empty()) {
      if (!ingest.Bind(config.common.gate)) {
        throw mot::ConfigError("MOT_INGEST_HTTP_ADDR='" + config.ingest.addr +
                               "': cannot listen there (host:port)");
      }
      runtime.AddLoop([&](const std::atomic<bool>& stop) { ingest.Run(stop); });
    }
    SchedulerGrpc grpc_service(playbook, store, runtime.producer(), clock, config.limits, *metrics,
                               config.max_page_size);
    return runtime.Serve({&grpc_service}, Policy());
  });
}
