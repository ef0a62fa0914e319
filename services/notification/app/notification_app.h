#pragma once

#include <map>
#include <memory>

#include "domain/templates.h"
#include "mot/common/clock.h"
#include "mot/common/kafka.h"
#include "mot/common/record_store.h"
#include "mot/notification/v1/notification.grpc.pb.h"

namespace prometheus {
class Registry;
}

namespace mot::notification {

// A WeCom/DingTalk-robot style provider: POSTs {"msgtype":"text","text":{"content":...}}
// as JSON to a webhook URL (libcurl) and reads the robot's {"errcode":...} answer.
// A batch goes out concurrently over up to `connections` kept-alive connections.
class WebhookProvider : public Provider {
 public:
  WebhookProvider(std::string url, std::chrono::milliseconds timeout, int connections);
  ~WebhookProvider() override;
  absl::StatusOr<std::string> Send(const OutgoingMessage& message) override;
  std::vector<absl::StatusOr<std::string>> SendAll(
      const std::vector<OutgoingMessage>& messages) override;

 private:
  const std::string url_;
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
