#include <signal.h>

#include "app/scheduler_app.h"
#include "mot/common/codec.h"
#include "mot/common/topics.h"
#include "mot/common/runtime.h"

int main() {
  return mot::RunService("touchpoint-scheduler", [] {
    mot::Env env;
    auto common = mot::CommonConfig::FromEnv(env);
    // SIGHUP reloads the playbook: blocked in every thread, taken by the watcher.
    sigset_t hup;
    sigemptyset(&hup);
    sigaddset(&hup, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &hup, nullptr);
    const std::string playbook_text = env.FileContent("MOT_PLAYBOOK");
    auto parsed = mot::scheduler::Playbook::FromYaml(playbook_text);
    if (!parsed.ok()) throw mot::ConfigError("MOT_PLAYBOOK: " + std::string(parsed.status().message()));
    mot::scheduler::LivePlaybook playbook(*std::move(parsed), env.Optional("MOT_PLAYBOOK", ""),
                                          playbook_text);
    const auto reload_interval = env.Duration("MOT_PLAYBOOK_RELOAD_INTERVAL", "5s");
    mot::scheduler::CalendarOptions calendar;
    calendar.interval = env.Duration("MOT_SCHEDULER_CALENDAR_INTERVAL", "1h");
    calendar.batch = env.Int("MOT_SCHEDULER_CALENDAR_BATCH", 500, 1, 100000);
    mot::scheduler::JourneyStoreOptions store_options;
    store_options.partitions = env.Int("MOT_SCHEDULER_PARTITIONS", 16, 1, 1024);
    store_options.retention = env.Duration("MOT_SCHEDULER_RETENTION", "5y");
    mot::scheduler::DispatcherOptions options;
    options.tick = env.Duration("MOT_SCHEDULER_TICK", "1s");
    options.claim_lease = env.Duration("MOT_SCHEDULER_CLAIM_LEASE", "60s");
    options.batch = env.Int("MOT_SCHEDULER_BATCH", 100, 1, 5000);
    options.retry_initial = env.Duration("MOT_SCHEDULER_RETRY_INITIAL", "1s");
    options.retry_max = env.Duration("MOT_SCHEDULER_RETRY_MAX", "10m");
    if (options.claim_lease <= common.kafka_delivery_timeout) {
      throw mot::ConfigError(
          "MOT_SCHEDULER_CLAIM_LEASE must be longer than MOT_KAFKA_DELIVERY_TIMEOUT (" +
          std::to_string(common.kafka_delivery_timeout.count()) +
          "ms): a slow publish must not outlive its claim");
    }
    const std::string assigned = env.Optional("MOT_SCHEDULER_ASSIGNED_PARTITIONS", "all");
    auto partitions = mot::scheduler::ParsePartitions(assigned, store_options.partitions);
    if (!partitions.ok()) {
      throw mot::ConfigError("MOT_SCHEDULER_ASSIGNED_PARTITIONS=" + assigned + " is invalid: " +
                             std::string(partitions.status().message()));
    }
    options.partitions = *partitions;
    calendar.partitions = *partitions;
    mot::scheduler::PlanningLimits limits;
    limits.window = common.times;
    limits.max_command_bytes = env.Int("MOT_SCHEDULER_MAX_COMMAND_BYTES", 900000, 1024, 100000000);

    mot::Runtime runtime("touchpoint-scheduler", common);
    const mot::Clock& clock = runtime.clock();
    auto metrics = mot::scheduler::MakeSchedulerMetrics(runtime.registry());
    mot::scheduler::RedisJourneyStore store(runtime.redis(), store_options);
    mot::scheduler::Dispatcher dispatcher(store, runtime.producer(), clock, options, *metrics);
    mot::scheduler::LifecycleHandler lifecycle(playbook, store, clock, limits, *metrics,
                                               [&](mot::TimePoint due) { dispatcher.Planned(due); });
    mot::scheduler::OutcomeHandler outcomes(store, clock, &playbook, &lifecycle);
    mot::scheduler::ProfileHandler profiles(store, clock, *metrics);
    mot::scheduler::CalendarPlanner planner(playbook, store, clock, calendar, *metrics,
                                            [&](mot::TimePoint due) { dispatcher.Planned(due); });
    runtime.AddBatchConsumer({mot::kCustomerTopic},
                             [&](std::vector<mot::Work>& batch) { profiles.HandleBatch(batch); },
                             ".profiles");
    runtime.AddLoop([&](const std::atomic<bool>& stop) { planner.Run(stop); });
    runtime.AddLoop([&](const std::atomic<bool>& stop) {
      mot::scheduler::WatchPlaybook(playbook, reload_interval, *metrics, [&] { planner.Wake(); },
                                    stop);
    });
    runtime.AddBatchConsumer({mot::kLifecycleTopic},
                             [&](std::vector<mot::Work>& batch) { lifecycle.HandleBatch(batch); });
    runtime.AddBatchConsumer(
        {mot::kTicketEventsTopic, mot::kNotificationEventsTopic, mot::kSurveyEventsTopic},
        [&](std::vector<mot::Work>& batch) { outcomes.HandleBatch(batch); }, ".outcomes");
    runtime.AddLoop([&](const std::atomic<bool>& stop) { dispatcher.Run(stop); });
    mot::scheduler::SchedulerGrpc grpc_service(playbook, store, runtime.producer(), clock, limits,
                                                *metrics);
    return runtime.Serve({&grpc_service},
                         mot::PolicyOf("mot.scheduler.v1.SchedulerService", {
         {"GetJourney", mot::Scope::kReader},
         {"GetStage", mot::Scope::kReader},
         {"CancelTouchpoint", mot::Scope::kManager},
         {"RescheduleTouchpoint", mot::Scope::kManager},
         {"ValidatePlaybook", mot::Scope::kReader},
         {"SimulateJourney", mot::Scope::kReader},
         {"IngestEvent", mot::Scope::kPublisher}}));
  });
}
