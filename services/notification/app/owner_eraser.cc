#include "notification/app/owner_eraser.h"

#include <utility>

#include "mot/common/log.h"
#include "notification/app/held_commands.h"
#include "notification/domain/delivery_erasure.h"
#include "notification/domain/delivery_retention.h"
#include "prometheus/counter.h"

namespace mot::notification {

OwnerEraser::OwnerEraser(Parts parts, prometheus::Registry& registry)
    : parts_(parts), metrics_(registry) {}

absl::Status OwnerEraser::Forget(const std::string& customer_id) {
  auto stored = DeliveriesOf(parts_.store, customer_id);
  if (!stored.ok()) return stored.status();
  auto forgotten = parts_.owners.Forget(customer_id);
  if (!forgotten.ok()) return forgotten.status();
  if (forgotten->profile) metrics_.contact_record.Increment();
  if (forgotten->preferences) metrics_.preferences.Increment();
  if (auto s = EraseDeliveries(*stored); !s.ok()) return s;
  std::vector<v1::Delivery> deliveries;
  for (const auto& s : *stored) deliveries.push_back(s.delivery);
  auto dropped = HeldCommands(parts_.store).Drop(deliveries);
  if (!dropped.ok()) return dropped.status();
  metrics_.deferred_send.Increment(*dropped);
  Log().info(
      "owner forgotten: {} delivery records erased (or found erased), {} held commands "
      "dropped",
      stored->size(), *dropped);
  return absl::OkStatus();
}

absl::Status OwnerEraser::EraseDeliveries(const std::vector<StoredDelivery>& stored) {
  const TimePoint now = parts_.clock.Now();
  std::vector<std::pair<std::string, int64_t>> expiring;
  for (const auto& s : stored) {
    const v1::Delivery erased = ErasedDelivery(s.delivery, now);
    const std::string bytes = erased.SerializeAsString();
    if (bytes != s.bytes) {
      auto replaced = parts_.store.Replace(erased.id(), s.bytes, bytes);
      if (!replaced.ok()) return replaced.status();
      if (!*replaced) {
        return absl::AbortedError("a delivery changed while it was erased; erased again later");
      }
      metrics_.delivery.Increment();
    }
    if (auto until = RetainedUntil(erased, parts_.retention)) {
      expiring.emplace_back(erased.id(), ToUnixMillis(*until));
    }
  }
  return parts_.store.ExpireAt(expiring);
}

}  // namespace mot::notification
