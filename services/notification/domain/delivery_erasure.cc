#include "notification/domain/delivery_erasure.h"

#include <set>
#include <string>

#include "absl/strings/str_cat.h"
#include "notification/domain/delivery_attempts.h"
#include "notification/domain/delivery_retention.h"

namespace mot::notification {

namespace {

// The words a record's reason is made of (Decision::reason, delivery_attempts.h):
// nothing of the owner's in them.
bool IsReasonWord(const std::string& reason) {
  static const std::set<std::string> kWords = {"opted_out",          "frequency_cap", "unreachable",
                                               kProviderUnavailable, kRateLimited,    kNextChannel,
                                               kEveryChannelFailed,  kOwnerForgotten};
  return kWords.count(reason) > 0;
}

// "<channel>: <the provider's answer>" without the answer.
std::string ErasedAttempt(const std::string& tried) {
  const size_t colon = tried.find(": ");
  if (colon == std::string::npos) return kErased;
  return absl::StrCat(tried.substr(0, colon), ": ", kErased);
}

}  // namespace

v1::Delivery ErasedDelivery(v1::Delivery d, TimePoint now) {
  if (!d.provider_response().empty()) d.set_provider_response(kErased);
  for (auto& tried : *d.mutable_tried()) tried = ErasedAttempt(tried);
  if (d.status() == v1::DELIVERY_STATUS_DEFERRED || d.status() == v1::DELIVERY_STATUS_RETRYING) {
    d.set_status(v1::DELIVERY_STATUS_SUPPRESSED);
    d.set_reason(kOwnerForgotten);
    d.clear_deferred_until();
    d.clear_next_channels();
  }
  if (!d.reason().empty() && !IsReasonWord(d.reason())) d.set_reason(kErased);
  if (IsSettled(d.status()) && !d.has_settled_at()) {
    *d.mutable_settled_at() = d.has_delivered_at() ? d.delivered_at() : ToProto(now);
  }
  return d;
}

}  // namespace mot::notification
