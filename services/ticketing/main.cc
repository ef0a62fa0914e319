#include "app/ticketing_app.h"
#include "mot/common/codec.h"
#include "mot/common/topics.h"
#include "mot/common/runtime.h"

int main() {
  return mot::RunService("ticketing", [] {
    mot::Env env;
    auto common = mot::CommonConfig::FromEnv(env);
    const auto policy = mot::ConfigFile<mot::ticketing::SlaPolicy>(
        env, "MOT_SLA_POLICY", mot::ticketing::SlaPolicy::FromYaml);
    const int page = env.Int("MOT_LIST_PAGE_SIZE_MAX", 100, 1, 10000);
    mot::ticketing::SlaWatchOptions watch_options;
    watch_options.tick = env.Duration("MOT_SLA_TICK", "1s");
    watch_options.lease = env.Duration("MOT_SLA_CLAIM_LEASE", "60s");
    watch_options.batch = env.Int("MOT_SLA_BATCH", 100, 1, 5000);
    if (watch_options.lease <= common.kafka_delivery_timeout) {
      throw mot::ConfigError(
          "MOT_SLA_CLAIM_LEASE must be longer than MOT_KAFKA_DELIVERY_TIMEOUT (" +
          std::to_string(common.kafka_delivery_timeout.count()) +
          "ms): a slow publish must not outlive its claim");
    }
    const int partitions = env.Int("MOT_SLA_PARTITIONS", 16, 1, 1024);

    mot::Runtime runtime("ticketing", common);
    auto metrics = mot::ticketing::MakeTicketingMetrics(runtime.registry(), &policy);
    mot::RedisRecordStore store(runtime.redis(), "ticketing");
    mot::RedisTimers timers(runtime.redis(), {"ticketing.sla", partitions});
    mot::ticketing::RedisIndexStore index(runtime.redis());
    mot::ticketing::SlaWatch watch(store, timers, runtime.producer(), runtime.clock(), policy,
                                   watch_options, *metrics, &index);
    mot::ticketing::CommandHandler handler(policy, store, &watch, metrics.get(), &index,
                                           &runtime.clock(), common.times);
    runtime.AddBatchConsumer({mot::kTicketingCommandsTopic},
                             [&](std::vector<mot::Work>& batch) { handler.HandleBatch(batch); });
    runtime.AddLoop([&](const std::atomic<bool>& stop) { watch.Run(stop); });
    mot::ticketing::TicketingParts parts{store, page, &runtime.producer(), &runtime.clock(),
                                         &policy, &watch, metrics.get(), &index};
    parts.times = common.times;
    mot::ticketing::TicketingGrpc grpc_service(parts);
    return runtime.Serve({&grpc_service},
                         mot::PolicyOf("mot.ticketing.v1.TicketingService", {
         {"GetTicket", mot::Scope::kReader},
         {"ListTickets", mot::Scope::kReader},
         {"TransitionTicket", mot::Scope::kAgent},
         {"CreateTicket", mot::Scope::kAgent},
         {"AssignTicket", mot::Scope::kAgent},
         {"AddNote", mot::Scope::kAgent},
         {"ReclassifyTicket", mot::Scope::kAgent},
         {"GetDefectRollup", mot::Scope::kManager},
         {"GetComplaintReport", mot::Scope::kManager}}));
  });
}
