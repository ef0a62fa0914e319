#pragma once

#include "domain/lifecycle.h"
#include "domain/sla_clock.h"
#include "domain/sla_policy.h"
#include "mot/common/alarm.h"
#include "mot/common/clock.h"
#include "mot/common/kafka.h"
#include "mot/common/record_store.h"
#include "mot/common/timers.h"
#include "mot/ticketing/v1/ticketing.grpc.pb.h"

#include "prometheus/counter.h"
#include "prometheus/histogram.h"
#include "prometheus/registry.h"

namespace mot::ticketing {

// Declared once; what ticketing counts.
struct TicketingMetrics {
  prometheus::Family<prometheus::Counter>& opened;       // by kind
  prometheus::Family<prometheus::Counter>& transitions;  // by kind, to
  prometheus::Family<prometheus::Counter>& alerts;       // by kind, alert
  prometheus::Family<prometheus::Counter>& escalations;  // by kind, level
  prometheus::Family<prometheus::Counter>& milestones;   // by kind, result (in_time, late)
  prometheus::Family<prometheus::Histogram>& time_to;    // by kind, milestone
};

std::unique_ptr<TicketingMetrics> MakeTicketingMetrics(prometheus::Registry& registry);
// Counts a change (a ticket opened, moved, a milestone met) for the dashboards.
void CountChange(TicketingMetrics& metrics, const SlaPolicy& policy, const v1::Ticket& before,
                 const v1::Ticket& after);

// What a stored change of a ticket sends on: its domain events on mot.ticket.v1 (the
// change's own, then MILESTONE_MET for each milestone it met) and the owner's progress
// message (acknowledged with the planned time, resolved) where the policy says so.
// Deterministic command ids: sent again after a retry, the owner is told once.
std::vector<OutMessage> MessagesOfChange(const SlaPolicy* policy, const v1::Ticket& before,
                                         const v1::Ticket& after);

struct SlaWatchOptions {
  std::chrono::milliseconds tick{1000};
  // Longer than the producer's delivery timeout: a claim outlives a slow publish.
  std::chrono::milliseconds lease{60000};
  int batch = 100;
};

// The tickets' SLA timers, on the shared timer engine (mot::RedisTimers): one per
// ticket, due when its SLA next asks for something (a warning, a breach, the risk
// warning). A pass claims what is due, reviews each ticket from its history and the
// policy in force (Review), publishes the alerts (SLA_WARNING, SLA_BREACHED,
// RISK_WARNING; ESCALATED with the role's notification for a rung of the ladder),
// records them on the ticket (compare and set, so each is raised once) and arms the
// timer again for what comes next.
class SlaWatch {
 public:
  SlaWatch(RecordStore& store, RedisTimers& timers, Publisher& publisher, const Clock& clock,
           const SlaPolicy& policy, SlaWatchOptions options, TicketingMetrics& metrics);
  // After tickets were stored: each one's timer at the next time its SLA asks for
  // something (at once when that has passed), in one round trip.
  absl::Status Watch(const std::vector<v1::Ticket>& tickets);
  // One pass over every partition: the alerts raised.
  absl::StatusOr<int> Pass();
  // A pass every tick.
  void Run(const std::atomic<bool>& stop);

 private:
  absl::StatusOr<int> Settle(int partition, const std::string& id, const std::string& token,
                             TimePoint now);

  RecordStore& records_;
  RedisTimers& timers_;
  Publisher& publisher_;
  const Clock& clock_;
  const SlaPolicy& policy_;
  const SlaWatchOptions options_;
  TicketingMetrics& metrics_;
  const std::string replica_;
  uint64_t claims_ = 0;
  Alarm alarm_;
};

// The messages an alert sends: its event (and ESCALATED when it escalates) on
// mot.ticket.v1, and the role's notification.
std::vector<OutMessage> MessagesOfAlert(const SlaPolicy& policy, const v1::Ticket& ticket,
                                        const v1::SlaAlert& alert);

// Consumes OpenTicketCommand: opens the ticket once (idempotent by command id),
// then publishes TicketEvent OPENED on mot.ticket.v1 (again on a redelivery, so a
// crash between the two never loses the event).
class CommandHandler {
 public:
  // With `watch`, each new ticket's SLA timer is armed.
  CommandHandler(const SlaPolicy& policy, RecordStore& store, SlaWatch* watch = nullptr,
                 TicketingMetrics* metrics = nullptr)
      : policy_(policy), tickets_(store), watch_(watch), metrics_(metrics) {}
  // Opens the batch's tickets in one round trip; publishes each event through its `out`.
  void HandleBatch(std::vector<Work>& batch);
  absl::Status Handle(const Incoming& in, Publisher& out) { return HandleOne(*this, in, out); }

 private:
  const SlaPolicy& policy_;
  ProtoStore<v1::Ticket> tickets_;
  SlaWatch* watch_;
  TicketingMetrics* metrics_;
};

class TicketingGrpc final : public v1::TicketingService::Service {
 public:
  // `publisher` and `clock` for transitions: each change publishes its TicketEvent.
  // With `policy`, the tickets answered carry deadlines derived from their history
  // (pauses stop the clock) and the policy in force.
  TicketingGrpc(RecordStore& store, int max_page_size, Publisher* publisher = nullptr,
                const Clock* clock = nullptr, const SlaPolicy* policy = nullptr,
                SlaWatch* watch = nullptr, TicketingMetrics* metrics = nullptr)
      : records_(store),
        tickets_(store),
        max_page_size_(max_page_size),
        publisher_(publisher),
        clock_(clock),
        policy_(policy),
        watch_(watch),
        metrics_(metrics) {}
  // Stored with a compare-and-set (a concurrent change makes it read again, at most a
  // few times: ABORTED after); then the event, also on a retry of the same request (so
  // a lost publish is made good by the retry).
  grpc::Status TransitionTicket(grpc::ServerContext*, const v1::TransitionTicketRequest* req,
                                v1::Ticket* resp) override;
  grpc::Status CreateTicket(grpc::ServerContext*, const v1::CreateTicketRequest* req,
                            v1::Ticket* resp) override;
  grpc::Status GetTicket(grpc::ServerContext*, const v1::GetTicketRequest* req,
                         v1::GetTicketResponse* resp) override;
  grpc::Status ListTickets(grpc::ServerContext*, const v1::ListTicketsRequest* req,
                           v1::ListTicketsResponse* resp) override;

 private:
  RecordStore& records_;
  ProtoStore<v1::Ticket> tickets_;
  const int max_page_size_;
  Publisher* publisher_;
  const Clock* clock_;
  const SlaPolicy* policy_;
  SlaWatch* watch_;
  TicketingMetrics* metrics_;
  // After a change was stored (`fresh`) or asked again: the ticket's SLA timer, the
  // metrics (fresh only), then the change's messages (MessagesOfChange).
  grpc::Status Stored(const v1::Ticket& before, const v1::Ticket& after, bool fresh);
  // The deadlines as they stand now (a kind the policy no longer has keeps its own).
  v1::Ticket Current(v1::Ticket ticket) const;
};

}  // namespace mot::ticketing
