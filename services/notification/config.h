#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "mot/common/claim_loop.h"
#include "mot/common/config.h"
#include "notification/app/provider.h"
#include "notification/app/sms_provider.h"
#include "notification/app/smtp_provider.h"
#include "notification/app/wecom_app_provider.h"
#include "notification/domain/contact_vault.h"
#include "notification/domain/routing.h"
#include "notification/domain/templates.h"

namespace mot::notification {

// Every MOT_* notification reads (beside CommonConfig's). FromEnv throws ConfigError.
//   MOT_TEMPLATES, MOT_CHANNELS          the templates and channels.yaml files
//   MOT_CONTACT_KEYS                     <key id>:<base64 32-byte key>[,...] (the ContactVault)
//   MOT_NOTIFICATION_TICK (1s)           how often the deferred sends look for what is due
//   MOT_NOTIFICATION_DEFERRED_LEASE (1m) how long a pass holds what it claimed; longer than
//                                        MOT_KAFKA_DELIVERY_TIMEOUT (checked at start)
//   MOT_NOTIFICATION_DEFERRED_BATCH (500) timers claimed per partition and pass
//   MOT_PROVIDER_TIMEOUT (5s), MOT_PROVIDER_CONNECTIONS (8)   each provider's requests
//   MOT_WEBHOOK_URL                      the WeCom group robot (channel wecom)
//   MOT_DINGTALK_URL, MOT_DINGTALK_SECRET                      a DingTalk robot (dingtalk)
//   MOT_SMS_URL, _ACCESS_KEY, _SECRET, _SIGN_NAME              the SMS gateway (sms)
//   MOT_SMTP_URL, _FROM, _USER, _PASSWORD                      SMTP (email)
//   MOT_WECOM_API, _CORP_ID, _SECRET, _AGENT_ID                WeCom app messages (wecom_app)
//   MOT_PUSH_URL, MOT_PUSH_TOKEN                               the app push gateway (app)
//   MOT_HOTLINE_TICKET_KIND (hotline_call)                     hotline call tasks (hotline)
//   MOT_LIST_PAGE_SIZE_MAX (100)         ListDeliveries' largest page
//   MOT_DELIVERY_RETENTION (5y)          how long a delivery's record is kept once it settled
//                                        (delivered, failed or suppressed); at least 1d,
//                                        since the record is what sends a command once
struct NotificationConfig {
  CommonConfig common;
  TemplateSet templates;
  Routing routing;
  ContactVault vault;
  ClaimOptions deferred;  // tick, lease and batch of the deferred sends
  std::chrono::milliseconds provider_timeout{5000};
  int provider_connections = 8;
  // The robots' webhooks: wecom (required), dingtalk (with its 加签 secret) when set.
  std::string webhook_url, dingtalk_url, dingtalk_secret;
  std::optional<SmsProvider::Account> sms;
  std::optional<EmailProvider::Account> smtp;
  std::optional<WeComAppProvider::Account> wecom_app;
  std::string push_url, push_token;  // push_url empty: no app channel
  std::string hotline_kind = "hotline_call";
  int max_page_size = 100;
  std::chrono::milliseconds delivery_retention = std::chrono::hours(24 * 365 * 5);

  static NotificationConfig FromEnv(const Env& env);
};

}  // namespace mot::notification
