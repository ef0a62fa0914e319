#pragma once

#include <map>
#include <memory>

#include "domain/contact_vault.h"
#include "domain/templates.h"
#include "mot/common/clock.h"
#include "mot/common/kafka.h"
#include "mot/common/record_store.h"
#include "mot/customer/v1/profile.pb.h"
#include "mot/notification/v1/notification.grpc.pb.h"

namespace prometheus {
class Registry;
}

namespace mot::notification {

// A WeCom/DingTalk-robot style provider: POSTs {"msgtype":"text","text":{"content":...}}
// as JSON to a webhook URL (libcurl) and reads the robot's {"errcode":...} answer.
// A batch goes out concurrently over up to `connections` kept-alive connections.
// With `sign_secret` (a DingTalk robot's 加签 secret), each request's URL carries
// &timestamp=<ms>&sign=<base64 HMAC-SHA256 of "<timestamp>\n<secret>", URL-encoded>;
// the timestamp is the machine's real time (the robot refuses one an hour off).
class WebhookProvider : public Provider {
 public:
  WebhookProvider(std::string url, std::chrono::milliseconds timeout, int connections,
                  std::string sign_secret = "");
  ~WebhookProvider() override;
  absl::StatusOr<std::string> Send(const OutgoingMessage& message) override;
  std::vector<absl::StatusOr<std::string>> SendAll(
      const std::vector<OutgoingMessage>& messages) override;

 private:
  // The URL of a request made at `unix_ms`, signed when there is a secret.
  std::string SignedUrl(int64_t unix_ms) const;
  const std::string url_;
  const std::string sign_secret_;
  const std::chrono::milliseconds timeout_;
  void* multi_;  // CURLM: its connection cache keeps connections between batches
};

// Consumes SendNotificationCommand: renders the template, delivers it through the
// channel's provider once (idempotent by command id), records the delivery and
// publishes NotificationEvent on mot.notification.v1.
class CommandHandler {
 public:
  CommandHandler(const TemplateSet& templates, std::map<std::string, Provider*> providers,
                 RecordStore& store, const Clock& clock, prometheus::Registry& registry);
  ~CommandHandler();
  // Delivers a batch (each provider's messages sent together, the records stored in
  // one round trip); publishes each event through its `out`.
  void HandleBatch(std::vector<Work>& batch);
  absl::Status Handle(const Incoming& in, Publisher& out) { return HandleOne(*this, in, out); }

 private:
  struct Metrics;
  const TemplateSet& templates_;
  std::map<std::string, Provider*> providers_;
  ProtoStore<v1::Delivery> deliveries_;
  const Clock& clock_;
  std::unique_ptr<Metrics> metrics_;
};

// Owners' profiles as notification keeps them (contact points, segment, time zone,
// preferences): each sealed by the ContactVault under "owner:<customer id>", opened only
// to decide and send, erased when the owner is forgotten.
class OwnerBook {
 public:
  OwnerBook(RecordStore& store, const ContactVault& vault) : store_(store), vault_(vault) {}
  absl::Status Put(const customer::v1::CustomerProfile& profile);
  absl::StatusOr<std::optional<customer::v1::CustomerProfile>> Get(const std::string& customer_id);
  absl::Status Forget(const std::string& customer_id);

 private:
  RecordStore& store_;
  const ContactVault& vault_;
};

// Consumes mot.customer.v1 (each profile kept, sealed, in the OwnerBook) and
// mot.lifecycle.v1 (customer_forgotten erases the owner's record; other types pass).
class OwnerHandler {
 public:
  OwnerHandler(OwnerBook& book, prometheus::Registry& registry);
  ~OwnerHandler();
  void HandleBatch(std::vector<Work>& batch);
  absl::Status Handle(const Incoming& in, Publisher& out) { return HandleOne(*this, in, out); }

 private:
  struct Metrics;
  OwnerBook& book_;
  std::unique_ptr<Metrics> metrics_;
};

class NotificationGrpc final : public v1::NotificationService::Service {
 public:
  NotificationGrpc(RecordStore& store, int max_page_size)
      : deliveries_(store), max_page_size_(max_page_size) {}
  grpc::Status ListDeliveries(grpc::ServerContext*, const v1::ListDeliveriesRequest* req,
                              v1::ListDeliveriesResponse* resp) override;

 private:
  ProtoStore<v1::Delivery> deliveries_;
  const int max_page_size_;
};

}  // namespace mot::notification
