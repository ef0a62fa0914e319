// Wiring only: the configuration (config.h), the providers of the configured channels,
// the consumers (with the owners' eraser), the deferred sends' loop and the gRPC service.
#include <map>
#include <memory>

#include "mot/common/runtime.h"
#include "mot/common/topics.h"
#include "notification/app/command_consumer.h"
#include "notification/app/deferred_sends.h"
#include "notification/app/hotline_provider.h"
#include "notification/app/notification_service.h"
#include "notification/app/owner_book.h"
#include "notification/app/owner_consumer.h"
#include "notification/app/owner_eraser.h"
#include "notification/app/owner_export.h"
#include "notification/app/push_provider.h"
#include "notification/app/redis_cap_ledger.h"
#include "notification/app/webhook_provider.h"
#include "notification/config.h"

namespace {

using namespace mot::notification;

// The channels whose provider is configured; a channel without one is skipped when
// deciding (and fails if a message names it).
std::map<std::string, std::unique_ptr<Provider>> Providers(const NotificationConfig& c,
                                                           mot::Runtime& runtime) {
  std::map<std::string, std::unique_ptr<Provider>> owned;
  const auto timeout = c.provider_timeout;
  const int connections = c.provider_connections;
  owned["wecom"] = std::make_unique<WebhookProvider>(c.webhook_url, timeout, connections);
  if (!c.dingtalk_url.empty()) {
    owned["dingtalk"] =
        std::make_unique<WebhookProvider>(c.dingtalk_url, timeout, connections, c.dingtalk_secret);
  }
  if (c.sms) owned["sms"] = std::make_unique<SmsProvider>(*c.sms, timeout, connections);
  if (c.smtp) owned["email"] = std::make_unique<EmailProvider>(*c.smtp, timeout, connections);
  if (c.wecom_app)
    owned["wecom_app"] = std::make_unique<WeComAppProvider>(*c.wecom_app, timeout, connections);
  if (!c.push_url.empty()) {
    owned["app"] = std::make_unique<PushProvider>(c.push_url, c.push_token, timeout, connections);
  }
  // Hotline call tasks: tickets of this kind in ticketing (through its command topic).
  owned["hotline"] =
      std::make_unique<HotlineProvider>(runtime.producer(), runtime.clock(), c.hotline_kind);
  for (const auto& [channel, provider] : owned) {
    if (!c.routing.channels().count(channel)) {
      throw mot::ConfigError("MOT_CHANNELS: channel '" + channel +
                             "' has a provider configured but is not in 'channels'");
    }
  }
  return owned;
}

}  // namespace

int main() {
  return mot::RunService("notification", [] {
    const auto config = NotificationConfig::FromEnv(mot::Env());
    mot::Runtime runtime("notification", config.common);
    mot::RedisRecordStore store(runtime.redis(), "notification");
    const auto owned = Providers(config, runtime);
    std::map<std::string, Provider*> providers;
    for (const auto& [channel, provider] : owned) providers[channel] = provider.get();
    OwnerBook owners(store, config.vault);
    RedisCapLedger caps(runtime.redis(), config.routing.cap_within());
    mot::RedisTimers timers(runtime.redis(), {"notification.deferred", 16});
    DeferredSends deferred(store, timers, runtime.producer(), runtime.clock(), config.deferred);
    CommandHandler handler(
        config.templates, providers, store, runtime.clock(), runtime.registry(),
        {config.routing, owners, caps, deferred, config.common.times, config.delivery_retention});
    runtime.AddBatchConsumer({mot::kNotificationCommandsTopic},
                             [&](std::vector<mot::Work>& batch) { handler.HandleBatch(batch); });
    runtime.AddLoop([&](const std::atomic<bool>& stop) { deferred.Run(stop); });
    OwnerEraser eraser({owners, store, runtime.clock(), config.delivery_retention},
                       runtime.registry());
    OwnerHandler owner_handler(owners, eraser, runtime.registry());
    runtime.AddBatchConsumer(
        {mot::kCustomerTopic, mot::kLifecycleTopic},
        [&](std::vector<mot::Work>& batch) { owner_handler.HandleBatch(batch); }, ".owners");
    OwnerExport exporter({owners, store, config.templates, config.delivery_retention});
    NotificationGrpc grpc_service({store, config.max_page_size, config.templates, config.routing,
                                   owners, runtime.producer(), exporter});
    return runtime.Serve({&grpc_service},
                         mot::PolicyOf("mot.notification.v1.NotificationService",
                                       {{"Send", mot::Scope::kPublisher},
                                        {"ListDeliveries", mot::Scope::kReader},
                                        {"GetPreferences", mot::Scope::kReader},
                                        {"SetPreferences", mot::Scope::kManager},
                                        {"ExportCustomer", mot::Scope::kManager}}));
  });
}
