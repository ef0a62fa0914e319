#pragma once

#include <functional>
#include <memory>

#include "domain/lifecycle.h"
#include "domain/sla_clock.h"
#include "domain/sla_policy.h"
#include "app/ticket_index.h"
#include "mot/common/alarm.h"
#include "mot/common/clock.h"
#include "mot/common/group_commit.h"
#include "mot/common/kafka.h"
#include "mot/common/record_store.h"
#include "mot/common/timers.h"
#include "mot/ticketing/v1/ticketing.grpc.pb.h"

#include "prometheus/counter.h"
#include "prometheus/gauge.h"
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
  prometheus::Family<prometheus::Counter>& repeats;      // by kind
  prometheus::Family<prometheus::Gauge>& open;           // by kind
};

// With `policy`, every kind's series start at 0 (a ratio on a dashboard has its
// denominator from the start).
std::unique_ptr<TicketingMetrics> MakeTicketingMetrics(prometheus::Registry& registry,
                                                       const SlaPolicy* policy = nullptr);
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
           const SlaPolicy& policy, SlaWatchOptions options, TicketingMetrics& metrics,
           IndexStore* index = nullptr);
  // The open tickets of each kind (for the gauge), from the index.
  void CountOpen();
  // After tickets were stored: each one's timer at the next time its SLA asks for
  // something (at once when that has passed), in one round trip.
  absl::Status Watch(const std::vector<v1::Ticket>& tickets);
  // One pass over every partition: the alerts raised.
  absl::StatusOr<int> Pass();
  // A pass every tick.
  void Run(const std::atomic<bool>& stop);

 private:
  // The claimed tickets together: read in one round trip, their alerts published
  // together, each recorded (compare and set; a ticket changed meanwhile is settled on
  // its own), its timer armed for what comes next.
  absl::StatusOr<int> SettleAll(const std::vector<std::pair<int, std::string>>& claimed,
                                const std::string& token, TimePoint now);
  absl::StatusOr<int> Settle(int partition, const std::string& id, const std::string& token,
                             TimePoint now);
  void Raised(const v1::Ticket& ticket, const std::vector<v1::SlaAlert>& alerts);

  RecordStore& records_;
  RedisTimers& timers_;
  Publisher& publisher_;
  const Clock& clock_;
  const SlaPolicy& policy_;
  const SlaWatchOptions options_;
  TicketingMetrics& metrics_;
  IndexStore* index_;
  const std::string replica_;
  uint64_t claims_ = 0;
  Alarm alarm_;
};

// The messages an alert sends: its event (and ESCALATED when it escalates) on
// mot.ticket.v1, and the role's notification.
std::vector<OutMessage> MessagesOfAlert(const SlaPolicy& policy, const v1::Ticket& ticket,
                                        const v1::SlaAlert& alert);

// A complaint repeating an earlier one: the owner's latest ticket of a kind the policy
// links (repeat_complaints), same unit and category, opened within the window before
// `ticket` (among the owner's stored tickets and `earlier` ones of the same batch).
// Sets ticket->repeat_of; whether it did.
absl::StatusOr<bool> LinkRepeat(ProtoStore<v1::Ticket>& tickets, const SlaPolicy& policy,
                                v1::Ticket* ticket, const std::vector<v1::Ticket>& earlier = {});

// A ticket to open, made by OpenTicket. After TicketOpener::OpenAll: `fresh` when it
// was stored now; otherwise `ticket` is the one stored before under its id (asked
// again), or `status` says why it was not opened.
struct Opening {
  v1::Ticket ticket;
  bool fresh = false;
  absl::Status status;
};

// Opens tickets together: repeats linked (within the batch too), all stored in one
// round trip (the first writer of an id wins), their SLA timers armed in one and the
// new ones indexed in one; metrics counted. Timers are armed for tickets asked again
// too, so a crash between storing and arming is made good by the retry.
class TicketOpener {
 public:
  TicketOpener(const SlaPolicy& policy, RecordStore& store, SlaWatch* watch = nullptr,
               TicketingMetrics* metrics = nullptr, IndexStore* index = nullptr)
      : policy_(policy), tickets_(store), watch_(watch), metrics_(metrics), index_(index) {}
  void OpenAll(const std::vector<Opening*>& batch);

 private:
  const SlaPolicy& policy_;
  ProtoStore<v1::Ticket> tickets_;
  SlaWatch* watch_;
  TicketingMetrics* metrics_;
  IndexStore* index_;
};

// Consumes OpenTicketCommand: opens the ticket once (idempotent by command id),
// then publishes TicketEvent OPENED on mot.ticket.v1 (again on a redelivery, so a
// crash between the two never loses the event).
class CommandHandler {
 public:
  // With `watch`, each new ticket's SLA timer is armed; with `index`, it is indexed;
  // with `clock`, a command whose requested_at lies outside `times` around now is refused.
  CommandHandler(const SlaPolicy& policy, RecordStore& store, SlaWatch* watch = nullptr,
                 TicketingMetrics* metrics = nullptr, IndexStore* index = nullptr,
                 const Clock* clock = nullptr, TimeWindow times = {})
      : policy_(policy), opener_(policy, store, watch, metrics, index), clock_(clock), times_(times) {}
  // Opens the batch's tickets together (TicketOpener); publishes each event through its `out`.
  void HandleBatch(std::vector<Work>& batch);
  absl::Status Handle(const Incoming& in, Publisher& out) { return HandleOne(*this, in, out); }

 private:
  const SlaPolicy& policy_;
  TicketOpener opener_;
  const Clock* clock_;
  const TimeWindow times_;
};

// What TicketingGrpc works with; only `store` and `max_page_size` are required (a
// read-only service), the rest turn on changes, SLA timers, indexes and metrics.
struct TicketingParts {
  RecordStore& store;
  int max_page_size = 100;
  Publisher* publisher = nullptr;
  const Clock* clock = nullptr;
  const SlaPolicy* policy = nullptr;
  SlaWatch* watch = nullptr;
  TicketingMetrics* metrics = nullptr;
  IndexStore* index = nullptr;
  // Agents' creates arriving together are opened together (GroupCommit): at most this
  // many stored in one go; a batch is stored while the one before awaits the broker.
  size_t create_batch = 64;
  // How far from now a create's requested_at may be.
  TimeWindow times;
};

// CreateTicket is served by the callback API (a create waiting for its group commit
// holds no thread); the other methods are synchronous.
class TicketingGrpc final
    : public v1::TicketingService::WithCallbackMethod_CreateTicket<v1::TicketingService::Service> {
 public:
  // `publisher` and `clock` for changes: each publishes its TicketEvent. With `policy`,
  // the tickets answered carry deadlines derived from their history (pauses stop the
  // clock) and the policy in force.
  explicit TicketingGrpc(TicketingParts parts);
  TicketingGrpc(RecordStore& store, int max_page_size, Publisher* publisher = nullptr,
                const Clock* clock = nullptr, const SlaPolicy* policy = nullptr,
                SlaWatch* watch = nullptr, TicketingMetrics* metrics = nullptr,
                IndexStore* index = nullptr)
      : TicketingGrpc(TicketingParts{store, max_page_size, publisher, clock, policy, watch,
                                     metrics, index}) {}
  // Changes are stored with a compare-and-set (a concurrent change makes them read
  // again, at most a few times: ABORTED after); then the event, also on a retry of the
  // same request (so a lost publish is made good by the retry).
  grpc::Status TransitionTicket(grpc::ServerContext*, const v1::TransitionTicketRequest* req,
                                v1::Ticket* resp) override;
  grpc::ServerUnaryReactor* CreateTicket(grpc::CallbackServerContext* ctx,
                                         const v1::CreateTicketRequest* req,
                                         v1::Ticket* resp) override;
  // The same create, returning once committed (for callers in this process).
  grpc::Status Create(const v1::CreateTicketRequest* req, v1::Ticket* resp);
  grpc::Status AssignTicket(grpc::ServerContext*, const v1::AssignTicketRequest* req,
                            v1::Ticket* resp) override;
  grpc::Status AddNote(grpc::ServerContext*, const v1::AddNoteRequest* req,
                       v1::Ticket* resp) override;
  grpc::Status ReclassifyTicket(grpc::ServerContext*, const v1::ReclassifyTicketRequest* req,
                                v1::Ticket* resp) override;
  grpc::Status GetTicket(grpc::ServerContext*, const v1::GetTicketRequest* req,
                         v1::GetTicketResponse* resp) override;
  // Newest first, from the index of the most selective filter; the other filters are
  // checked on each ticket. A page may hold fewer than page_size tickets when filters
  // combine: go on while next_page_token is set.
  grpc::Status ListTickets(grpc::ServerContext*, const v1::ListTicketsRequest* req,
                           v1::ListTicketsResponse* resp) override;
  grpc::Status GetDefectRollup(grpc::ServerContext*, const v1::GetDefectRollupRequest* req,
                               v1::GetDefectRollupResponse* resp) override;
  grpc::Status GetComplaintReport(grpc::ServerContext*, const v1::GetComplaintReportRequest* req,
                                  v1::GetComplaintReportResponse* resp) override;

  // A change of one ticket: the ticket before and after it; `replayed` when it was
  // asked before (then before and after are that earlier change's).
  struct Changed {
    v1::Ticket before, after;
    bool replayed = false;
  };

 private:
  // Makes the change from the stored ticket; Change stores it (compare and set),
  // indexes it and sends its messages.
  using ChangeFn = std::function<absl::StatusOr<Changed>(const v1::Ticket&, TimePoint)>;
  // `caller` (the token's subject) is recorded on the change or note the call adds.
  grpc::Status Change(const std::string& ticket_id, const std::string& caller, const ChangeFn& change,
                      v1::Ticket* resp);
  // After a change was stored (`fresh`) or asked again: the ticket's SLA timer and
  // indexes, the metrics (fresh only), then the change's messages (MessagesOfChange).
  grpc::Status Stored(const v1::Ticket& before, const v1::Ticket& after, bool fresh);
  // The deadlines as they stand now (a kind the policy no longer has keeps its own).
  v1::Ticket Current(v1::Ticket ticket) const;
  // UNIMPLEMENTED unless changes can be made (a publisher, a clock; the policy too).
  grpc::Status Serving(bool with_policy) const;

  // A create checked and made ready for the group commit, or why not.
  grpc::Status PrepareCreate(const v1::CreateTicketRequest& req, const std::string& caller,
                             Opening* opening) const;
  // The answer to a committed create.
  grpc::Status AnswerCreate(Opening& opening, v1::Ticket* resp) const;
  // Publishes the events of the opened batch at once (after TicketOpener::OpenAll).
  void PublishCreates(const std::vector<Opening*>& batch);
  TicketingParts parts_;
  ProtoStore<v1::Ticket> tickets_;
  std::unique_ptr<TicketOpener> opener_;
  std::unique_ptr<GroupCommit<Opening>> creates_;
};

}  // namespace mot::ticketing
