#pragma once

#include <vector>

#include "mot/common/kafka.h"
#include "notification/app/metrics.h"
#include "notification/app/owner_book.h"

namespace prometheus {
class Registry;
}

namespace mot::notification {

// Consumes mot.customer.v1 (each profile kept, sealed, in the OwnerBook) and
// mot.lifecycle.v1 (customer_forgotten erases the owner's record; other types pass).
class OwnerHandler {
 public:
  OwnerHandler(OwnerBook& book, prometheus::Registry& registry) : book_(book), metrics_(registry) {}
  void HandleBatch(std::vector<Work>& batch);
  absl::Status Handle(const Incoming& in, Publisher& out) { return HandleOne(*this, in, out); }

 private:
  OwnerBook& book_;
  OwnerMetrics metrics_;
};

}  // namespace mot::notification
