#include <map>
#include <memory>

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
    const auto routing = mot::ConfigFile<mot::notification::Routing>(
        env, "MOT_CHANNELS", mot::notification::Routing::FromYaml);
    const auto tick = env.Duration("MOT_NOTIFICATION_TICK", "1s");
    mot::notification::WebhookProvider wecom(env.HttpUrl("MOT_WEBHOOK_URL"),
                                             env.Duration("MOT_WEBHOOK_TIMEOUT", "5s"),
                                             env.Int("MOT_WEBHOOK_CONNECTIONS", 8, 1, 256));
    // A DingTalk group robot with its signing secret (加签), when configured.
    const std::string dingtalk_url = env.Optional("MOT_DINGTALK_URL", "");
    std::unique_ptr<mot::notification::WebhookProvider> dingtalk;
    if (!dingtalk_url.empty()) {
      dingtalk = std::make_unique<mot::notification::WebhookProvider>(
          env.HttpUrl("MOT_DINGTALK_URL"), env.Duration("MOT_WEBHOOK_TIMEOUT", "5s"),
          env.Int("MOT_WEBHOOK_CONNECTIONS", 8, 1, 256),
          env.Required("MOT_DINGTALK_SECRET", "the robot's signing secret (SEC...)"));
    }
    const int page = env.Int("MOT_LIST_PAGE_SIZE_MAX", 100, 1, 10000);
    auto vault = mot::notification::ContactVault::FromSpec(
        env.Required("MOT_CONTACT_KEYS", "<key id>:<base64 32-byte key>[,...]"));
    if (!vault.ok()) throw mot::ConfigError(std::string(vault.status().message()));
    mot::Runtime runtime("notification", common);
    const mot::Clock& clock = runtime.clock();
    mot::RedisRecordStore store(runtime.redis(), "notification");
    std::map<std::string, mot::notification::Provider*> providers = {{"wecom", &wecom}};
    if (dingtalk) providers["dingtalk"] = dingtalk.get();
    mot::notification::OwnerBook owners(store, *vault);
    mot::notification::CapLedger caps(runtime.redis(), routing.cap_within());
    mot::RedisTimers timers(runtime.redis(), {"notification.deferred", 16});
    mot::notification::DeferredSends deferred(store, timers, runtime.producer(), clock, tick);
    mot::notification::CommandHandler handler(templates, providers, store, clock,
                                              runtime.registry(),
                                              {&routing, &owners, &caps, &deferred});
    runtime.AddBatchConsumer({mot::kNotificationCommandsTopic},
                             [&](std::vector<mot::Work>& batch) { handler.HandleBatch(batch); });
    runtime.AddLoop([&](const std::atomic<bool>& stop) { deferred.Run(stop); });
    mot::notification::OwnerHandler owner_handler(owners, runtime.registry());
    runtime.AddBatchConsumer({mot::kCustomerTopic, mot::kLifecycleTopic},
                             [&](std::vector<mot::Work>& batch) { owner_handler.HandleBatch(batch); },
                             ".owners");
    mot::notification::NotificationGrpc grpc_service(store, page);
    return runtime.Serve({&grpc_service});
  });
}
