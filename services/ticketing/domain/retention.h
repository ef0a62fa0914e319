#pragma once

#include <chrono>
#include <cstdint>
#include <optional>

#include "mot/common/clock.h"
#include "mot/ticketing/v1/ticketing.pb.h"

namespace mot::ticketing {

// How long a ticket's record is kept once it is closed (MOT_TICKET_RETENTION): by
// default the domain's five years after a ticket closes; then the store removes it.
struct Retention {
  std::chrono::milliseconds after_close{std::chrono::hours(24 * 365 * 5)};
};

// When the ticket's record goes: `retention` after it last went to CLOSED (its final
// state); nullopt while it is not closed (kept for good: a reopened ticket too).
std::optional<TimePoint> RetainedUntil(const v1::Ticket& ticket, const Retention& retention);

// The same in the store's terms (RecordStore::ExpireAt): unix ms, 0 to keep it.
int64_t ExpiryOf(const v1::Ticket& ticket, const Retention& retention);

// Whether a change from `before` to `after` moves the record's expiry: it closes the
// ticket, or reopens a closed one.
bool ChangesRetention(const v1::Ticket& before, const v1::Ticket& after);

}  // namespace mot::ticketing
