#pragma once

#include <string>
#include <vector>

#include "mot/ticketing/v1/ticketing.pb.h"
#include "ticketing/domain/sla_policy.h"

namespace mot::ticketing {

// Whether `ticket` can repeat an earlier one at all (a kind the rule links, with a
// category): if not, the owner's earlier tickets need not be read.
bool MayRepeat(const RepeatComplaints& rule, const v1::Ticket& ticket);

// The earlier ticket `ticket` repeats (the rule, policy.repeat_complaints()): among
// `earlier` (the owner's tickets, in any order; others' are skipped), the latest of a
// kind the rule links, of the same owner, unit and category, opened within the
// rule's window before `ticket`. nullptr when none is.
const v1::Ticket* RepeatedTicket(const RepeatComplaints& rule, const v1::Ticket& ticket,
                                 const std::vector<const v1::Ticket*>& earlier);

}  // namespace mot::ticketing
