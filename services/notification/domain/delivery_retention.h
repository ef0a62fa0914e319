#pragma once

#include <chrono>
#include <optional>

#include "mot/common/clock.h"
#include "mot/notification/v1/notification.pb.h"

namespace mot::notification {

// A delivery's record is kept for a retention (MOT_DELIVERY_RETENTION) from the moment
// it settles: DELIVERED, FAILED or SUPPRESSED, states it never leaves. DEFERRED and
// RETRYING are not settled: their records are kept until they are.
bool IsSettled(v1::DeliveryStatus status);

// Stamps `d` as recorded at `now`: delivered_at for DELIVERED and FAILED, settled_at
// once it is settled (the first time only).
void Settle(v1::Delivery& d, TimePoint now);

// When the record of `d` goes: settled_at + `retention`; nullopt while it is not settled,
// or for a record settled before settled_at was kept (kept for good).
std::optional<TimePoint> RetainedUntil(const v1::Delivery& d, std::chrono::milliseconds retention);

}  // namespace mot::notification
