#include "app/notification_app.h"

#include <curl/curl.h>

#include "absl/strings/str_cat.h"
#include "mot/common/codec.h"
#include "mot/common/validate.h"
#include "mot/common/topics.h"
#include "mot/common/ids.h"
#include "mot/common/log.h"
#include "mot/common/runtime.h"
#include "nlohmann/json.hpp"
#include "prometheus/counter.h"
#include "prometheus/registry.h"

namespace mot::notification {
namespace {

size_t CollectBody(char* data, size_t size, size_t n, void* out) {
  static_cast<std::string*>(out)->append(data, size * n);
  return size * n;
}

struct CurlDeleter {
  void operator()(CURL* c) const { curl_easy_cleanup(c); }
};
struct SlistDeleter {
  void operator()(curl_slist* l) const { curl_slist_free_all(l); }
};

}  // namespace

WebhookProvider::WebhookProvider(std::string url, std::chrono::milliseconds timeout)
    : url_(std::move(url)), timeout_(timeout) {
  curl_global_init(CURL_GLOBAL_DEFAULT);
}

absl::StatusOr<std::string> WebhookProvider::Send(const OutgoingMessage& message) {
  const std::string body =
      nlohmann::json{{"msgtype", "text"}, {"text", {{"content", message.text}}}}.dump();
  std::unique_ptr<CURL, CurlDeleter> curl(curl_easy_init());
  if (!curl) return absl::UnavailableError("webhook: cannot create a curl handle");
  std::unique_ptr<curl_slist, SlistDeleter> headers(
      curl_slist_append(nullptr, "Content-Type: application/json; charset=utf-8"));
  headers.reset(curl_slist_append(headers.release(),
                                  ("X-Mot-Delivery-Id: " + message.delivery_id).c_str()));
  std::string response;
  curl_easy_setopt(curl.get(), CURLOPT_URL, url_.c_str());
  curl_easy_setopt(curl.get(), CURLOPT_POSTFIELDS, body.c_str());
  curl_easy_setopt(curl.get(), CURLOPT_POSTFIELDSIZE, static_cast<long>(body.size()));
  curl_easy_setopt(curl.get(), CURLOPT_HTTPHEADER, headers.get());
  curl_easy_setopt(curl.get(), CURLOPT_TIMEOUT_MS, static_cast<long>(timeout_.count()));
  curl_easy_setopt(curl.get(), CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl.get(), CURLOPT_WRITEFUNCTION, CollectBody);
  curl_easy_setopt(curl.get(), CURLOPT_WRITEDATA, &response);
  CURLcode rc = curl_easy_perform(curl.get());
  if (rc != CURLE_OK) {
    return absl::UnavailableError(absl::StrCat("webhook: ", curl_easy_strerror(rc)));
  }
  long http = 0;
  curl_easy_getinfo(curl.get(), CURLINFO_RESPONSE_CODE, &http);
  if (http >= 500 || http == 429) {
    return absl::UnavailableError(absl::StrCat("webhook answered HTTP ", http));
  }
  if (http >= 300) {
    return absl::FailedPreconditionError(absl::StrCat("webhook refused: HTTP ", http));
  }
  // Robots answer 200 with {"errcode":N,"errmsg":"..."}; N != 0 is a refusal.
  auto json = nlohmann::json::parse(response, nullptr, false);
  if (json.is_object() && json.contains("errcode") && json["errcode"].is_number() &&
      json["errcode"].get<int>() != 0) {
    return absl::FailedPreconditionError(
        absl::StrCat("webhook refused: HTTP ", http, " errcode ", json["errcode"].get<int>()));
  }
  return absl::StrCat("HTTP ", http);
}

// Counters for every configured channel exist from the start (at 0), so rates and
// alerts work before the first failure; the hot path only looks them up.
struct CommandHandler::Metrics {
  std::map<std::string, std::pair<prometheus::Counter*, prometheus::Counter*>> by_channel;
  prometheus::Counter* unknown_channel;

  Metrics(prometheus::Registry& registry, const std::map<std::string, Provider*>& providers) {
    auto& family = prometheus::BuildCounter()
                       .Name("mot_notification_deliveries_total")
                       .Help("Notification deliveries by channel and status.")
                       .Register(registry);
    for (const auto& [channel, _] : providers) {
      by_channel[channel] = {&family.Add({{"channel", channel}, {"status", "delivered"}}),
                             &family.Add({{"channel", channel}, {"status", "failed"}})};
    }
    unknown_channel = &family.Add({{"channel", "unconfigured"}, {"status", "failed"}});
  }
  prometheus::Counter& For(const std::string& channel, bool delivered) {
    auto it = by_channel.find(channel);
    if (it == by_channel.end()) return *unknown_channel;
    return delivered ? *it->second.first : *it->second.second;
  }
};

CommandHandler::CommandHandler(const TemplateSet& templates,
                               std::map<std::string, Provider*> providers, RecordStore& store,
                               const Clock& clock,
                               prometheus::Registry& registry)
    : templates_(templates),
      providers_(std::move(providers)),
      deliveries_(store),
      clock_(clock),
      metrics_(std::make_unique<Metrics>(registry, providers_)) {}

CommandHandler::~CommandHandler() = default;

absl::Status CommandHandler::Handle(const Incoming& in, Publisher& out) {
  v1::SendNotificationCommand cmd;
  if (auto s = DecodeMessage(in, &cmd); !s.ok()) return s;
  if (auto s = RequireFields({{"command_id", &cmd.command_id()},
                               {"customer_id", &cmd.customer_id()},
                               {"template_id", &cmd.template_id()}});
      !s.ok()) {
    return s;
  }
  const std::string delivery_id = DeterministicId("dl", {cmd.command_id()});
  auto existing = deliveries_.Get(delivery_id);
  if (!existing.ok()) return existing.status();

  v1::Delivery delivery;
  if (existing->has_value()) {
    delivery = **existing;  // delivered before: only the event is published again
  } else {
    const Template* tpl = templates_.Find(cmd.template_id());
    if (tpl == nullptr) {
      return absl::InvalidArgumentError(
          absl::StrCat("template_id '", cmd.template_id(), "' is unknown"));
    }
    std::map<std::string, std::string> vars(cmd.variables().begin(), cmd.variables().end());
    auto text = Render(*tpl, vars);
    if (!text.ok()) return text.status();
    const std::string channel = cmd.channel().empty() ? tpl->channel : cmd.channel();

    delivery.set_id(delivery_id);
    delivery.set_customer_id(cmd.customer_id());
    delivery.set_template_id(cmd.template_id());
    delivery.set_channel(channel);
    delivery.set_touchpoint_id(cmd.touchpoint_id());
    auto provider = providers_.find(channel);
    if (provider == providers_.end()) {
      delivery.set_status(v1::DELIVERY_STATUS_FAILED);
      delivery.set_provider_response("no provider configured for channel " + channel);
    } else {
      auto sent = provider->second->Send({delivery_id, channel, *text});
      if (!sent.ok() && absl::IsUnavailable(sent.status())) return sent.status();  // retry
      delivery.set_status(sent.ok() ? v1::DELIVERY_STATUS_DELIVERED : v1::DELIVERY_STATUS_FAILED);
      delivery.set_provider_response(sent.ok() ? *sent : std::string(sent.status().message()));
    }
    *delivery.mutable_delivered_at() = ToProto(clock_.Now());
    auto inserted = deliveries_.Insert(delivery.id(), delivery.customer_id(),
                                       ToUnixMillis(clock_.Now()), delivery);
    if (!inserted.ok()) return inserted.status();
    metrics_->For(channel, delivery.status() == v1::DELIVERY_STATUS_DELIVERED).Increment();
    Log().info("delivery {} template={} channel={} -> {}", delivery.id(), delivery.template_id(),
               channel, delivery.provider_response());
  }
  v1::NotificationEvent event;
  *event.mutable_delivery() = delivery;
  return out.Publish(kNotificationEventsTopic, delivery.customer_id(),
                            event.SerializeAsString());
}

grpc::Status NotificationGrpc::ListDeliveries(grpc::ServerContext*,
                                              const v1::ListDeliveriesRequest* req,
                                              v1::ListDeliveriesResponse* resp) {
  if (req->customer_id().empty()) {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "customer_id is required");
  }
  auto list = deliveries_.ListByCustomer(req->customer_id(), max_page_size_);
  if (!list.ok()) return ToGrpc(list.status());
  for (auto& d : *list) *resp->add_deliveries() = std::move(d);
  return grpc::Status::OK;
}

}  // namespace mot::notification
