#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "mot/common/clock.h"
#include "mot/common/record_store.h"
#include "notification/app/metrics.h"
#include "notification/app/owner_book.h"
#include "notification/app/owner_deliveries.h"

namespace prometheus {
class Registry;
}

namespace mot::notification {

// Erases what notification holds of an owner's when the owner is forgotten
// (customer_forgotten): the sealed profile and preferences (OwnerBook); each delivery's
// record (ErasedDelivery, compare-and-set against a consumer changing it meanwhile;
// one still waiting becomes SUPPRESSED), whose retention is set; then the commands
// held for those deliveries (quiet hours, retries), so nothing goes out later, and
// nothing is left of their variables. Each thing erased is counted
// (mot_notification_erasures_total{what}). Idempotent: a second time erases nothing.
// The frequency cap's ledger keeps only delivery ids and send times under the owner's
// id, nothing personal, and expires with the cap's window.
class OwnerEraser {
 public:
  struct Parts {
    OwnerBook& owners;
    RecordStore& store;
    const Clock& clock;
    std::chrono::milliseconds retention;  // MOT_DELIVERY_RETENTION
  };
  OwnerEraser(Parts parts, prometheus::Registry& registry);
  // Aborted when a delivery changed while it was erased (the event is handled again).
  absl::Status Forget(const std::string& customer_id);

 private:
  absl::Status EraseDeliveries(const std::vector<StoredDelivery>& stored);
  Parts parts_;
  ErasureMetrics metrics_;
};

}  // namespace mot::notification
