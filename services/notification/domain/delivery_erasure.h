#pragma once

#include "mot/common/clock.h"
#include "mot/notification/v1/notification.pb.h"

namespace mot::notification {

// What stands in a delivery's record for a value erased from it.
inline constexpr char kErased[] = "[erased]";
// Why a delivery still waiting when its owner was forgotten is SUPPRESSED.
inline constexpr char kOwnerForgotten[] = "owner_forgotten";

// A delivery's record once its owner is forgotten (customer_forgotten): what providers
// answered (provider_response, the answer of each attempt in `tried`, which may echo an
// address) and a reason that is not one of the fixed words become kErased; what metrics
// and audits count stays (ids, template, channel, category, status, times, attempts,
// who asked). A delivery still waiting (DEFERRED, RETRYING) becomes SUPPRESSED
// (owner_forgotten), so that a held command that fires later sends nothing. The record
// is settled (settled_at: when it was delivered, else `now`) so that its retention
// runs. Erasing an erased delivery changes nothing.
v1::Delivery ErasedDelivery(v1::Delivery d, TimePoint now);

}  // namespace mot::notification
