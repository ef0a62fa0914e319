#pragma once

#include <atomic>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "mot/common/claim_loop.h"
#include "mot/common/clock.h"
#include "mot/common/messaging.h"
#include "mot/common/record_store.h"
#include "mot/common/timers.h"
#include "mot/ticketing/v1/ticketing.pb.h"
#include "ticketing/app/metrics.h"
#include "ticketing/domain/sla_clock.h"
#include "ticketing/domain/sla_policy.h"
#include "ticketing/domain/ticket_index.h"

namespace mot::ticketing {

// The tickets' SLA timers, on the shared claim loop (mot::ClaimLoop) over the timer
// port (mot::Timers; RedisTimers in production): one timer per ticket, due when its
// SLA next asks for something (a warning, a breach, the risk warning). A pass claims
// what is due, reviews each ticket from its history and the policy in force (Review),
// publishes the alerts (MessagesOfAlert: SLA_WARNING, SLA_BREACHED, RISK_WARNING;
// ESCALATED with the role's notification for a rung of the ladder), records them on
// the ticket (compare and set, so each is raised once) and settles the timer at what
// comes next, while its claim is still the pass's own.
class SlaWatch {
 public:
  // `options.lease` must outlive the publisher's delivery timeout (CheckClaimOptions,
  // checked where the configuration is read).
  SlaWatch(RecordStore& store, Timers& timers, IndexStore& index, Publisher& publisher,
           const Clock& clock, const SlaPolicy& policy, ClaimOptions options,
           TicketingMetrics& metrics);
  // The open tickets of each kind (for the gauge), from the index.
  void CountOpen();
  // After tickets were stored: each one's timer at the next time its SLA asks for
  // something (at once when that has passed), in one round trip. A pass working on
  // an older state of one of them can no longer settle its timer.
  absl::Status Watch(const std::vector<v1::Ticket>& tickets);
  // One pass over every partition, under a fresh token: `settled` is the number of
  // alerts raised; `more` when a partition had a full batch due.
  absl::StatusOr<ClaimLoop::Passed> Pass() { return loop_.Pass(); }
  // A pass every tick (at once after a full batch or a Watch of something due now);
  // the open-tickets gauge refreshed every 10 s.
  void Run(const std::atomic<bool>& stop);

 private:
  absl::StatusOr<ClaimLoop::Passed> PassAs(const std::string& token);
  // The claimed tickets together: read in one round trip, their alerts published
  // together, each recorded (compare and set; a ticket changed meanwhile is settled on
  // its own), its timer settled for what comes next.
  absl::StatusOr<int> SettleAll(const std::vector<std::pair<int, std::string>>& claimed,
                                const std::string& token, TimePoint now);
  // One ticket, read again until its alerts are recorded on the state they came from.
  absl::StatusOr<int> Settle(int partition, const std::string& id, const std::string& token,
                             TimePoint now);
  // Counted and logged, once recorded.
  void Raised(const v1::Ticket& ticket, const std::vector<v1::SlaAlert>& alerts);

  RecordStore& records_;
  Timers& timers_;
  IndexStore& index_;
  Publisher& publisher_;
  const Clock& clock_;
  const SlaPolicy& policy_;
  TicketingMetrics& metrics_;
  const std::vector<int> partitions_;
  ClaimLoop loop_;
};

}  // namespace mot::ticketing
