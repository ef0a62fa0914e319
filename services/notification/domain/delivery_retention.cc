#include "notification/domain/delivery_retention.h"

namespace mot::notification {

bool IsSettled(v1::DeliveryStatus status) {
  return status == v1::DELIVERY_STATUS_DELIVERED || status == v1::DELIVERY_STATUS_FAILED ||
         status == v1::DELIVERY_STATUS_SUPPRESSED;
}

void Settle(v1::Delivery& d, TimePoint now) {
  if (d.status() == v1::DELIVERY_STATUS_DELIVERED || d.status() == v1::DELIVERY_STATUS_FAILED) {
    *d.mutable_delivered_at() = ToProto(now);
  }
  if (IsSettled(d.status()) && !d.has_settled_at()) *d.mutable_settled_at() = ToProto(now);
}

std::optional<TimePoint> RetainedUntil(const v1::Delivery& d, std::chrono::milliseconds retention) {
  if (!IsSettled(d.status()) || !d.has_settled_at()) return std::nullopt;
  return FromProto(d.settled_at()) + retention;
}

}  // namespace mot::notification
