#include "notification/app/owner_consumer.h"

#include "mot/common/codec.h"
#include "mot/common/lifecycle_codec.h"
#include "mot/common/topics.h"
#include "mot/customer/v1/profile.pb.h"
#include "mot/lifecycle/v1/event.pb.h"
#include "prometheus/counter.h"

namespace mot::notification {

void OwnerHandler::HandleBatch(std::vector<Work>& batch) {
  for (auto& w : batch) {
    if (w.msg.topic == kCustomerTopic) {
      customer::v1::CustomerProfile profile;
      w.status = DecodeMessage(w.msg, &profile);
      if (w.status.ok() && profile.customer_id().empty()) {
        w.status = absl::InvalidArgumentError("customer_id is required");
      }
      if (w.status.ok()) w.status = book_.Put(profile);
      if (w.status.ok()) metrics_.kept.Increment();
    } else {
      auto forgotten = ForgottenCustomer(w.msg);
      if (!forgotten.ok()) w.status = forgotten.status();
      if (!forgotten.ok() || !forgotten->has_value()) continue;
      w.status = eraser_.Forget(**forgotten);
      if (w.status.ok()) metrics_.forgotten.Increment();
    }
    if (!w.status.ok() && !absl::IsInvalidArgument(w.status)) return;  // the rest again later
  }
}

}  // namespace mot::notification
