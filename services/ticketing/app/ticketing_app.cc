#include "app/ticketing_app.h"

#include "mot/common/clock.h"
#include "mot/common/codec.h"
#include "mot/common/topics.h"
#include "mot/common/log.h"
#include "mot/common/runtime.h"
#include "mot/common/validate.h"

namespace mot::ticketing {

void CommandHandler::HandleBatch(std::vector<Work>& batch) {
  std::vector<size_t> valid;  // index into batch of each ticket in `tickets`
  std::vector<v1::Ticket> tickets;
  std::vector<NewRecord> records;
  for (size_t i = 0; i < batch.size(); ++i) {
    v1::OpenTicketCommand cmd;
    if (auto s = DecodeMessage(batch[i].msg, &cmd); !s.ok()) {
      batch[i].status = s;
      continue;
    }
    auto ticket = OpenTicket(policy_, cmd);
    if (!ticket.ok()) {
      batch[i].status = ticket.status();
      continue;
    }
    records.push_back({ticket->id(), ticket->customer_id(),
                       ToUnixMillis(FromProto(ticket->opened_at())), ticket->SerializeAsString()});
    tickets.push_back(std::move(*ticket));
    valid.push_back(i);
  }
  auto fail_all = [&](const absl::Status& s) {
    for (size_t i : valid) batch[i].status = s;
  };
  auto inserted = tickets_.InsertAll(records);
  if (!inserted.ok()) return fail_all(inserted.status());
  // Opened before (a redelivery): the event carries the ticket as it was stored.
  std::vector<std::string> existing;
  std::vector<size_t> existing_at;
  for (size_t k = 0; k < tickets.size(); ++k) {
    if ((*inserted)[k]) {
      Log().info("ticket {} opened kind={} deadlines={}", tickets[k].id(), tickets[k].kind(),
                 tickets[k].deadlines_size());
    } else {
      existing.push_back(tickets[k].id());
      existing_at.push_back(k);
    }
  }
  auto stored = tickets_.GetAll(existing);
  if (!stored.ok()) return fail_all(stored.status());
  for (size_t j = 0; j < existing.size(); ++j) {
    if ((*stored)[j]) tickets[existing_at[j]] = std::move(*(*stored)[j]);
  }
  for (size_t k = 0; k < tickets.size(); ++k) {
    v1::TicketEvent event;
    event.set_type(v1::TICKET_EVENT_TYPE_OPENED);
    *event.mutable_occurred_at() = tickets[k].opened_at();
    *event.mutable_ticket() = std::move(tickets[k]);
    Work& w = batch[valid[k]];
    w.status = w.out->Publish(kTicketEventsTopic, event.ticket().customer_id(),
                              event.SerializeAsString());
  }
}

grpc::Status TicketingGrpc::GetTicket(grpc::ServerContext*, const v1::GetTicketRequest* req,
                                      v1::GetTicketResponse* resp) {
  if (req->ticket_id().empty()) {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "ticket_id is required");
  }
  auto t = tickets_.Get(req->ticket_id());
  if (!t.ok()) return ToGrpc(t.status());
  if (!t->has_value()) {
    return grpc::Status(grpc::StatusCode::NOT_FOUND, "no ticket " + req->ticket_id());
  }
  *resp->mutable_ticket() = Current(**t);
  return grpc::Status::OK;
}

v1::Ticket TicketingGrpc::Current(v1::Ticket ticket) const {
  if (policy_ == nullptr || policy_->Find(ticket.kind()) == nullptr) return ticket;
  ticket.clear_deadlines();
  for (auto& d : Deadlines(*policy_, ticket, policy_->CalendarFor(ticket.kind()))) {
    *ticket.add_deadlines() = std::move(d);
  }
  return ticket;
}

grpc::Status TicketingGrpc::ListTickets(grpc::ServerContext*, const v1::ListTicketsRequest* req,
                                        v1::ListTicketsResponse* resp) {
  if (req->page_size() < 0) {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "page_size must not be negative");
  }
  const size_t limit = req->page_size() == 0 ? max_page_size_
                                             : std::min(req->page_size(), max_page_size_);
  auto list = req->customer_id().empty() ? tickets_.ListRecent(limit)
                                         : tickets_.ListByCustomer(req->customer_id(), limit);
  if (!list.ok()) return ToGrpc(list.status());
  for (auto& t : *list) *resp->add_tickets() = Current(std::move(t));
  return grpc::Status::OK;
}

grpc::Status TicketingGrpc::TransitionTicket(grpc::ServerContext*,
                                             const v1::TransitionTicketRequest* req,
                                             v1::Ticket* resp) {
  if (req->ticket_id().empty()) {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "ticket_id is required");
  }
  if (publisher_ == nullptr || clock_ == nullptr) {
    return grpc::Status(grpc::StatusCode::UNIMPLEMENTED, "transitions are not served here");
  }
  const TransitionRequest request{req->to(), req->actor(), req->reason(), req->request_id()};
  constexpr int kAttempts = 5;
  for (int attempt = 0; attempt < kAttempts; ++attempt) {
    auto stored = records_.Get(req->ticket_id());
    if (!stored.ok()) return ToGrpc(stored.status());
    v1::Ticket ticket;
    if (!stored->has_value() || !ticket.ParseFromString(**stored)) {
      return grpc::Status(grpc::StatusCode::NOT_FOUND, "no ticket " + req->ticket_id());
    }
    const TimePoint now = clock_->Now();
    bool replayed = false;
    auto next = Transition(ticket, request, now, &replayed);
    if (!next.ok()) return ToGrpc(next.status());
    if (!replayed) {
      auto replaced = records_.Replace(req->ticket_id(), **stored, next->SerializeAsString());
      if (!replaced.ok()) return ToGrpc(replaced.status());
      if (!*replaced) continue;  // changed meanwhile: read it again
      Log().info("ticket {} {} -> {} by {}", next->id(), StatusName(ticket.status()),
                 StatusName(next->status()), req->actor());
    }
    // The event of the change (again on a retry, whose first publish may have failed).
    const v1::TicketChange* change = &next->history(next->history_size() - 1);
    for (const auto& c : next->history()) {
      if (replayed && c.request_id() == req->request_id()) change = &c;
    }
    v1::TicketEvent event;
    event.set_type(EventFor(change->to()));
    *event.mutable_occurred_at() = change->at();
    *event.mutable_ticket() = *next;
    if (auto s = publisher_->Publish(kTicketEventsTopic, next->customer_id(), event.SerializeAsString());
        !s.ok()) {
      return ToGrpc(s);
    }
    *resp = Current(*std::move(next));
    return grpc::Status::OK;
  }
  return grpc::Status(grpc::StatusCode::ABORTED,
                      "the ticket kept changing; read it again and retry");
}

grpc::Status TicketingGrpc::CreateTicket(grpc::ServerContext*, const v1::CreateTicketRequest* req,
                                         v1::Ticket* resp) {
  if (publisher_ == nullptr || clock_ == nullptr || policy_ == nullptr) {
    return grpc::Status(grpc::StatusCode::UNIMPLEMENTED, "creation is not served here");
  }
  if (auto s = RequireFields({{"request_id", &req->request_id()}, {"actor", &req->actor()}}); !s.ok()) {
    return ToGrpc(s);
  }
  // The same path as a command: one ticket per request id.
  v1::OpenTicketCommand cmd;
  cmd.set_command_id("agent:" + req->request_id());
  cmd.set_kind(req->kind());
  cmd.set_customer_id(req->customer_id());
  cmd.set_unit_id(req->unit_id());
  cmd.set_project_id(req->project_id());
  cmd.set_summary(req->summary());
  *cmd.mutable_requested_at() = req->has_requested_at() ? req->requested_at() : ToProto(clock_->Now());
  auto ticket = OpenTicket(*policy_, cmd);
  if (!ticket.ok()) return ToGrpc(ticket.status());
  auto* opened = ticket->add_history();
  opened->set_to(v1::TICKET_STATUS_NEW);
  opened->set_actor(req->actor());
  opened->set_reason("opened by an agent");
  opened->set_request_id(req->request_id());
  *opened->mutable_at() = ToProto(clock_->Now());
  auto inserted = tickets_.Insert(ticket->id(), ticket->customer_id(),
                                  ToUnixMillis(FromProto(ticket->opened_at())), *ticket);
  if (!inserted.ok()) return ToGrpc(inserted.status());
  if (!*inserted) {  // asked before: the ticket as it is, its event again
    auto stored = tickets_.Get(ticket->id());
    if (!stored.ok()) return ToGrpc(stored.status());
    if (stored->has_value()) *ticket = **stored;
  } else {
    Log().info("ticket {} opened by {} kind={}", ticket->id(), req->actor(), ticket->kind());
  }
  v1::TicketEvent event;
  event.set_type(v1::TICKET_EVENT_TYPE_OPENED);
  *event.mutable_occurred_at() = ticket->opened_at();
  *event.mutable_ticket() = *ticket;
  if (auto s = publisher_->Publish(kTicketEventsTopic, ticket->customer_id(), event.SerializeAsString());
      !s.ok()) {
    return ToGrpc(s);
  }
  *resp = Current(*std::move(ticket));
  return grpc::Status::OK;
}

}  // namespace mot::ticketing
