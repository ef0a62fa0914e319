#include "ticketing/app/owner_consumer.h"

#include "absl/strings/str_cat.h"
#include "mot/common/lifecycle_codec.h"
#include "mot/common/log.h"
#include "mot/lifecycle/v1/event.pb.h"
#include "ticketing/domain/erasure.h"

namespace mot::ticketing {

void OwnerConsumer::HandleBatch(std::vector<Work>& batch) {
  for (auto& w : batch) {
    auto forgotten = ForgottenCustomer(w.msg);
    if (!forgotten.ok()) w.status = forgotten.status();
    if (!forgotten.ok() || !forgotten->has_value()) continue;
    auto erased = Forget(**forgotten);
    w.status = erased.status();
    if (!w.status.ok()) return;  // the rest again later, after this one
    metrics_.CountErased(*erased);
    Log().info("owner forgotten: the text of {} tickets erased", *erased);
  }
}

absl::StatusOr<int> OwnerConsumer::Forget(const std::string& customer_id) {
  auto stored = store_.ListByCustomer(customer_id, kOwnerTicketsMax + 1);
  if (!stored.ok()) return stored.status();
  if (stored->size() > kOwnerTicketsMax) {
    // A feed gone wrong: the first ones are erased, the rest is logged (no id) for a
    // person to look at.
    Log().warn("owner forgotten: more than {} tickets; only the first {} erased", kOwnerTicketsMax,
               kOwnerTicketsMax);
    stored->resize(kOwnerTicketsMax);
  }
  int erased = 0;
  for (auto& bytes : *stored) {
    v1::Ticket ticket;
    if (!ticket.ParseFromString(bytes)) {
      return absl::DataLossError("a stored ticket cannot be decoded");
    }
    auto changed = Erase(ticket.id(), std::move(bytes));
    if (!changed.ok()) return changed.status();
    erased += *changed ? 1 : 0;
  }
  return erased;
}

absl::StatusOr<bool> OwnerConsumer::Erase(const std::string& id, std::string bytes) {
  constexpr int kAttempts = 5;
  for (int attempt = 0; attempt < kAttempts; ++attempt) {
    v1::Ticket ticket;
    if (!ticket.ParseFromString(bytes)) {
      return absl::DataLossError(absl::StrCat("stored ticket ", id, " cannot be decoded"));
    }
    if (IsErased(ticket)) return false;
    const v1::Ticket erased = EraseText(ticket, clock_.Now());
    auto replaced = store_.Replace(id, bytes, erased.SerializeAsString());
    if (!replaced.ok()) return replaced.status();
    if (*replaced) return true;
    auto again = store_.Get(id);  // changed meanwhile: erase what it is now
    if (!again.ok()) return again.status();
    if (!again->has_value()) return false;  // gone (its retention ran out)
    bytes = **std::move(again);
  }
  return absl::AbortedError(absl::StrCat("ticket ", id, " kept changing while being erased"));
}

}  // namespace mot::ticketing
