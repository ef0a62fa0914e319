#pragma once

#include <vector>

#include "mot/common/kafka.h"
#include "notification/app/metrics.h"
#include "notification/app/owner_book.h"
#include "notification/app/owner_eraser.h"

namespace prometheus {
class Registry;
}

namespace mot::notification {

// Consumes mot.customer.v1 (each profile kept, sealed, in the OwnerBook) and
// mot.lifecycle.v1 (customer_forgotten erases what is kept of the owner's, OwnerEraser;
// other types pass).
class OwnerHandler {
 public:
  OwnerHandler(OwnerBook& book, OwnerEraser& eraser, prometheus::Registry& registry)
      : book_(book), eraser_(eraser), metrics_(registry) {}
  void HandleBatch(std::vector<Work>& batch);
  absl::Status Handle(const Incoming& in, Publisher& out) { return HandleOne(*this, in, out); }

 private:
  OwnerBook& book_;
  OwnerEraser& eraser_;
  OwnerMetrics metrics_;
};

}  // namespace mot::notification
