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
    mot::Runtime runtime("ticketing", common);
    mot::RedisRecordStore store(runtime.redis(), "ticketing");
    mot::ticketing::CommandHandler handler(policy, store);
    runtime.AddBatchConsumer({mot::kTicketingCommandsTopic},
                             [&](std::vector<mot::Work>& batch) { handler.HandleBatch(batch); });
    mot::ticketing::TicketingGrpc grpc_service(store, page, &runtime.producer(), &runtime.clock(),
                                               &policy);
    return runtime.Serve({&grpc_service});
  });
}
