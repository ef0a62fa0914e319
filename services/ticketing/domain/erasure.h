#pragma once

#include <cstddef>

#include "mot/common/clock.h"
#include "mot/ticketing/v1/ticketing.pb.h"

namespace mot::ticketing {

// What every piece of an owner's free text becomes once the owner is forgotten.
inline constexpr char kErased[] = "[erased]";
// The reason of the history entry an erasure records.
inline constexpr char kErasureReason[] = "text erased: the owner was forgotten";
// Who makes that entry.
inline constexpr char kErasureActor[] = "ticketing";
// The most tickets of one owner that are erased or exported at once (far more than an
// owner has: a larger number is a feed gone wrong).
inline constexpr size_t kOwnerTicketsMax = 100000;

// The ticket with the owner's free text erased (PIPL: the owner was forgotten): its
// summary, every note's text and every change's reason become kErased (empty ones stay
// empty). What the ticket was stays: kind, category, project, unit, status, team,
// assignee, who acted, every time, deadline, alert and defect code. The erasure is
// recorded in the history (kErasureReason at `now`, the status unchanged) when it
// changed something or none is recorded yet; erasing again changes nothing more.
v1::Ticket EraseText(const v1::Ticket& ticket, TimePoint now);

// Whether the ticket's free text is erased (as EraseText leaves it).
bool IsErased(const v1::Ticket& ticket);

}  // namespace mot::ticketing
