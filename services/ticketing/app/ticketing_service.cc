#include "ticketing/app/ticketing_service.h"

#include <algorithm>
#include <limits>

#include "absl/strings/str_cat.h"
#include "mot/common/config.h"
#include "mot/common/log.h"
#include "mot/common/runtime.h"
#include "mot/common/validate.h"
#include "ticketing/app/reports.h"
#include "ticketing/domain/erasure.h"
#include "ticketing/domain/lifecycle.h"
#include "ticketing/domain/sla_clock.h"
#include "ticketing/domain/ticket_messages.h"

namespace mot::ticketing {

TicketingService::TicketingService(Parts parts, TicketingServiceOptions options)
    : Served({"CreateTicket"}),
      parts_(parts),
      options_(options),
      tickets_(parts.store),
      // Stored while the batch before is still awaiting the broker.
      creates_({[this](std::vector<Opening*>& batch) { parts_.opener.OpenAll(batch); },
                [this](std::vector<Opening*>& batch) { PublishCreates(batch); }},
               options.create_batch) {}

void TicketingService::PublishCreates(const std::vector<Opening*>& batch) {
  std::vector<OutMessage> messages;
  std::vector<std::pair<Opening*, size_t>> sent_by;  // who sent each message
  for (Opening* o : batch) {
    if (!o->status.ok()) continue;
    for (auto& m : MessagesOfChange(parts_.policy, {}, o->ticket)) {
      messages.push_back(std::move(m));
      sent_by.emplace_back(o, messages.size() - 1);
    }
  }
  const auto sent = parts_.publisher.PublishAll(messages);
  for (const auto& [o, k] : sent_by) {
    if (o->status.ok() && !sent[k].ok()) o->status = sent[k];
  }
}

grpc::Status TicketingService::GetTicket(grpc::ServerContext* ctx, const v1::GetTicketRequest* req,
                                         v1::GetTicketResponse* resp) {
  if (req->ticket_id().empty()) {
    return InvalidArgument("ticket_id", "is required");
  }
  auto t = tickets_.Get(req->ticket_id());
  if (!t.ok()) return ToGrpc(t.status());
  if (!t->has_value()) {
    return grpc::Status(grpc::StatusCode::NOT_FOUND, "no ticket " + req->ticket_id());
  }
  *resp->mutable_ticket() = Current(**t);
  return grpc::Status::OK;
}

v1::Ticket TicketingService::Current(v1::Ticket ticket) const {
  if (parts_.policy.Find(ticket.kind()) == nullptr) return ticket;
  ticket.clear_deadlines();
  for (auto& d : Review(parts_.policy, ticket, parts_.clock.Now()).deadlines) {
    *ticket.add_deadlines() = std::move(d);
  }
  return ticket;
}

grpc::Status TicketingService::Stored(const v1::Ticket& before, const v1::Ticket& after,
                                      bool fresh) {
  if (fresh) {
    if (auto s = parts_.watch.Watch({after}); !s.ok()) return ToGrpc(s);
    if (auto s = parts_.index.Apply(IndexOps(before, after)); !s.ok()) return ToGrpc(s);
    parts_.metrics.CountChange(before, after);
  }
  for (const auto& sent :
       parts_.publisher.PublishAll(MessagesOfChange(parts_.policy, before, after))) {
    if (!sent.ok()) return ToGrpc(sent);
  }
  return grpc::Status::OK;
}

grpc::Status TicketingService::Retain(const v1::Ticket& before, const v1::Ticket& after,
                                      const v1::Ticket& current) {
  if (!ChangesRetention(before, after)) return grpc::Status::OK;
  return ToGrpc(parts_.store.ExpireAt({{current.id(), ExpiryOf(current, options_.retention)}}));
}

grpc::Status TicketingService::ListTickets(grpc::ServerContext* ctx,
                                           const v1::ListTicketsRequest* req,
                                           v1::ListTicketsResponse* resp) {
  size_t limit = 0;
  if (auto s = PageSize(req->page_size(), options_.max_page_size, &limit); !s.ok()) return s;
  if (req->status() != v1::TICKET_STATUS_UNSPECIFIED && !v1::TicketStatus_IsValid(req->status())) {
    return InvalidArgument("status", "is not a ticket status");
  }
  const bool filtered = !req->project_id().empty() || !req->kind().empty() ||
                        req->status() != v1::TICKET_STATUS_UNSPECIFIED ||
                        !req->assignee().empty() || req->breached();
  if (!filtered) {
    if (!req->page_token().empty()) {
      return InvalidArgument(
          "page_token:",
          "pages are served for filtered lists (project_id, kind, status, assignee, breached)");
    }
    auto list = req->customer_id().empty() ? tickets_.ListRecent(limit)
                                           : tickets_.ListByCustomer(req->customer_id(), limit);
    if (!list.ok()) return ToGrpc(list.status());
    for (auto& t : *list) *resp->add_tickets() = Current(std::move(t));
    return grpc::Status::OK;
  }
  auto cursor = PageCursor::Parse(req->page_token());
  if (!cursor) {
    return InvalidArgument("page_token", "is not one this service gave out");
  }
  // The most selective index; the other filters are checked on each ticket.
  const std::string key = !req->assignee().empty()     ? index::Assignee(req->assignee())
                          : req->breached()            ? std::string(index::kBreached)
                          : !req->project_id().empty() ? index::Project(req->project_id())
                          : req->status() != v1::TICKET_STATUS_UNSPECIFIED
                              ? index::Status(req->status())
                              : index::Kind(req->kind());
  const auto matches = [&](const v1::Ticket& t) {
    return (req->customer_id().empty() || t.customer_id() == req->customer_id()) &&
           (req->project_id().empty() || t.project_id() == req->project_id()) &&
           (req->kind().empty() || t.kind() == req->kind()) &&
           (req->status() == v1::TICKET_STATUS_UNSPECIFIED || t.status() == req->status()) &&
           (req->assignee().empty() || t.assignee() == req->assignee()) &&
           (!req->breached() || IsBreached(t));
  };
  // At most a few index pages per call, so that a rare combination answers promptly.
  PageCursor at = *cursor;
  for (int round = 0; round < 4; ++round) {
    auto entries =
        parts_.index.RevRange(key, at.max, std::numeric_limits<int64_t>::min(), at.skip, limit);
    if (!entries.ok()) return ToGrpc(entries.status());
    std::vector<std::string> ids;
    for (const auto& [id, _] : *entries) ids.push_back(id);
    auto found = tickets_.GetAll(ids);
    if (!found.ok()) return ToGrpc(found.status());
    for (size_t i = 0; i < entries->size(); ++i) {
      if (static_cast<size_t>(resp->tickets_size()) == limit) {  // full: the next page starts here
        resp->set_next_page_token(at.Token());
        return grpc::Status::OK;
      }
      at.Pass((*entries)[i].second);
      if ((*found)[i] && matches(*(*found)[i]))
        *resp->add_tickets() = Current(std::move(*(*found)[i]));
    }
    if (entries->size() < limit) return grpc::Status::OK;  // the index has no more
  }
  resp->set_next_page_token(at.Token());
  return grpc::Status::OK;
}

grpc::Status TicketingService::Change(const std::string& ticket_id, const std::string& caller,
                                      const ChangeFn& change, v1::Ticket* resp) {
  if (ticket_id.empty()) {
    return InvalidArgument("ticket_id", "is required");
  }
  constexpr int kAttempts = 5;
  for (int attempt = 0; attempt < kAttempts; ++attempt) {
    auto stored = parts_.store.Get(ticket_id);
    if (!stored.ok()) return ToGrpc(stored.status());
    v1::Ticket ticket;
    if (!stored->has_value() || !ticket.ParseFromString(**stored)) {
      return grpc::Status(grpc::StatusCode::NOT_FOUND, "no ticket " + ticket_id);
    }
    auto c = change(ticket, parts_.clock.Now());
    if (!c.ok()) return ToGrpc(c.status());
    if (!c->replayed) {
      // Who called: on the change or the note the call added.
      if (c->after.history_size() > ticket.history_size()) {
        c->after.mutable_history()->rbegin()->set_caller(caller);
      }
      if (c->after.notes_size() > ticket.notes_size())
        c->after.mutable_notes()->rbegin()->set_caller(caller);
      auto replaced = parts_.store.Replace(ticket_id, **stored, c->after.SerializeAsString());
      if (!replaced.ok()) return ToGrpc(replaced.status());
      if (!*replaced) continue;  // changed meanwhile: read it again
    }
    // The record's expiry and the change's messages; again on a retry (whose first
    // attempt may have failed between storing and these).
    if (auto s = Retain(c->before, c->after, c->replayed ? ticket : c->after); !s.ok()) return s;
    if (auto s = Stored(c->before, c->after, !c->replayed); !s.ok()) return s;
    *resp = Current(c->replayed ? std::move(ticket) : std::move(c->after));
    return grpc::Status::OK;
  }
  return grpc::Status(grpc::StatusCode::ABORTED,
                      "the ticket kept changing; read it again and retry");
}

grpc::Status TicketingService::Apply(grpc::ServerContext* ctx, const std::string& ticket_id,
                                     const TransitionRequest& request, const ApplyFn& apply,
                                     v1::Ticket* resp) {
  return Change(
      ticket_id, CallerOf(ctx),
      [&](const v1::Ticket& t, TimePoint now) -> absl::StatusOr<Changed> {
        bool replayed = false;
        auto next = apply(t, now, request, &replayed);
        return ChangedBy(t, std::move(next), replayed, request.request_id);
      },
      resp);
}

grpc::Status TicketingService::TransitionTicket(grpc::ServerContext* ctx,
                                                const v1::TransitionTicketRequest* req,
                                                v1::Ticket* resp) {
  if (!req->defect_code().empty() && parts_.policy.FindDefect(req->defect_code()) == nullptr) {
    return InvalidArgument("defect_code", "is not in the defect library");
  }
  return Apply(
      ctx, req->ticket_id(), {req->to(), req->actor(), req->reason(), req->request_id()},
      [&](const v1::Ticket& t, TimePoint now, const TransitionRequest& request,
          bool* replayed) -> absl::StatusOr<v1::Ticket> {
        auto next = Transition(t, request, now, replayed);
        if (next.ok() && !*replayed) {
          if (!req->defect_code().empty()) next->set_defect_code(req->defect_code());
          Log().info("ticket {} {} -> {} by {}", t.id(), StatusName(t.status()),
                     StatusName(next->status()), req->actor());
        }
        return next;
      },
      resp);
}

grpc::Status TicketingService::AssignTicket(grpc::ServerContext* ctx,
                                            const v1::AssignTicketRequest* req, v1::Ticket* resp) {
  if (req->team().empty() && req->assignee().empty()) {
    return InvalidArgument("team or assignee", "is required");
  }
  if (auto s = RequireFields({{"actor", &req->actor()}, {"request_id", &req->request_id()}});
      !s.ok()) {
    return ToGrpc(s);
  }
  if (!req->team().empty() && !parts_.policy.teams().count(req->team())) {
    return InvalidArgument("team", "is not one of the configured teams");
  }
  return Apply(
      ctx, req->ticket_id(),
      {v1::TICKET_STATUS_UNSPECIFIED, req->actor(), req->reason(), req->request_id()},
      [&](const v1::Ticket& t, TimePoint now, const TransitionRequest& request,
          bool* replayed) -> absl::StatusOr<v1::Ticket> {
        auto next = Assign(t, {req->team(), req->assignee()}, request, now, replayed);
        if (next.ok() && !*replayed) {
          Log().info("ticket {} assigned team={} by {}", t.id(), next->team(), req->actor());
        }
        return next;
      },
      resp);
}

grpc::Status TicketingService::AddNote(grpc::ServerContext* ctx, const v1::AddNoteRequest* req,
                                       v1::Ticket* resp) {
  if (auto s = RequireFields(
          {{"text", &req->text()}, {"author", &req->author()}, {"request_id", &req->request_id()}});
      !s.ok()) {
    return ToGrpc(s);
  }
  const NoteRequest note{req->author(), req->text(), req->request_id()};
  return Change(
      req->ticket_id(), CallerOf(ctx),
      [&](const v1::Ticket& t, TimePoint now) -> absl::StatusOr<Changed> {
        bool replayed = false;
        v1::Ticket next = ticketing::AddNote(t, note, now, &replayed);
        if (replayed) return ReplayOfNote(t, req->request_id());
        return Changed{t, std::move(next), false};
      },
      resp);
}

grpc::Status TicketingService::ReclassifyTicket(grpc::ServerContext* ctx,
                                                const v1::ReclassifyTicketRequest* req,
                                                v1::Ticket* resp) {
  if (req->request_id().empty()) {
    return InvalidArgument("request_id", "is required");
  }
  return Apply(
      ctx, req->ticket_id(),
      {v1::TICKET_STATUS_UNSPECIFIED, req->actor(), req->reason(), req->request_id()},
      [&](const v1::Ticket& t, TimePoint now, const TransitionRequest& request,
          bool* replayed) -> absl::StatusOr<v1::Ticket> {
        auto next = Reclassify(parts_.policy, t, req->kind(), request, now, replayed);
        if (next.ok() && !*replayed) {
          Log().info("ticket {} kind {} -> {} by {}", t.id(), t.kind(), next->kind(), req->actor());
        }
        return next;
      },
      resp);
}

grpc::Status TicketingService::PrepareCreate(const v1::CreateTicketRequest& req,
                                             const std::string& caller, Opening* opening) const {
  if (auto s = RequireFields({{"request_id", &req.request_id()}, {"actor", &req.actor()}});
      !s.ok()) {
    return ToGrpc(s);
  }
  if (!req.defect_code().empty() && parts_.policy.FindDefect(req.defect_code()) == nullptr) {
    return InvalidArgument("defect_code", "is not in the defect library");
  }
  // The same path as a command: one ticket per request id.
  v1::OpenTicketCommand cmd;
  cmd.set_command_id("agent:" + req.request_id());
  cmd.set_kind(req.kind());
  cmd.set_customer_id(req.customer_id());
  cmd.set_unit_id(req.unit_id());
  cmd.set_project_id(req.project_id());
  cmd.set_summary(req.summary());
  cmd.set_category(req.category());
  cmd.set_defect_code(req.defect_code());
  const TimePoint now = parts_.clock.Now();
  if (req.has_requested_at()) {
    if (auto s = CheckWithin(req.requested_at(), "requested_at", now, options_.times); !s.ok()) {
      return ToGrpc(s);
    }
  }
  *cmd.mutable_requested_at() = req.has_requested_at() ? req.requested_at() : ToProto(now);
  auto ticket = OpenTicket(parts_.policy, cmd);
  if (!ticket.ok()) return ToGrpc(ticket.status());
  opening->ticket = *std::move(ticket);
  auto* opened = opening->ticket.add_history();
  opened->set_to(v1::TICKET_STATUS_NEW);
  opened->set_actor(req.actor());
  opened->set_caller(caller);
  opened->set_reason("opened by an agent");
  opened->set_request_id(req.request_id());
  *opened->mutable_at() = ToProto(now);
  return grpc::Status::OK;
}

grpc::Status TicketingService::AnswerCreate(Opening& opening, v1::Ticket* resp) const {
  if (!opening.status.ok()) return ToGrpc(opening.status);
  *resp = Current(std::move(opening.ticket));
  return grpc::Status::OK;
}

grpc::ServerUnaryReactor* TicketingService::CreateTicket(grpc::CallbackServerContext* ctx,
                                                         const v1::CreateTicketRequest* req,
                                                         v1::Ticket* resp) {
  auto* reactor = ctx->DefaultReactor();
  if (auto s = Expired(ctx, "CreateTicket"); !s.ok()) {
    reactor->Finish(s);
    return reactor;
  }
  auto opening = std::make_unique<Opening>();
  if (auto s = PrepareCreate(*req, CallerOf(ctx), opening.get()); !s.ok()) {
    reactor->Finish(s);
    return reactor;
  }
  Opening* mine = opening.release();  // the committer's until answered
  // Stored, armed, indexed and its event acknowledged, then answered.
  creates_.Submit(mine, [this, mine, reactor, resp] {
    std::unique_ptr<Opening> done(mine);
    reactor->Finish(AnswerCreate(*done, resp));
  });
  return reactor;
}

grpc::Status TicketingService::Create(const v1::CreateTicketRequest* req, v1::Ticket* resp) {
  Opening opening;
  if (auto s = PrepareCreate(*req, "", &opening); !s.ok()) return s;
  creates_.Submit(&opening);
  return AnswerCreate(opening, resp);
}

grpc::Status TicketingService::GetDefectRollup(grpc::ServerContext* ctx,
                                               const v1::GetDefectRollupRequest* req,
                                               v1::GetDefectRollupResponse* resp) {
  auto rows = DefectRollup(parts_.index, parts_.policy, req->project_id());
  if (!rows.ok()) return ToGrpc(rows.status());
  for (auto& r : *rows) *resp->add_rows() = std::move(r);
  return grpc::Status::OK;
}

grpc::Status TicketingService::GetComplaintReport(grpc::ServerContext* ctx,
                                                  const v1::GetComplaintReportRequest* req,
                                                  v1::GetComplaintReportResponse* resp) {
  auto day = ParseDate(req->date());
  if (!day.ok()) return InvalidArgument("date:", "expected YYYY-MM-DD");
  auto rows = ComplaintReport(parts_.index, parts_.store, parts_.policy, *day, req->project_id());
  if (!rows.ok()) return ToGrpc(rows.status());
  for (auto& r : *rows) *resp->add_rows() = std::move(r);
  return grpc::Status::OK;
}

grpc::Status TicketingService::ExportCustomer(grpc::ServerContext* ctx,
                                              const v1::ExportCustomerRequest* req,
                                              v1::ExportCustomerResponse* resp) {
  if (req->customer_id().empty()) {
    return InvalidArgument("customer_id", "is required");
  }
  auto tickets = tickets_.ListByCustomer(req->customer_id(), kOwnerTicketsMax + 1);
  if (!tickets.ok()) return ToGrpc(tickets.status());
  if (tickets->size() > kOwnerTicketsMax) {
    return grpc::Status(grpc::StatusCode::FAILED_PRECONDITION,
                        absl::StrCat("the owner has more than ", kOwnerTicketsMax,
                                     " tickets; an export answers all or none"));
  }
  for (auto& t : *tickets) {
    if (auto until = RetainedUntil(t, options_.retention)) {
      (*resp->mutable_retained_until())[t.id()] = ToProto(*until);
    }
    *resp->add_tickets() = Current(std::move(t));
  }
  return grpc::Status::OK;
}

}  // namespace mot::ticketing
