#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "mot/common/clock.h"
#include "mot/common/group_commit.h"
#include "mot/common/messaging.h"
#include "mot/common/record_store.h"
#include "mot/common/served.h"
#include "mot/ticketing/v1/ticketing.grpc.pb.h"
#include "ticketing/app/metrics.h"
#include "ticketing/app/sla_watch.h"
#include "ticketing/app/ticket_opener.h"
#include "ticketing/domain/lifecycle.h"
#include "ticketing/domain/retention.h"
#include "ticketing/domain/sla_policy.h"
#include "ticketing/domain/ticket_index.h"
#include "ticketing/domain/ticket_state.h"

namespace mot::ticketing {

struct TicketingServiceOptions {
  // The most tickets a list answers at once (MOT_LIST_PAGE_SIZE_MAX).
  int max_page_size = 100;
  // Agents' creates arriving together are opened together (GroupCommit): at most this
  // many stored in one go; a batch is stored while the one before awaits the broker.
  size_t create_batch = 64;
  // How far from now a create's requested_at may be.
  TimeWindow times;
  // How long a closed ticket's record is kept (MOT_TICKET_RETENTION).
  Retention retention;
};

// The agents' desk and the managers' reports over gRPC (mot.ticketing.v1.TicketingService).
// The tickets answered carry deadlines derived from their history (pauses stop the
// clock) and the policy in force. CreateTicket is served by the callback API (a create
// waiting for its group commit holds no thread); the other methods are synchronous.
class TicketingService final
    : public Served<v1::TicketingService, v1::TicketingService::WithCallbackMethod_CreateTicket<
                                              v1::TicketingService::Service>> {
 public:
  // What the service works with, every one required.
  struct Parts {
    RecordStore& store;
    IndexStore& index;
    Publisher& publisher;
    const Clock& clock;
    const SlaPolicy& policy;
    SlaWatch& watch;
    TicketOpener& opener;
    TicketingMetrics& metrics;
  };
  TicketingService(Parts parts, TicketingServiceOptions options);

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
  // Everything held about one owner (a subject-access request): the owner's tickets as
  // stored, at most kOwnerTicketsMax (FAILED_PRECONDITION past it, never a silent
  // part), and when each closed one's record goes.
  grpc::Status ExportCustomer(grpc::ServerContext*, const v1::ExportCustomerRequest* req,
                              v1::ExportCustomerResponse* resp) override;

 private:
  // Makes the change from the stored ticket; Change stores it (compare and set),
  // indexes it and sends its messages.
  using ChangeFn = std::function<absl::StatusOr<Changed>(const v1::Ticket&, TimePoint)>;
  // `caller` (the token's subject) is recorded on the change or note the call adds.
  grpc::Status Change(const std::string& ticket_id, const std::string& caller,
                      const ChangeFn& change, v1::Ticket* resp);
  // A transition, assignment or reclassification `apply` makes (seeing whether the
  // request was made before) for `request`, through Change (ChangedBy).
  using ApplyFn = std::function<absl::StatusOr<v1::Ticket>(const v1::Ticket&, TimePoint,
                                                           const TransitionRequest&, bool*)>;
  grpc::Status Apply(grpc::ServerContext* ctx, const std::string& ticket_id,
                     const TransitionRequest& request, const ApplyFn& apply, v1::Ticket* resp);
  // After a change was stored (`fresh`) or asked again: the ticket's SLA timer and
  // indexes, the metrics (fresh only), then the change's messages (MessagesOfChange).
  grpc::Status Stored(const v1::Ticket& before, const v1::Ticket& after, bool fresh);
  // After a change that closes or reopens (stored now or asked again): the record's
  // expiry as the ticket stands now, `current` (set at close, cleared at reopen).
  grpc::Status Retain(const v1::Ticket& before, const v1::Ticket& after, const v1::Ticket& current);
  // The deadlines as they stand now (a kind the policy no longer has keeps its own).
  v1::Ticket Current(v1::Ticket ticket) const;

  // A create checked and made ready for the group commit, or why not.
  grpc::Status PrepareCreate(const v1::CreateTicketRequest& req, const std::string& caller,
                             Opening* opening) const;
  // The answer to a committed create.
  grpc::Status AnswerCreate(Opening& opening, v1::Ticket* resp) const;
  // Publishes the events of the opened batch at once (after TicketOpener::OpenAll).
  void PublishCreates(const std::vector<Opening*>& batch);

  const Parts parts_;
  const TicketingServiceOptions options_;
  ProtoStore<v1::Ticket> tickets_;
  GroupCommit<Opening> creates_;
};

}  // namespace mot::ticketing
