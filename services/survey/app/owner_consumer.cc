#include "survey/app/owner_consumer.h"

#include "mot/common/lifecycle_codec.h"
#include "mot/common/log.h"
#include "mot/lifecycle/v1/event.pb.h"
#include "prometheus/counter.h"

namespace mot::survey {

absl::Status OwnerHandler::Handle(const Incoming& in) {
  auto forgotten = ForgottenCustomer(in);
  if (!forgotten.ok() || !forgotten->has_value()) return forgotten.status();
  auto erased = eraser_.Forget(**forgotten);
  if (!erased.ok()) return erased.status();
  metrics_.erasures->Increment(*erased);
  Log().info("an owner forgotten: {} survey instances erased", *erased);
  return absl::OkStatus();
}

}  // namespace mot::survey
