#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "mot/ticketing/v1/ticketing.pb.h"

namespace mot::ticketing {

// A ticket open (not resolved or closed).
bool IsOpen(const v1::Ticket& ticket);

// A ticket that has breached a milestone (a BREACHED alert is recorded on it).
bool IsBreached(const v1::Ticket& ticket);

// A change of one ticket: the ticket before and after it; `replayed` when the request
// was made before (then before and after are that earlier change's, rebuilt from the
// history, so that its messages can be sent again).
struct Changed {
  v1::Ticket before, after;
  bool replayed = false;
};

// The change with request id `request_id` in the history, as before and after it (the
// ticket as it is, twice, when no change has that id).
Changed ReplayOfChange(const v1::Ticket& ticket, const std::string& request_id);

// The note with request id `request_id`, as the ticket before and after it was added
// (the ticket as it is, twice, when no note has that id).
Changed ReplayOfNote(const v1::Ticket& ticket, const std::string& request_id);

// What a change of `ticket` to `next` (a transition, assignment or reclassification
// that saw `replayed`) comes to: its refusal, the earlier change of `request_id` when
// it was asked before, or `ticket` -> `next`.
absl::StatusOr<Changed> ChangedBy(const v1::Ticket& ticket, absl::StatusOr<v1::Ticket> next,
                                  bool replayed, const std::string& request_id);

}  // namespace mot::ticketing
