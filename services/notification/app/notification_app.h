#pragma once

#include <map>
#include <memory>

#include "domain/contact_vault.h"
#include "domain/routing.h"
#include "domain/templates.h"
#include "mot/common/clock.h"
#include "mot/common/alarm.h"
#include "mot/common/ids.h"
#include "mot/common/kafka.h"
#include "mot/common/redis.h"
#include "mot/common/timers.h"
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
  bool NeedsContactPoint() const override { return false; }

 private:
  // The URL of a request made at `unix_ms`, signed when there is a secret.
  std::string SignedUrl(int64_t unix_ms) const;
  const std::string url_;
  const std::string sign_secret_;
  const std::chrono::milliseconds timeout_;
  void* multi_;  // CURLM: its connection cache keeps connections between batches
};

// Owners' profiles as notification keeps them (contact points, segment, time zone,
// preferences): each sealed by the ContactVault under "owner:<customer id>", opened only
// to decide and send, erased when the owner is forgotten.
class OwnerBook {
 public:
  OwnerBook(RecordStore& store, const ContactVault& vault) : store_(store), vault_(vault) {}
  absl::Status Put(const customer::v1::CustomerProfile& profile);
  absl::StatusOr<std::optional<customer::v1::CustomerProfile>> Get(const std::string& customer_id);
  // Get for each, in one round trip.
  absl::StatusOr<std::vector<std::optional<customer::v1::CustomerProfile>>> GetAll(
      const std::vector<std::string>& customer_ids);
  absl::Status Forget(const std::string& customer_id);

 private:
  RecordStore& store_;
  const ContactVault& vault_;
};

// The capped messages (care, marketing) each owner was sent, for the frequency cap: a
// sorted set per owner in Redis (mot:notification:capped:<customer>), scored by when
// each went out; what is older than the cap's window is dropped as it is written.
class CapLedger {
 public:
  CapLedger(RedisClient& redis, std::chrono::milliseconds window)
      : redis_(redis), window_(window) {}
  // When each owner's capped messages went out within the window before `now`; one
  // round trip.
  absl::StatusOr<std::map<std::string, std::vector<TimePoint>>> Recent(
      const std::set<std::string>& owners, TimePoint now);
  // (owner, delivery id) pairs sent at `at`; one round trip.
  absl::Status Record(const std::vector<std::pair<std::string, std::string>>& sent, TimePoint at);

 private:
  RedisClient& redis_;
  const std::chrono::milliseconds window_;
};

// Messages held for the owner's quiet hours: each command kept as a record
// ("deferred:<delivery id>") with a timer at the end of the hours; when the timer
// fires (on the service's clock), the command is published again on
// mot.notification.commands.v1 and decided anew, then the timer and record go.
class DeferredSends {
 public:
  DeferredSends(RecordStore& store, RedisTimers& timers, Publisher& out, const Clock& clock,
                std::chrono::milliseconds tick)
      : store_(store), timers_(timers), out_(out), clock_(clock), tick_(tick),
        replica_(RandomReplicaId()) {}
  struct Held {
    std::string delivery_id, customer_id, command;  // the command's bytes
    TimePoint at;
  };
  // Keeps the commands, then arms their timers (a crash between the two leaves a
  // record without a timer, made good when the command is redelivered).
  absl::Status Hold(const std::vector<Held>& held);
  // Publishes what is due until `stop`.
  void Run(const std::atomic<bool>& stop);
  // One pass: how many were published again.
  absl::StatusOr<int> Pass();

 private:
  RecordStore& store_;
  RedisTimers& timers_;
  Publisher& out_;
  const Clock& clock_;
  const std::chrono::milliseconds tick_;
  const std::string replica_;
  Alarm alarm_;
  int64_t claims_ = 0;
};

// What decides an owner's message (Decide): the routing rules, the owners' profiles,
// the cap's ledger and the quiet-hours deferrals. Without it (nullptr routing) every
// message goes out on the channel it asks for.
struct Deciding {
  const Routing* routing = nullptr;
  OwnerBook* owners = nullptr;
  CapLedger* caps = nullptr;
  DeferredSends* deferred = nullptr;
};

// Consumes SendNotificationCommand: renders the template; for an owner's message,
// decides with `deciding` (Decide: channel, opt-outs, frequency cap, quiet hours);
// delivers it through the channel's provider once (idempotent by command id), or
// records it as deferred or suppressed with the reason; records the delivery and
// publishes NotificationEvent on mot.notification.v1.
class CommandHandler {
 public:
  CommandHandler(const TemplateSet& templates, std::map<std::string, Provider*> providers,
                 RecordStore& store, const Clock& clock, prometheus::Registry& registry,
                 Deciding deciding = {});
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
  // Counts a recorded delivery (by channel and status, or held by reason) and logs it.
  void Count(const v1::Delivery& d, const absl::Status& recorded);
  const Clock& clock_;
  const Deciding deciding_;
  std::unique_ptr<Metrics> metrics_;
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
