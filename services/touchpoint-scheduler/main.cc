#include "app/scheduler_app.h"
#include "mot/common/codec.h"
#include "mot/common/runtime.h"

int main() {
  return mot::RunService("touchpoint-scheduler", [] {
    mot::Env env;
    auto common = mot::CommonConfig::FromEnv(env);
    const auto playbook = mot::ConfigFile<mot::scheduler::Playbook>(
        env, "MOT_PLAYBOOK", mot::scheduler::Playbook::FromYaml);
    mot::scheduler::DispatcherOptions options;
    options.tick = env.Duration("MOT_SCHEDULER_TICK", "1s");
    options.claim_lease = env.Duration("MOT_SCHEDULER_CLAIM_LEASE", "30s");
    options.batch = env.Int("MOT_SCHEDULER_BATCH", 100, 1, 100000);

    mot::Runtime runtime("touchpoint-scheduler", common);
    mot::SystemClock clock;
    auto metrics = mot::scheduler::MakeSchedulerMetrics(runtime.registry());
    mot::scheduler::RedisJourneyStore store(runtime.redis());
    mot::scheduler::LifecycleHandler lifecycle(playbook, store, *metrics);
    mot::scheduler::OutcomeHandler outcomes(store, clock);
    mot::scheduler::Dispatcher dispatcher(store, runtime.producer(), clock, options, *metrics);
    runtime.AddConsumer({mot::kLifecycleTopic},
                        [&](const mot::Incoming& in) { return lifecycle.Handle(in); });
    runtime.AddConsumer(
        {mot::kTicketEventsTopic, mot::kNotificationEventsTopic, mot::kSurveyEventsTopic},
        [&](const mot::Incoming& in) { return outcomes.Handle(in); }, ".outcomes");
    runtime.AddLoop([&](const std::atomic<bool>& stop) { dispatcher.Run(stop); });
    mot::scheduler::SchedulerGrpc grpc_service(playbook, store, runtime.producer(), clock);
    return runtime.Serve({&grpc_service});
  });
}
