#pragma once

#include <vector>

#include "mot/common/messaging.h"
#include "mot/ticketing/v1/ticketing.pb.h"
#include "ticketing/domain/sla_policy.h"

namespace mot::ticketing {

// What a stored change of a ticket sends on (`before` has no id when it was just
// opened): its domain events on mot.ticket.v1 (the change's own, then MILESTONE_MET
// for each milestone it met) and the owner's progress message (acknowledged with the
// planned time, resolved) where the policy says so. Deterministic command ids: sent
// again after a retry, the owner is told once.
std::vector<OutMessage> MessagesOfChange(const SlaPolicy& policy, const v1::Ticket& before,
                                         const v1::Ticket& after);

// What an alert sends: its event (and ESCALATED when it reaches a configured role) on
// mot.ticket.v1, and the role's notification, which names no owner. Its command id is
// the alert's, so the role is told once however often the alert is sent.
std::vector<OutMessage> MessagesOfAlert(const SlaPolicy& policy, const v1::Ticket& ticket,
                                        const v1::SlaAlert& alert);

}  // namespace mot::ticketing
