#pragma once

#include "domain/lifecycle.h"
#include "domain/sla_clock.h"
#include "domain/sla_policy.h"
#include "mot/common/clock.h"
#include "mot/common/kafka.h"
#include "mot/common/record_store.h"
#include "mot/ticketing/v1/ticketing.grpc.pb.h"

namespace mot::ticketing {

// Consumes OpenTicketCommand: opens the ticket once (idempotent by command id),
// then publishes TicketEvent OPENED on mot.ticket.v1 (again on a redelivery, so a
// crash between the two never loses the event).
class CommandHandler {
 public:
  CommandHandler(const SlaPolicy& policy, RecordStore& store) : policy_(policy), tickets_(store) {}
  // Opens the batch's tickets in one round trip; publishes each event through its `out`.
  void HandleBatch(std::vector<Work>& batch);
  absl::Status Handle(const Incoming& in, Publisher& out) { return HandleOne(*this, in, out); }

 private:
  const SlaPolicy& policy_;
  ProtoStore<v1::Ticket> tickets_;
};

class TicketingGrpc final : public v1::TicketingService::Service {
 public:
  // `publisher` and `clock` for transitions: each change publishes its TicketEvent.
  // With `policy`, the tickets answered carry deadlines derived from their history
  // (pauses stop the clock) and the policy in force.
  TicketingGrpc(RecordStore& store, int max_page_size, Publisher* publisher = nullptr,
                const Clock* clock = nullptr, const SlaPolicy* policy = nullptr)
      : records_(store),
        tickets_(store),
        max_page_size_(max_page_size),
        publisher_(publisher),
        clock_(clock),
        policy_(policy) {}
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
  // The deadlines as they stand now (a kind the policy no longer has keeps its own).
  v1::Ticket Current(v1::Ticket ticket) const;
};

}  // namespace mot::ticketing
