#include "app/ticketing_app.h"

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "mot/common/clock.h"
#include "mot/common/codec.h"
#include "mot/common/ids.h"
#include "mot/common/topics.h"
#include "mot/common/log.h"
#include "mot/common/runtime.h"
#include "mot/common/validate.h"
#include "mot/notification/v1/notification.pb.h"
#include "prometheus/counter.h"
#include "prometheus/histogram.h"
#include "prometheus/registry.h"

namespace mot::ticketing {

std::unique_ptr<TicketingMetrics> MakeTicketingMetrics(prometheus::Registry& r) {
  return std::unique_ptr<TicketingMetrics>(new TicketingMetrics{
      prometheus::BuildCounter()
          .Name("mot_ticketing_tickets_opened_total")
          .Help("Tickets opened, by kind.")
          .Register(r),
      prometheus::BuildCounter()
          .Name("mot_ticketing_transitions_total")
          .Help("Changes of a ticket's status, by kind and the status it went to.")
          .Register(r),
      prometheus::BuildCounter()
          .Name("mot_ticketing_sla_alerts_total")
          .Help("SLA alerts raised, by kind and alert: warning (a share of a milestone's "
                "window run), breached, risk (a complaint open too long).")
          .Register(r),
      prometheus::BuildCounter()
          .Name("mot_ticketing_escalations_total")
          .Help("Escalations to a role, by kind and rung of the ladder (1, 2, 3 ...).")
          .Register(r),
      prometheus::BuildCounter()
          .Name("mot_ticketing_milestones_met_total")
          .Help("Milestones met, by kind and result: in_time or late (SLA compliance is "
                "in_time over all).")
          .Register(r),
      prometheus::BuildHistogram()
          .Name("mot_ticketing_time_to_milestone_seconds")
          .Help("Time from the owner's request to a milestone met, by kind and milestone.")
          .Register(r),
  });
}

namespace {

const prometheus::Histogram::BucketBoundaries& MilestoneBuckets() {
  // 15 min .. 60 days.
  static const prometheus::Histogram::BucketBoundaries kBuckets = {
      900, 1800, 3600, 7200, 14400, 28800, 86400, 172800, 259200, 604800, 1209600, 2592000, 5184000};
  return kBuckets;
}

std::string Local(const SlaPolicy& policy, TimePoint t) {
  return absl::FormatTime("%Y-%m-%d %H:%M", absl::FromUnixMillis(ToUnixMillis(t)), policy.zone());
}

OutMessage EventMessage(const v1::TicketEvent& event) {
  return {kTicketEventsTopic, event.ticket().customer_id(), event.SerializeAsString(), {}};
}

// A notification command: to the owner, or to a staff role.
OutMessage Notify(const std::string& command_id, const std::string& customer_id,
                  const std::string& role, const std::string& channel,
                  const std::string& template_id, std::map<std::string, std::string> vars,
                  TimePoint at) {
  notification::v1::SendNotificationCommand cmd;
  cmd.set_command_id(command_id);
  cmd.set_customer_id(customer_id);
  cmd.set_role(role);
  cmd.set_channel(channel);
  cmd.set_template_id(template_id);
  for (auto& [k, v] : vars) (*cmd.mutable_variables())[k] = std::move(v);
  *cmd.mutable_requested_at() = ToProto(at);
  return {kNotificationCommandsTopic, role.empty() ? customer_id : "role:" + role,
          cmd.SerializeAsString(), {}};
}

}  // namespace

void CountChange(TicketingMetrics& m, const SlaPolicy& policy, const v1::Ticket& before,
                 const v1::Ticket& after) {
  if (before.id().empty()) {
    m.opened.Add({{"kind", after.kind()}}).Increment();
  } else if (before.status() != after.status()) {
    m.transitions.Add({{"kind", after.kind()}, {"to", StatusName(after.status())}}).Increment();
  }
  const auto met = NewlyMet(policy, before, after);
  if (met.empty()) return;
  const auto review = Review(policy, after, TimePoint{});
  for (const auto& d : review.deadlines) {
    if (std::find(met.begin(), met.end(), d.milestone()) == met.end()) continue;
    m.milestones.Add({{"kind", after.kind()}, {"result", d.breached() ? "late" : "in_time"}})
        .Increment();
    const double seconds =
        std::chrono::duration<double>(FromProto(d.met_at()) - FromProto(after.opened_at())).count();
    m.time_to.Add({{"kind", after.kind()}, {"milestone", d.milestone()}}, MilestoneBuckets())
        .Observe(seconds);
  }
}

std::vector<OutMessage> MessagesOfChange(const SlaPolicy* policy, const v1::Ticket& before,
                                         const v1::Ticket& after) {
  std::vector<OutMessage> out;
  const bool opened = before.id().empty();
  const v1::TicketChange* change = opened || after.history_size() == 0
                                       ? nullptr
                                       : &after.history(after.history_size() - 1);
  v1::TicketEvent event;
  event.set_type(opened                       ? v1::TICKET_EVENT_TYPE_OPENED
                 : !change->to_kind().empty() ? v1::TICKET_EVENT_TYPE_RECLASSIFIED
                                              : EventFor(change->from(), change->to()));
  *event.mutable_occurred_at() = opened ? after.opened_at() : change->at();
  *event.mutable_ticket() = after;
  out.push_back(EventMessage(event));
  if (policy == nullptr || opened) return out;
  for (const auto& m : NewlyMet(*policy, before, after)) {
    v1::TicketEvent met = event;
    met.set_type(v1::TICKET_EVENT_TYPE_MILESTONE_MET);
    met.set_milestone(m);
    out.push_back(EventMessage(met));
  }
  const auto& updates = policy->owner_updates();
  if (!updates.kinds.count(after.kind())) return out;
  const std::string command_id = absl::StrCat("ticket:", after.id(), ":", after.history_size());
  std::map<std::string, std::string> vars = {{"ticket_id", after.id()},
                                             {"project_id", after.project_id()},
                                             {"unit_id", after.unit_id()}};
  if (change->to() == v1::TICKET_STATUS_ACKNOWLEDGED && !updates.acknowledged.empty()) {
    // The planned time: when the kind's last milestone is due.
    const auto review = Review(*policy, after, FromProto(change->at()));
    if (!review.deadlines.empty() && review.deadlines.back().has_due_at()) {
      vars["planned_at"] = Local(*policy, FromProto(review.deadlines.back().due_at()));
      out.push_back(Notify(command_id, after.customer_id(), "", "", updates.acknowledged,
                           std::move(vars), FromProto(change->at())));
    }
  } else if (change->to() == v1::TICKET_STATUS_RESOLVED && !updates.resolved.empty()) {
    out.push_back(Notify(command_id, after.customer_id(), "", "", updates.resolved,
                         std::move(vars), FromProto(change->at())));
  }
  return out;
}

std::vector<OutMessage> MessagesOfAlert(const SlaPolicy& policy, const v1::Ticket& ticket,
                                        const v1::SlaAlert& alert) {
  std::vector<OutMessage> out;
  v1::TicketEvent event;
  event.set_type(alert.kind() == v1::SLA_ALERT_KIND_WARNING    ? v1::TICKET_EVENT_TYPE_SLA_WARNING
                 : alert.kind() == v1::SLA_ALERT_KIND_BREACHED ? v1::TICKET_EVENT_TYPE_SLA_BREACHED
                                                               : v1::TICKET_EVENT_TYPE_RISK_WARNING);
  *event.mutable_occurred_at() = alert.raised_at();
  *event.mutable_ticket() = ticket;
  event.set_milestone(alert.milestone());
  *event.mutable_alert() = alert;
  out.push_back(EventMessage(event));
  const Role* role = policy.FindRole(alert.role());
  if (alert.role().empty() || role == nullptr) return out;
  event.set_type(v1::TICKET_EVENT_TYPE_ESCALATED);
  out.push_back(EventMessage(event));
  const bool risk = alert.kind() == v1::SLA_ALERT_KIND_RISK;
  std::map<std::string, std::string> vars = {
      {"level", std::to_string(alert.level())},
      {"role_title", role->title},
      {"project_id", ticket.project_id()},
      {"ticket_id", ticket.id()},
      {"kind", ticket.kind()},
      {"milestone", alert.milestone()},
      {"summary", ticket.summary().empty() ? "（无）" : ticket.summary()},
      {"due_at", Local(policy, FromProto(alert.due_at()))},
      {"opened_at", Local(policy, FromProto(ticket.opened_at()))},
      {"days", std::to_string(std::chrono::duration_cast<std::chrono::hours>(
                                  policy.risk_warning().after).count() / 24)}};
  out.push_back(Notify(absl::StrCat("sla:", ticket.id(), ":", v1::SlaAlertKind_Name(alert.kind()),
                                    ":", alert.milestone()),
                       "", alert.role(), role->channel, risk ? "sla_risk_warning" : "sla_escalation",
                       std::move(vars), FromProto(alert.raised_at())));
  return out;
}

SlaWatch::SlaWatch(RecordStore& store, RedisTimers& timers, Publisher& publisher,
                   const Clock& clock, const SlaPolicy& policy, SlaWatchOptions options,
                   TicketingMetrics& metrics)
    : records_(store),
      timers_(timers),
      publisher_(publisher),
      clock_(clock),
      policy_(policy),
      options_(options),
      metrics_(metrics),
      replica_(RandomReplicaId()) {}

absl::Status SlaWatch::Watch(const std::vector<v1::Ticket>& tickets) {
  const TimePoint now = clock_.Now();
  std::vector<RedisTimers::Timer> arm;
  bool due_now = false;
  for (const auto& t : tickets) {
    auto review = Review(policy_, t, now);
    std::optional<TimePoint> at = review.raise.empty() ? review.next : now;
    if (!at) continue;  // nothing ahead: a timer armed before finds nothing and goes
    due_now |= *at <= now;
    arm.push_back({timers_.layout().PartitionOf(t.id()), t.id(), *at});
  }
  auto s = timers_.Rearm(arm);
  if (s.ok() && due_now) alarm_.Ring();
  return s;
}

absl::StatusOr<int> SlaWatch::Settle(int partition, const std::string& id,
                                     const std::string& token, TimePoint now) {
  constexpr int kAttempts = 5;
  for (int attempt = 0; attempt < kAttempts; ++attempt) {
    auto stored = records_.Get(id);
    if (!stored.ok()) return stored.status();
    v1::Ticket ticket;
    if (!stored->has_value() || !ticket.ParseFromString(**stored)) {
      auto gone = timers_.Settle(partition, id, token, std::nullopt);
      return gone.ok() ? absl::StatusOr<int>(0) : gone.status();
    }
    auto review = Review(policy_, ticket, now);
    if (!review.raise.empty()) {
      v1::Ticket next = ticket;
      std::vector<OutMessage> messages;
      for (const auto& a : review.raise) {
        *next.add_alerts() = a;
        for (auto& m : MessagesOfAlert(policy_, next, a)) messages.push_back(std::move(m));
      }
      // Sent before recorded: a crash between sends them again (the role's message
      // once: its command id is the alert's); recorded, they are never raised again.
      for (const auto& sent : publisher_.PublishAll(messages)) {
        if (!sent.ok()) return sent;
      }
      auto replaced = records_.Replace(id, **stored, next.SerializeAsString());
      if (!replaced.ok()) return replaced.status();
      if (!*replaced) continue;  // changed meanwhile: review it again
      for (const auto& a : review.raise) {
        const char* what = a.kind() == v1::SLA_ALERT_KIND_WARNING    ? "warning"
                           : a.kind() == v1::SLA_ALERT_KIND_BREACHED ? "breached"
                                                                     : "risk";
        metrics_.alerts.Add({{"kind", ticket.kind()}, {"alert", what}}).Increment();
        if (a.level() > 0) {
          metrics_.escalations.Add({{"kind", ticket.kind()}, {"level", std::to_string(a.level())}})
              .Increment();
        }
        Log().info("ticket {} sla {} milestone={} role={} level={}", id, what, a.milestone(),
                   a.role(), a.level());
      }
    }
    auto settled = timers_.Settle(partition, id, token, review.next);
    if (!settled.ok()) return settled.status();
    return static_cast<int>(review.raise.size());
  }
  return absl::AbortedError(absl::StrCat("ticket ", id, " kept changing"));
}

absl::StatusOr<int> SlaWatch::Pass() {
  const TimePoint now = clock_.Now();
  std::vector<int> partitions;
  for (int p = 0; p < timers_.layout().partitions; ++p) partitions.push_back(p);
  const std::string token = absl::StrCat(replica_, ":", ++claims_);
  auto claimed = timers_.ClaimAll(partitions, now, options_.lease, options_.batch, token);
  if (!claimed.ok()) return claimed.status();
  int raised = 0;
  absl::Status first_error;
  for (size_t p = 0; p < partitions.size(); ++p) {
    for (const auto& id : (*claimed)[p]) {
      auto n = Settle(partitions[p], id, token, now);
      if (n.ok()) {
        raised += *n;
      } else if (first_error.ok()) {
        first_error = n.status();  // the claim lapses and the next pass tries again
      }
    }
  }
  if (!first_error.ok()) return first_error;
  return raised;
}

void SlaWatch::Run(const std::atomic<bool>& stop) {
  while (!stop.load()) {
    alarm_.Reset();
    auto pass = Pass();
    if (!pass.ok()) {
      Log().warn("sla pass failed, again in {} ms: {}", options_.tick.count(), pass.status().message());
    }
    alarm_.Wait(options_.tick, stop);
  }
}

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
  if (watch_ != nullptr) {
    if (auto s = watch_->Watch(tickets); !s.ok()) return fail_all(s);
  }
  for (size_t k = 0; k < tickets.size(); ++k) {
    if (metrics_ != nullptr && (*inserted)[k]) CountChange(*metrics_, policy_, {}, tickets[k]);
    Work& w = batch[valid[k]];
    const auto opened = MessagesOfChange(nullptr, {}, tickets[k]);
    w.status = w.out->Publish(opened[0].topic, opened[0].key, opened[0].payload);
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
  const TimePoint now = clock_ != nullptr ? clock_->Now() : FromProto(ticket.opened_at());
  for (auto& d : Review(*policy_, ticket, now).deadlines) *ticket.add_deadlines() = std::move(d);
  return ticket;
}

grpc::Status TicketingGrpc::Stored(const v1::Ticket& before, const v1::Ticket& after,
                                   bool fresh) {
  if (fresh && watch_ != nullptr) {
    if (auto s = watch_->Watch({after}); !s.ok()) return ToGrpc(s);
  }
  if (fresh && metrics_ != nullptr && policy_ != nullptr) CountChange(*metrics_, *policy_, before, after);
  for (const auto& sent : publisher_->PublishAll(MessagesOfChange(policy_, before, after))) {
    if (!sent.ok()) return ToGrpc(sent);
  }
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
    // The messages of the change (again on a retry, whose first publish may have failed).
    if (replayed) {
      int i = 0;
      while (next->history(i).request_id() != req->request_id()) ++i;
      v1::Ticket before = *next;
      before.mutable_history()->DeleteSubrange(i, before.history_size() - i);
      before.set_status(next->history(i).from());
      v1::Ticket after = before;
      *after.add_history() = next->history(i);
      after.set_status(next->history(i).to());
      if (auto s = Stored(before, after, false); !s.ok()) return s;
    } else if (auto s = Stored(ticket, *next, true); !s.ok()) {
      return s;
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
  if (auto s = Stored({}, *ticket, *inserted); !s.ok()) return s;
  *resp = Current(*std::move(ticket));
  return grpc::Status::OK;
}

}  // namespace mot::ticketing
