#include "survey/app/owner_consumer.h"

#include "mot/common/lifecycle_codec.h"
#include "mot/common/log.h"
#include "mot/lifecycle/v1/event.pb.h"
#include "prometheus/counter.h"

namespace mot::survey {

namespace {
constexpr char kCustomerForgotten[] = "customer_forgotten";
}  // namespace

absl::Status OwnerHandler::Handle(const Incoming& in) {
  lifecycle::v1::LifecycleEvent event;
  if (!DecodeLifecycleEvent(in, &event).ok() || event.type() != kCustomerForgotten) {
    return absl::OkStatus();
  }
  if (event.customer_id().empty()) return absl::InvalidArgumentError("customer_id is required");
  auto erased = eraser_.Forget(event.customer_id());
  if (!erased.ok()) return erased.status();
  metrics_.erasures->Increment(*erased);
  Log().info("an owner forgotten: {} survey instances erased", *erased);
  return absl::OkStatus();
}

}  // namespace mot::survey
