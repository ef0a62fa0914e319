#include "notification/config.h"

namespace mot::notification {

NotificationConfig NotificationConfig::FromEnv(const Env& env) {
  NotificationConfig c;
  c.common = CommonConfig::FromEnv(env);
  c.templates = ConfigFile<TemplateSet>(env, "MOT_TEMPLATES", TemplateSet::FromYaml);
  c.routing = ConfigFile<Routing>(env, "MOT_CHANNELS", Routing::FromYaml);
  c.deferred.tick = env.Duration("MOT_NOTIFICATION_TICK", "1s");
  c.provider_timeout = env.Duration("MOT_PROVIDER_TIMEOUT", "5s");
  c.provider_connections = env.Int("MOT_PROVIDER_CONNECTIONS", 8, 1, 256);
  c.webhook_url = env.HttpUrl("MOT_WEBHOOK_URL");
  if (!env.Optional("MOT_DINGTALK_URL", "").empty()) {  // a group robot with its 加签 secret
    c.dingtalk_url = env.HttpUrl("MOT_DINGTALK_URL");
    c.dingtalk_secret = env.Required("MOT_DINGTALK_SECRET", "the robot's signing secret (SEC...)");
  }
  if (!env.Optional("MOT_SMS_URL", "").empty()) {
    c.sms = SmsProvider::Account{
        env.HttpUrl("MOT_SMS_URL"),
        env.Required("MOT_SMS_ACCESS_KEY", "the gateway's access key id"),
        env.Required("MOT_SMS_SECRET", "the gateway's access secret"),
        env.Required("MOT_SMS_SIGN_NAME", "the approved signature name, e.g. 万科物业")};
  }
  if (const std::string smtp = env.Optional("MOT_SMTP_URL", ""); !smtp.empty()) {
    if (smtp.rfind("smtp://", 0) != 0 && smtp.rfind("smtps://", 0) != 0) {
      throw ConfigError("MOT_SMTP_URL: expected smtp://host:port or smtps://host:port");
    }
    c.smtp = EmailProvider::Account{
        smtp, env.Required("MOT_SMTP_FROM", "the sender's address, e.g. service@example.com"),
        env.Optional("MOT_SMTP_USER", ""), env.Optional("MOT_SMTP_PASSWORD", "")};
  }
  if (!env.Optional("MOT_WECOM_CORP_ID", "")
           .empty()) {  // application messages to owners' WeCom ids
    c.wecom_app =
        WeComAppProvider::Account{env.Optional("MOT_WECOM_API", "https://qyapi.weixin.qq.com"),
                                  env.Required("MOT_WECOM_CORP_ID", "the corp id"),
                                  env.Required("MOT_WECOM_SECRET", "the application's secret"),
                                  (env.Required("MOT_WECOM_AGENT_ID", "the application's agent id"),
                                   env.Int("MOT_WECOM_AGENT_ID", 0, 1, 2147483647))};
  }
  if (!env.Optional("MOT_PUSH_URL", "").empty()) {
    c.push_url = env.HttpUrl("MOT_PUSH_URL");
    c.push_token = env.Optional("MOT_PUSH_TOKEN", "");
  }
  c.hotline_kind = env.Optional("MOT_HOTLINE_TICKET_KIND", "hotline_call");
  c.max_page_size = env.Int("MOT_LIST_PAGE_SIZE_MAX", 100, 1, 10000);
  c.delivery_retention = env.Duration("MOT_DELIVERY_RETENTION", "5y");
  if (c.delivery_retention < std::chrono::hours(24)) {
    throw ConfigError(
        "MOT_DELIVERY_RETENTION is too short; expected at least 1d (a delivery's record is "
        "what makes a command sent twice go out once)");
  }
  auto vault = ContactVault::FromSpec(
      env.Required("MOT_CONTACT_KEYS", "<key id>:<base64 32-byte key>[,...]"));
  if (!vault.ok()) throw ConfigError(std::string(vault.status().message()));
  c.vault = *std::move(vault);
  c.deferred.lease = env.Duration("MOT_NOTIFICATION_DEFERRED_LEASE", "1m");
  c.deferred.batch = env.Int("MOT_NOTIFICATION_DEFERRED_BATCH", 500, 1, 100000);
  if (auto s = CheckClaimOptions(c.deferred, c.common.kafka_delivery_timeout,
                                 "MOT_NOTIFICATION_DEFERRED_LEASE");
      !s.ok()) {
    throw ConfigError(std::string(s.message()));
  }
  return c;
}

}  // namespace mot::notification
