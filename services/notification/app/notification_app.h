#pragma once

#include <map>
#include <memory>
#include <random>

#include "app/providers.h"
#include "domain/contact_vault.h"
#include "domain/routing.h"
#include "domain/templates.h"
#include "mot/common/token_bucket.h"
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

// Owners' profiles as notification keeps them (contact points, segment, time zone,
// preferences): each sealed by the ContactVault under "owner:<customer id>", opened only
// to decide and send, erased when the owner is forgotten.
class OwnerBook {
 public:
  OwnerBook(RecordStore& store, const ContactVault& vault) : store_(store), vault_(vault) {}
  absl::Status Put(const customer::v1::CustomerProfile& profile);
  absl::StatusOr<std::optional<customer::v1::CustomerProfile>> Get(const std::string& customer_id);
  // Get for each, in one round trip.
  // With the preferences set through the API (SetPreferences) in place of the
  // profile's; a profile of only those when the CRM sent none.
  absl::StatusOr<std::vector<std::optional<customer::v1::CustomerProfile>>> GetAll(
      const std::vector<std::string>& customer_ids);
  // The owner's preferences set through the API, kept sealed ("prefs:<customer id>").
  absl::Status SetPreferences(const std::string& customer_id, const customer::v1::Preferences& prefs);
  // The preferences decided with, and where they come from: "api", "profile" or "none".
  absl::StatusOr<std::pair<customer::v1::Preferences, std::string>> Preferences(
      const std::string& customer_id);
  // Erases the profile and the preferences.
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

// Messages held for later: for the owner's quiet hours (decided anew when they end)
// or a retry (tried again on its channel). Each command is kept as a record
// ("deferred:<key>") with a timer of the same key; when the timer fires (on the
// service's clock), the command is published again on mot.notification.commands.v1,
// then the timer and record go. A retry's key is new each time, so a command held
// again before its last hold is cleared up keeps its record.
class DeferredSends {
 public:
  DeferredSends(RecordStore& store, RedisTimers& timers, Publisher& out, const Clock& clock,
                std::chrono::milliseconds tick)
      : store_(store), timers_(timers), out_(out), clock_(clock), tick_(tick),
        replica_(RandomReplicaId()) {}
  struct Held {
    std::string key;  // the delivery id for quiet hours; "<delivery id>/<random>" for a retry
    std::string customer_id, command;  // the command's bytes
    TimePoint at;
  };
  // How often it looks for what is due.
  std::chrono::milliseconds tick() const { return tick_; }
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
  // A command whose requested_at lies outside this window around now is refused.
  TimeWindow times;
};

// Consumes SendNotificationCommand: renders the template; for an owner's message,
// decides with `deciding` (Decide: channels, opt-outs, frequency cap, quiet hours);
// delivers it through the channel's provider once (idempotent by command id), or
// records it as deferred or suppressed with the reason; records the delivery and
// publishes NotificationEvent on mot.notification.v1.
// With `deciding.deferred`, a provider's failure never holds the consumer: the
// message is kept RETRYING with a durable timer (backoff with jitter, Routing::retry),
// then moves to the next channel; after the last it is FAILED, its event published and
// the command dead-lettered with every attempt in the reason. Each channel's provider
// takes at most its rate (a token bucket); what is over waits on a timer too. The
// providers of a batch are asked at the same time, each within its own timeout.
// Without it, a provider's Unavailable leaves the message to the consumer's retry.
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
  std::map<Provider*, TokenBucket> buckets_;
  std::mt19937_64 random_{std::random_device{}()};
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

// The gRPC API: Send (checked, then queued as a command), ListDeliveries (newest first,
// paged), Get/SetPreferences.
class NotificationGrpc final : public v1::NotificationService::Service {
 public:
  struct Parts {
    RecordStore& store;
    int max_page_size;
    const TemplateSet& templates;
    const Routing& routing;
    OwnerBook& owners;
    Publisher& out;
  };
  explicit NotificationGrpc(Parts parts) : parts_(parts), deliveries_(parts.store) {}
  grpc::Status Send(grpc::ServerContext*, const v1::SendRequest* req, v1::SendResponse* resp) override;
  grpc::Status ListDeliveries(grpc::ServerContext*, const v1::ListDeliveriesRequest* req,
                              v1::ListDeliveriesResponse* resp) override;
  grpc::Status GetPreferences(grpc::ServerContext*, const v1::GetPreferencesRequest* req,
                              v1::GetPreferencesResponse* resp) override;
  grpc::Status SetPreferences(grpc::ServerContext*, const v1::SetPreferencesRequest* req,
                              v1::SetPreferencesResponse* resp) override;

 private:
  Parts parts_;
  ProtoStore<v1::Delivery> deliveries_;
};

}  // namespace mot::notification
