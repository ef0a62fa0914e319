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
    const auto timeout = env.Duration("MOT_PROVIDER_TIMEOUT", "5s");
    const int connections = env.Int("MOT_PROVIDER_CONNECTIONS", 8, 1, 256);
    // The channels whose provider is configured; a channel without one is skipped
    // when deciding (and fails if a message names it).
    std::map<std::string, std::unique_ptr<mot::notification::Provider>> owned;
    owned["wecom"] = std::make_unique<mot::notification::WebhookProvider>(
        env.HttpUrl("MOT_WEBHOOK_URL"), timeout, connections);
    if (!env.Optional("MOT_DINGTALK_URL", "").empty()) {  // a group robot with its 加签 secret
      owned["dingtalk"] = std::make_unique<mot::notification::WebhookProvider>(
          env.HttpUrl("MOT_DINGTALK_URL"), timeout, connections,
          env.Required("MOT_DINGTALK_SECRET", "the robot's signing secret (SEC...)"));
    }
    if (!env.Optional("MOT_SMS_URL", "").empty()) {
      owned["sms"] = std::make_unique<mot::notification::SmsProvider>(
          mot::notification::SmsProvider::Account{
              env.HttpUrl("MOT_SMS_URL"), env.Required("MOT_SMS_ACCESS_KEY", "the gateway's access key id"),
              env.Required("MOT_SMS_SECRET", "the gateway's access secret"),
              env.Required("MOT_SMS_SIGN_NAME", "the approved signature name, e.g. 万科物业")},
          timeout, connections);
    }
    if (const std::string smtp = env.Optional("MOT_SMTP_URL", ""); !smtp.empty()) {
      if (smtp.rfind("smtp://", 0) != 0 && smtp.rfind("smtps://", 0) != 0) {
        throw mot::ConfigError("MOT_SMTP_URL: expected smtp://host:port or smtps://host:port");
      }
      owned["email"] = std::make_unique<mot::notification::EmailProvider>(
          mot::notification::EmailProvider::Account{
              smtp, env.Required("MOT_SMTP_FROM", "the sender's address, e.g. service@example.com"),
              env.Optional("MOT_SMTP_USER", ""), env.Optional("MOT_SMTP_PASSWORD", "")},
          timeout, connections);
    }
    if (!env.Optional("MOT_WECOM_CORP_ID", "").empty()) {  // application messages to owners' WeCom ids
      owned["wecom_app"] = std::make_unique<mot::notification::WeComAppProvider>(
          mot::notification::WeComAppProvider::Account{
              env.Optional("MOT_WECOM_API", "https://qyapi.weixin.qq.com"), env.Required("MOT_WECOM_CORP_ID", "the corp id"),
              env.Required("MOT_WECOM_SECRET", "the application's secret"),
              (env.Required("MOT_WECOM_AGENT_ID", "the application's agent id"),
               env.Int("MOT_WECOM_AGENT_ID", 0, 1, 2147483647))},
          timeout, connections);
    }
    if (!env.Optional("MOT_PUSH_URL", "").empty()) {
      owned["app"] = std::make_unique<mot::notification::PushProvider>(
          env.HttpUrl("MOT_PUSH_URL"), env.Optional("MOT_PUSH_TOKEN", ""), timeout, connections);
    }
    const std::string hotline_kind = env.Optional("MOT_HOTLINE_TICKET_KIND", "hotline_call");
    const int page = env.Int("MOT_LIST_PAGE_SIZE_MAX", 100, 1, 10000);
    auto vault = mot::notification::ContactVault::FromSpec(
        env.Required("MOT_CONTACT_KEYS", "<key id>:<base64 32-byte key>[,...]"));
    if (!vault.ok()) throw mot::ConfigError(std::string(vault.status().message()));
    mot::Runtime runtime("notification", common);
    const mot::Clock& clock = runtime.clock();
    mot::RedisRecordStore store(runtime.redis(), "notification");
    // Hotline call tasks: tickets of this kind in ticketing (through its command topic).
    owned["hotline"] = std::make_unique<mot::notification::HotlineProvider>(runtime.producer(), clock,
                                                                            hotline_kind);
    std::map<std::string, mot::notification::Provider*> providers;
    for (const auto& [channel, provider] : owned) {
      if (!routing.channels().count(channel)) {
        throw mot::ConfigError("MOT_CHANNELS: channel '" + channel +
                               "' has a provider configured but is not in 'channels'");
      }
      providers[channel] = provider.get();
    }
    mot::notification::OwnerBook owners(store, *vault);
    mot::notification::CapLedger caps(runtime.redis(), routing.cap_within());
    mot::RedisTimers timers(runtime.redis(), {"notification.deferred", 16});
    mot::notification::DeferredSends deferred(store, timers, runtime.producer(), clock, tick);
    mot::notification::CommandHandler handler(templates, providers, store, clock,
                                              runtime.registry(),
                                              {&routing, &owners, &caps, &deferred, common.times});
    runtime.AddBatchConsumer({mot::kNotificationCommandsTopic},
                             [&](std::vector<mot::Work>& batch) { handler.HandleBatch(batch); });
    runtime.AddLoop([&](const std::atomic<bool>& stop) { deferred.Run(stop); });
    mot::notification::OwnerHandler owner_handler(owners, runtime.registry());
    runtime.AddBatchConsumer({mot::kCustomerTopic, mot::kLifecycleTopic},
                             [&](std::vector<mot::Work>& batch) { owner_handler.HandleBatch(batch); },
                             ".owners");
    mot::notification::NotificationGrpc grpc_service(
        {store, page, templates, routing, owners, runtime.producer()});
    return runtime.Serve({&grpc_service},
                         mot::PolicyOf("mot.notification.v1.NotificationService", {
         {"Send", mot::Scope::kPublisher},
         {"ListDeliveries", mot::Scope::kReader},
         {"GetPreferences", mot::Scope::kReader},
         {"SetPreferences", mot::Scope::kManager}}));
  });
}
