#include "app/notification_app.h"
#include "mot/common/codec.h"
#include "mot/common/topics.h"
#include "mot/common/runtime.h"

int main() {
  return mot::RunService("notification", [] {
    mot::Env env;
    auto common = mot::CommonConfig::FromEnv(env);
    const auto templates = mot::ConfigFile<mot::notification::TemplateSet>(
        env, "MOT_TEMPLATES", mot::notification::TemplateSet::FromYaml);
    mot::notification::WebhookProvider wecom(env.HttpUrl("MOT_WEBHOOK_URL"),
                                             env.Duration("MOT_WEBHOOK_TIMEOUT", "5s"),
                                             env.Int("MOT_WEBHOOK_CONNECTIONS", 8, 1, 256));
    const int page = env.Int("MOT_LIST_PAGE_SIZE_MAX", 100, 1, 10000);
    mot::Runtime runtime("notification", common);
    const mot::Clock& clock = runtime.clock();
    mot::RedisRecordStore store(runtime.redis(), "notification");
    mot::notification::CommandHandler handler(templates, {{"wecom", &wecom}}, store, clock,
                                              runtime.registry());
    runtime.AddBatchConsumer({mot::kNotificationCommandsTopic},
                             [&](std::vector<mot::Work>& batch) { handler.HandleBatch(batch); });
    mot::notification::NotificationGrpc grpc_service(store, page);
    return runtime.Serve({&grpc_service});
  });
}
