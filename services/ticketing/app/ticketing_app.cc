#include "app/ticketing_app.h"

#include "mot/common/clock.h"
#include "mot/common/codec.h"
#include "mot/common/topics.h"
#include "mot/common/log.h"
#include "mot/common/runtime.h"

namespace mot::ticketing {

absl::Status CommandHandler::Handle(const Incoming& in, Publisher& out) {
  v1::OpenTicketCommand cmd;
  if (auto s = DecodeMessage(in, &cmd); !s.ok()) return s;
  auto ticket = OpenTicket(policy_, cmd);
  if (!ticket.ok()) return ticket.status();
  auto inserted = tickets_.Insert(ticket->id(), ticket->customer_id(),
                                  ToUnixMillis(FromProto(ticket->opened_at())), *ticket);
  if (!inserted.ok()) return inserted.status();
  if (*inserted) {
    Log().info("ticket {} opened kind={} deadlines={}", ticket->id(), ticket->kind(),
               ticket->deadlines_size());
  } else {
    auto stored = tickets_.Get(ticket->id());
    if (!stored.ok()) return stored.status();
    if (stored->has_value()) *ticket = **stored;
  }
  v1::TicketEvent event;
  event.set_type(v1::TICKET_EVENT_TYPE_OPENED);
  *event.mutable_ticket() = *ticket;
  *event.mutable_occurred_at() = ticket->opened_at();
  return out.Publish(kTicketEventsTopic, ticket->customer_id(), event.SerializeAsString());
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
  *resp->mutable_ticket() = **t;
  return grpc::Status::OK;
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
  for (auto& t : *list) *resp->add_tickets() = std::move(t);
  return grpc::Status::OK;
}

}  // namespace mot::ticketing
