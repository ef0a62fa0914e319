#pragma once

#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "mot/common/clock.h"
#include "mot/common/kafka.h"
#include "mot/common/record_store.h"
#include "mot/common/token_bucket.h"
#include "mot/notification/v1/notification.pb.h"
#include "notification/app/deferred_sends.h"
#include "notification/app/held_commands.h"
#include "notification/app/metrics.h"
#include "notification/app/owner_book.h"
#include "notification/app/provider.h"
#include "notification/domain/cap_ledger.h"
#include "notification/domain/delivery_attempts.h"
#include "notification/domain/delivery_retention.h"
#include "notification/domain/routing.h"
#include "notification/domain/templates.h"

namespace prometheus {
class Registry;
}

namespace mot::notification {

// What decides an owner's message (Decide) and holds what waits: the routing rules,
// the owners' profiles, the cap's ledger and the deferred sends; all required.
struct Deciding {
  const Routing& routing;
  OwnerBook& owners;
  CapLedger& caps;
  DeferredSends& deferred;
  // A command whose requested_at lies outside this window around now is refused.
  TimeWindow times;
  // How long a settled delivery's record is kept (MOT_DELIVERY_RETENTION).
  std::chrono::milliseconds retention = std::chrono::hours(24 * 365 * 5);
};

// Consumes SendNotificationCommand: renders the template; for an owner's message,
// decides with `deciding` (Decide: channels, opt-outs, frequency cap, quiet hours);
// delivers it through the channel's provider once (idempotent by command id), or
// records it as deferred or suppressed with the reason; records the delivery and
// publishes NotificationEvent on mot.notification.v1.
// A provider's failure never holds the consumer: the message is kept RETRYING with a
// durable timer (AfterAttempt: backoff with jitter, Routing::retry), then moves to the
// next channel; after the last it is FAILED, its event published and the command
// dead-lettered with every attempt in the reason. A settled delivery's record expires
// `deciding.retention` after it settled. Each channel's provider takes at
// most its rate (a token bucket); what is over waits on a timer too. The providers of
// a batch are asked at the same time, each within its own timeout.
class CommandHandler {
 public:
  CommandHandler(const TemplateSet& templates, std::map<std::string, Provider*> providers,
                 RecordStore& store, const Clock& clock, prometheus::Registry& registry,
                 Deciding deciding);
  ~CommandHandler();
  // Delivers a batch (each provider's messages sent together, the records stored in
  // one round trip); publishes each event through its `out`.
  void HandleBatch(std::vector<Work>& batch);
  absl::Status Handle(const Incoming& in, Publisher& out) { return HandleOne(*this, in, out); }

 private:
  struct Item;
  struct Batch;
  // The stages of a batch, in order.
  void Decode(Batch& b);
  bool LoadRecords(Batch& b);
  void Render(Batch& b);
  void LoadOwners(Batch& b);
  void Decide(Batch& b);
  void Route(Batch& b);
  void Throttle(Batch& b);
  void Send(Batch& b);
  void Settle(Batch& b);
  void Hold(Batch& b);
  void Record(Batch& b);
  void Retain(Batch& b);
  void Publish(Batch& b);
  // The item as `outcome` says, held on a timer of its own when it is tried again.
  void Apply(Batch& b, Item& item, AttemptOutcome outcome);
  // Counts a recorded delivery (by channel and status, or held by reason) and logs it.
  void Count(const v1::Delivery& d, const absl::Status& recorded);

  const TemplateSet& templates_;
  std::map<std::string, Provider*> providers_;
  RecordStore& store_;
  ProtoStore<v1::Delivery> deliveries_;
  const Clock& clock_;
  const Deciding deciding_;
  CommandMetrics metrics_;
  std::map<Provider*, TokenBucket> buckets_;
  std::mt19937_64 random_{std::random_device{}()};
};

}  // namespace mot::notification
