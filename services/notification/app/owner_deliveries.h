#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "mot/common/record_store.h"
#include "mot/notification/v1/notification.pb.h"

namespace mot::notification {

// A delivery's record as stored: the message and its bytes (for a compare-and-set).
struct StoredDelivery {
  v1::Delivery delivery;
  std::string bytes;
};

// Every delivery recorded for `customer_id`, newest first, read `page` at a time from
// the store's index of the owner's records.
absl::StatusOr<std::vector<StoredDelivery>> DeliveriesOf(RecordStore& store,
                                                         const std::string& customer_id,
                                                         size_t page = 500);

}  // namespace mot::notification
