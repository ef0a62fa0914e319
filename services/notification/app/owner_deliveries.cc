#include "notification/app/owner_deliveries.h"

#include <utility>

namespace mot::notification {

absl::StatusOr<std::vector<StoredDelivery>> DeliveriesOf(RecordStore& store,
                                                         const std::string& customer_id,
                                                         size_t page) {
  std::vector<StoredDelivery> out;
  PageCursor at;
  while (true) {
    auto entries = store.PageByCustomer(customer_id, at, page);
    if (!entries.ok()) return entries.status();
    std::vector<std::string> ids;
    for (const auto& [id, order] : *entries) {
      ids.push_back(id);
      at.Pass(order);
    }
    auto found = store.GetAll(ids);
    if (!found.ok()) return found.status();
    for (auto& bytes : *found) {
      if (!bytes) continue;  // expired since the index was read
      StoredDelivery d;
      if (!d.delivery.ParseFromString(*bytes)) {
        return absl::DataLossError("stored mot.notification.v1.Delivery cannot be decoded");
      }
      d.bytes = std::move(*bytes);
      out.push_back(std::move(d));
    }
    if (entries->empty() || entries->size() < page) return out;
  }
}

}  // namespace mot::notification
