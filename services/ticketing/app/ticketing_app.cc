#include "app/ticketing_app.h"

#include <algorithm>
#include <limits>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "mot/common/config.h"
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

namespace {

const prometheus::Histogram::BucketBoundaries& MilestoneBuckets() {
  // 15 min .. 60 days.
  static const prometheus::Histogram::BucketBoundaries kBuckets = {
      900, 1800, 3600, 7200, 14400, 28800, 86400, 172800, 259200, 604800, 1209600, 2592000, 5184000};
  return kBuckets;
}

}  // namespace

std::unique_ptr<TicketingMetrics> MakeTicketingMetrics(prometheus::Registry& r,
                                                       const SlaPolicy* policy) {
  auto m = std::unique_ptr<TicketingMetrics>(new TicketingMetrics{
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
      prometheus::BuildCounter()
          .Name("mot_ticketing_repeat_complaints_total")
          .Help("Tickets linked to an earlier one of the same owner, unit and category within "
                "the window, by kind (the repeat-complaint rate is this over opened).")
          .Register(r),
      prometheus::BuildGauge()
          .Name("mot_ticketing_open_tickets")
          .Help("Tickets open (not resolved or closed), by kind (the kind is the severity: "
                "complaint_general/major, service_l1/l2/l3 ...).")
          .Register(r),
  });
  if (policy == nullptr) return m;
  // Every series a dashboard divides by exists from the start, at 0.
  for (const auto& kind : policy->Kinds()) {
    m->opened.Add({{"kind", kind}});
    m->repeats.Add({{"kind", kind}});
    m->open.Add({{"kind", kind}});
    for (const char* alert : {"warning", "breached", "risk"}) m->alerts.Add({{"kind", kind}, {"alert", alert}});
    for (const char* result : {"in_time", "late"}) m->milestones.Add({{"kind", kind}, {"result", result}});
    int rungs = 0;
    for (const auto& ms : *policy->Find(kind)) {
      m->time_to.Add({{"kind", kind}, {"milestone", ms.name}}, MilestoneBuckets());
      rungs += ms.escalate_to.empty() ? 0 : 1;
    }
    for (int level = 1; level <= rungs; ++level) {
      m->escalations.Add({{"kind", kind}, {"level", std::to_string(level)}});
    }
  }
  return m;
}

namespace {

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
    if (!after.repeat_of().empty()) m.repeats.Add({{"kind", after.kind()}}).Increment();
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
  v1::TicketEvent event;
  *event.mutable_ticket() = after;
  if (opened) {
    event.set_type(v1::TICKET_EVENT_TYPE_OPENED);
    *event.mutable_occurred_at() = after.opened_at();
    out.push_back(EventMessage(event));
    if (!after.repeat_of().empty()) {
      event.set_type(v1::TICKET_EVENT_TYPE_REPEAT_LINKED);
      out.push_back(EventMessage(event));
    }
    return out;
  }
  if (after.notes_size() > before.notes_size()) {
    event.set_type(v1::TICKET_EVENT_TYPE_NOTE_ADDED);
    *event.mutable_occurred_at() = after.notes(after.notes_size() - 1).at();
    out.push_back(EventMessage(event));
    return out;
  }
  if (after.history_size() == 0) return out;
  const v1::TicketChange* change = &after.history(after.history_size() - 1);
  event.set_type(!change->to_kind().empty() ? v1::TICKET_EVENT_TYPE_RECLASSIFIED
                 : !change->to_team().empty() || !change->to_assignee().empty()
                     ? v1::TICKET_EVENT_TYPE_ASSIGNED
                     : EventFor(change->from(), change->to()));
  *event.mutable_occurred_at() = change->at();
  out.push_back(EventMessage(event));
  if (policy == nullptr) return out;
  for (const auto& m : NewlyMet(*policy, before, after)) {
    v1::TicketEvent met = event;
    met.set_type(v1::TICKET_EVENT_TYPE_MILESTONE_MET);
    met.set_milestone(m);
    out.push_back(EventMessage(met));
  }
  const auto& updates = policy->owner_updates();
  if (!updates.kinds.count(after.kind()) || change->from() == change->to()) return out;
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
                   TicketingMetrics& metrics, IndexStore* index)
    : records_(store),
      timers_(timers),
      publisher_(publisher),
      clock_(clock),
      policy_(policy),
      options_(options),
      metrics_(metrics),
      index_(index),
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

void SlaWatch::Raised(const v1::Ticket& ticket, const std::vector<v1::SlaAlert>& alerts) {
  for (const auto& a : alerts) {
    const char* what = a.kind() == v1::SLA_ALERT_KIND_WARNING    ? "warning"
                       : a.kind() == v1::SLA_ALERT_KIND_BREACHED ? "breached"
                                                                 : "risk";
    metrics_.alerts.Add({{"kind", ticket.kind()}, {"alert", what}}).Increment();
    if (a.level() > 0) {
      metrics_.escalations.Add({{"kind", ticket.kind()}, {"level", std::to_string(a.level())}})
          .Increment();
    }
    Log().info("ticket {} sla {} milestone={} role={} level={}", ticket.id(), what, a.milestone(),
               a.role(), a.level());
  }
}

absl::StatusOr<int> SlaWatch::SettleAll(const std::vector<std::pair<int, std::string>>& claimed,
                                        const std::string& token, TimePoint now) {
  std::vector<std::string> ids;
  for (const auto& [_, id] : claimed) ids.push_back(id);
  auto stored = records_.GetAll(ids);
  if (!stored.ok()) return stored.status();
  // What each ticket's SLA asks for now; the alerts of all of them sent together.
  struct Item {
    v1::Ticket before, after;
    SlaReview review;
    bool gone = false;
  };
  std::vector<Item> items(claimed.size());
  std::vector<OutMessage> messages;
  for (size_t i = 0; i < claimed.size(); ++i) {
    Item& it = items[i];
    if (!(*stored)[i] || !it.before.ParseFromString(*(*stored)[i])) {
      it.gone = true;
      continue;
    }
    it.review = Review(policy_, it.before, now);
    it.after = it.before;
    for (const auto& a : it.review.raise) {
      *it.after.add_alerts() = a;
      for (auto& m : MessagesOfAlert(policy_, it.after, a)) messages.push_back(std::move(m));
    }
  }
  // Sent before recorded: a crash between sends them again (the role's message once:
  // its command id is the alert's); recorded, they are never raised again.
  for (const auto& sent : publisher_.PublishAll(messages)) {
    if (!sent.ok()) return sent;  // the claims lapse and a later pass tries again
  }
  int raised = 0;
  std::vector<IndexStore::Op> ops;
  absl::Status first_error;
  for (size_t i = 0; i < claimed.size(); ++i) {
    const auto& [partition, id] = claimed[i];
    Item& it = items[i];
    std::optional<TimePoint> next = it.gone ? std::nullopt : it.review.next;
    if (!it.gone && !it.review.raise.empty()) {
      auto replaced = records_.Replace(id, *(*stored)[i], it.after.SerializeAsString());
      if (!replaced.ok()) return replaced.status();
      if (!*replaced) {  // changed meanwhile: on its own, read again
        auto n = Settle(partition, id, token, now);
        if (n.ok()) raised += *n; else if (first_error.ok()) first_error = n.status();
        continue;
      }
      for (auto& op : IndexOps(it.before, it.after)) ops.push_back(std::move(op));
      Raised(it.before, it.review.raise);
      raised += static_cast<int>(it.review.raise.size());
    }
    auto settled = timers_.Settle(partition, id, token, next);
    if (!settled.ok()) return settled.status();
  }
  if (index_ != nullptr) {
    if (auto s = index_->Apply(ops); !s.ok()) return s;
  }
  if (!first_error.ok()) return first_error;
  return raised;
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
      for (const auto& sent : publisher_.PublishAll(messages)) {
        if (!sent.ok()) return sent;
      }
      auto replaced = records_.Replace(id, **stored, next.SerializeAsString());
      if (!replaced.ok()) return replaced.status();
      if (!*replaced) continue;  // changed meanwhile: review it again
      if (index_ != nullptr) {
        if (auto s = index_->Apply(IndexOps(ticket, next)); !s.ok()) return s;
      }
      Raised(ticket, review.raise);
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
  std::vector<std::pair<int, std::string>> all;
  for (size_t p = 0; p < partitions.size(); ++p) {
    for (auto& id : (*claimed)[p]) all.emplace_back(partitions[p], std::move(id));
  }
  if (all.empty()) return 0;
  auto raised = SettleAll(all, token, now);
  // A full batch somewhere: more may be due; go on at once.
  for (const auto& ids : *claimed) {
    if (ids.size() == static_cast<size_t>(options_.batch)) alarm_.Ring();
  }
  return raised;
}

void SlaWatch::CountOpen() {
  if (index_ == nullptr) return;
  std::vector<std::string> kinds, keys;
  for (const auto& kind : policy_.Kinds()) {
    kinds.push_back(kind);
    keys.push_back(index::Open(kind));
  }
  auto sizes = index_->Sizes(keys, true);
  if (!sizes.ok()) return;
  for (size_t i = 0; i < kinds.size(); ++i) {
    metrics_.open.Add({{"kind", kinds[i]}}).Set(static_cast<double>((*sizes)[i]));
  }
}

void SlaWatch::Run(const std::atomic<bool>& stop) {
  auto counted = std::chrono::steady_clock::time_point{};
  while (!stop.load()) {
    alarm_.Reset();
    if (std::chrono::steady_clock::now() - counted > std::chrono::seconds(10)) {
      CountOpen();
      counted = std::chrono::steady_clock::now();
    }
    auto pass = Pass();
    if (!pass.ok()) {
      Log().warn("sla pass failed, again in {} ms: {}", options_.tick.count(), pass.status().message());
    }
    alarm_.Wait(options_.tick, stop);
  }
}

void TicketOpener::OpenAll(const std::vector<Opening*>& batch) {
  std::vector<Opening*> valid;
  std::vector<v1::Ticket> earlier;  // the batch's tickets before this one, for repeats
  for (Opening* o : batch) {
    o->fresh = false;
    if (!o->status.ok()) continue;
    if (auto linked = LinkRepeat(tickets_, policy_, &o->ticket, earlier); !linked.ok()) {
      o->status = linked.status();
      continue;
    }
    earlier.push_back(o->ticket);
    valid.push_back(o);
  }
  auto fail_all = [&](const absl::Status& s) {
    for (Opening* o : valid) o->status = s;
  };
  std::vector<NewRecord> records;
  records.reserve(valid.size());
  for (const Opening* o : valid) {
    records.push_back({o->ticket.id(), o->ticket.customer_id(),
                       ToUnixMillis(FromProto(o->ticket.opened_at())), o->ticket.SerializeAsString()});
  }
  auto inserted = tickets_.InsertAll(records);
  if (!inserted.ok()) return fail_all(inserted.status());
  // Opened before (asked again): the ticket as it was stored.
  std::vector<std::string> existing;
  std::vector<Opening*> existing_of;
  for (size_t k = 0; k < valid.size(); ++k) {
    valid[k]->fresh = (*inserted)[k];
    if (valid[k]->fresh) {
      Log().info("ticket {} opened kind={} deadlines={}", valid[k]->ticket.id(),
                 valid[k]->ticket.kind(), valid[k]->ticket.deadlines_size());
    } else {
      existing.push_back(valid[k]->ticket.id());
      existing_of.push_back(valid[k]);
    }
  }
  auto stored = tickets_.GetAll(existing);
  if (!stored.ok()) return fail_all(stored.status());
  for (size_t j = 0; j < existing.size(); ++j) {
    if ((*stored)[j]) existing_of[j]->ticket = std::move(*(*stored)[j]);
  }
  if (watch_ != nullptr) {
    std::vector<v1::Ticket> tickets;
    tickets.reserve(valid.size());
    for (const Opening* o : valid) tickets.push_back(o->ticket);
    if (auto s = watch_->Watch(tickets); !s.ok()) return fail_all(s);
  }
  if (index_ != nullptr) {
    std::vector<IndexStore::Op> ops;
    for (const Opening* o : valid) {
      if (!o->fresh) continue;  // indexed when first stored
      for (auto& op : IndexOps({}, o->ticket)) ops.push_back(std::move(op));
    }
    if (auto s = index_->Apply(ops); !s.ok()) return fail_all(s);
  }
  if (metrics_ != nullptr) {
    for (const Opening* o : valid) {
      if (o->fresh) CountChange(*metrics_, policy_, {}, o->ticket);
    }
  }
}

void CommandHandler::HandleBatch(std::vector<Work>& batch) {
  std::vector<Opening> openings(batch.size());
  std::vector<Opening*> all;
  for (size_t i = 0; i < batch.size(); ++i) {
    v1::OpenTicketCommand cmd;
    openings[i].status = DecodeMessage(batch[i].msg, &cmd);
    if (openings[i].status.ok() && clock_ != nullptr && cmd.has_requested_at()) {
      openings[i].status = CheckWithin(cmd.requested_at(), "requested_at", clock_->Now(), times_);
    }
    if (openings[i].status.ok()) {
      auto ticket = OpenTicket(policy_, cmd);
      if (ticket.ok()) openings[i].ticket = *std::move(ticket);
      else openings[i].status = ticket.status();
    }
    all.push_back(&openings[i]);
  }
  opener_.OpenAll(all);
  for (size_t i = 0; i < batch.size(); ++i) {
    Work& w = batch[i];
    w.status = openings[i].status;
    if (!w.status.ok()) continue;
    for (const auto& m : MessagesOfChange(nullptr, {}, openings[i].ticket)) {
      w.status = w.out->Publish(m.topic, m.key, m.payload);
      if (!w.status.ok()) break;
    }
  }
}

absl::StatusOr<bool> LinkRepeat(ProtoStore<v1::Ticket>& tickets, const SlaPolicy& policy,
                                v1::Ticket* t, const std::vector<v1::Ticket>& earlier) {
  const auto& rule = policy.repeat_complaints();
  if (!rule.kinds.count(t->kind()) || t->category().empty()) return false;
  auto owners = tickets.ListByCustomer(t->customer_id(), 1000);
  if (!owners.ok()) return owners.status();
  const TimePoint opened = FromProto(t->opened_at());
  const v1::Ticket* latest = nullptr;
  const auto consider = [&](const v1::Ticket& o) {
    const TimePoint at = FromProto(o.opened_at());
    if (o.id() == t->id() || !rule.kinds.count(o.kind()) || o.unit_id() != t->unit_id() ||
        o.category() != t->category() || at > opened || opened - at > rule.within) {
      return;
    }
    if (latest == nullptr || FromProto(latest->opened_at()) < at) latest = &o;
  };
  for (const auto& o : *owners) consider(o);
  for (const auto& o : earlier) {
    if (o.customer_id() == t->customer_id()) consider(o);
  }
  if (latest == nullptr) return false;
  t->set_repeat_of(latest->id());
  return true;
}

TicketingGrpc::TicketingGrpc(TicketingParts parts) : parts_(parts), tickets_(parts.store) {
  if (parts_.policy != nullptr) {
    opener_ = std::make_unique<TicketOpener>(*parts_.policy, parts_.store, parts_.watch,
                                             parts_.metrics, parts_.index);
    // Stored while the batch before is still awaiting the broker.
    creates_ = std::make_unique<GroupCommit<Opening>>(
        std::vector<GroupCommit<Opening>::Stage>{
            [this](std::vector<Opening*>& batch) { opener_->OpenAll(batch); },
            [this](std::vector<Opening*>& batch) { PublishCreates(batch); }},
        parts_.create_batch);
  }
}

void TicketingGrpc::PublishCreates(const std::vector<Opening*>& batch) {
  std::vector<OutMessage> messages;
  std::vector<std::pair<Opening*, size_t>> sent_by;  // who sent each message
  for (Opening* o : batch) {
    if (!o->status.ok()) continue;
    for (auto& m : MessagesOfChange(parts_.policy, {}, o->ticket)) {
      messages.push_back(std::move(m));
      sent_by.emplace_back(o, messages.size() - 1);
    }
  }
  const auto sent = parts_.publisher->PublishAll(messages);
  for (const auto& [o, k] : sent_by) {
    if (o->status.ok() && !sent[k].ok()) o->status = sent[k];
  }
}

grpc::Status TicketingGrpc::Serving(bool with_policy) const {
  if (parts_.publisher == nullptr || parts_.clock == nullptr ||
      (with_policy && parts_.policy == nullptr)) {
    return grpc::Status(grpc::StatusCode::UNIMPLEMENTED, "changes are not served here");
  }
  return grpc::Status::OK;
}

grpc::Status TicketingGrpc::GetTicket(grpc::ServerContext* ctx, const v1::GetTicketRequest* req,
                                      v1::GetTicketResponse* resp) {
  if (auto s = Expired(ctx, "GetTicket"); !s.ok()) return s;
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
  if (parts_.policy == nullptr || parts_.policy->Find(ticket.kind()) == nullptr) return ticket;
  ticket.clear_deadlines();
  const TimePoint now = parts_.clock != nullptr ? parts_.clock->Now() : FromProto(ticket.opened_at());
  for (auto& d : Review(*parts_.policy, ticket, now).deadlines) *ticket.add_deadlines() = std::move(d);
  return ticket;
}

grpc::Status TicketingGrpc::Stored(const v1::Ticket& before, const v1::Ticket& after,
                                   bool fresh) {
  if (fresh && parts_.watch != nullptr) {
    if (auto s = parts_.watch->Watch({after}); !s.ok()) return ToGrpc(s);
  }
  if (fresh && parts_.index != nullptr) {
    if (auto s = parts_.index->Apply(IndexOps(before, after)); !s.ok()) return ToGrpc(s);
  }
  if (fresh && parts_.metrics != nullptr && parts_.policy != nullptr) {
    CountChange(*parts_.metrics, *parts_.policy, before, after);
  }
  for (const auto& sent : parts_.publisher->PublishAll(MessagesOfChange(parts_.policy, before, after))) {
    if (!sent.ok()) return ToGrpc(sent);
  }
  return grpc::Status::OK;
}

grpc::Status TicketingGrpc::ListTickets(grpc::ServerContext* ctx, const v1::ListTicketsRequest* req,
                                        v1::ListTicketsResponse* resp) {
  if (auto s = Expired(ctx, "ListTickets"); !s.ok()) return s;
  if (req->page_size() < 0) {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "page_size must not be negative");
  }
  const size_t limit = req->page_size() == 0 ? parts_.max_page_size
                                             : std::min(req->page_size(), parts_.max_page_size);
  if (req->status() != v1::TICKET_STATUS_UNSPECIFIED && !v1::TicketStatus_IsValid(req->status())) {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "status is not a ticket status");
  }
  const bool filtered = !req->project_id().empty() || !req->kind().empty() ||
                        req->status() != v1::TICKET_STATUS_UNSPECIFIED || !req->assignee().empty() ||
                        req->breached();
  if (!filtered) {
    if (!req->page_token().empty()) {
      return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                          "page_token: pages are served for filtered lists (project_id, kind, "
                          "status, assignee, breached)");
    }
    auto list = req->customer_id().empty() ? tickets_.ListRecent(limit)
                                           : tickets_.ListByCustomer(req->customer_id(), limit);
    if (!list.ok()) return ToGrpc(list.status());
    for (auto& t : *list) *resp->add_tickets() = Current(std::move(t));
    return grpc::Status::OK;
  }
  if (parts_.index == nullptr) {
    return grpc::Status(grpc::StatusCode::UNIMPLEMENTED, "filtered lists are not served here");
  }
  auto cursor = PageCursor::Parse(req->page_token());
  if (!cursor) {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                        "page_token is not one this service gave out");
  }
  // The most selective index; the other filters are checked on each ticket.
  const std::string key = !req->assignee().empty()            ? index::Assignee(req->assignee())
                          : req->breached()                   ? std::string(index::kBreached)
                          : !req->project_id().empty()        ? index::Project(req->project_id())
                          : req->status() != v1::TICKET_STATUS_UNSPECIFIED ? index::Status(req->status())
                                                              : index::Kind(req->kind());
  const auto matches = [&](const v1::Ticket& t) {
    bool breached = false;
    for (const auto& a : t.alerts()) breached |= a.kind() == v1::SLA_ALERT_KIND_BREACHED;
    return (req->customer_id().empty() || t.customer_id() == req->customer_id()) &&
           (req->project_id().empty() || t.project_id() == req->project_id()) &&
           (req->kind().empty() || t.kind() == req->kind()) &&
           (req->status() == v1::TICKET_STATUS_UNSPECIFIED || t.status() == req->status()) &&
           (req->assignee().empty() || t.assignee() == req->assignee()) &&
           (!req->breached() || breached);
  };
  // At most a few index pages per call, so that a rare combination answers promptly.
  PageCursor at = *cursor;
  for (int round = 0; round < 4; ++round) {
    auto entries = parts_.index->RevRange(key, at.max, std::numeric_limits<int64_t>::min(), at.skip,
                                          limit);
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
      if ((*found)[i] && matches(*(*found)[i])) *resp->add_tickets() = Current(std::move(*(*found)[i]));
    }
    if (entries->size() < limit) return grpc::Status::OK;  // the index has no more
  }
  resp->set_next_page_token(at.Token());
  return grpc::Status::OK;
}

namespace {

// The change with request id `request_id` in the history, as before and after it.
TicketingGrpc::Changed ReplayOf(const v1::Ticket& t, const std::string& request_id) {
  int i = 0;
  while (i < t.history_size() && t.history(i).request_id() != request_id) ++i;
  TicketingGrpc::Changed c{t, t, true};
  if (i == t.history_size()) return c;
  const v1::TicketChange& change = t.history(i);
  c.before.mutable_history()->DeleteSubrange(i, t.history_size() - i);
  c.before.set_status(change.from());
  if (!change.from_kind().empty()) c.before.set_kind(change.from_kind());
  c.after = c.before;
  *c.after.add_history() = change;
  c.after.set_status(change.to());
  if (!change.to_kind().empty()) c.after.set_kind(change.to_kind());
  return c;
}

}  // namespace

grpc::Status TicketingGrpc::Change(const std::string& ticket_id, const std::string& caller,
                                   const ChangeFn& change, v1::Ticket* resp) {
  if (ticket_id.empty()) {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "ticket_id is required");
  }
  if (auto s = Serving(false); !s.ok()) return s;
  constexpr int kAttempts = 5;
  for (int attempt = 0; attempt < kAttempts; ++attempt) {
    auto stored = parts_.store.Get(ticket_id);
    if (!stored.ok()) return ToGrpc(stored.status());
    v1::Ticket ticket;
    if (!stored->has_value() || !ticket.ParseFromString(**stored)) {
      return grpc::Status(grpc::StatusCode::NOT_FOUND, "no ticket " + ticket_id);
    }
    auto c = change(ticket, parts_.clock->Now());
    if (!c.ok()) return ToGrpc(c.status());
    if (!c->replayed) {
      // Who called: on the change or the note the call added.
      if (c->after.history_size() > ticket.history_size()) {
        c->after.mutable_history()->rbegin()->set_caller(caller);
      }
      if (c->after.notes_size() > ticket.notes_size()) c->after.mutable_notes()->rbegin()->set_caller(caller);
      auto replaced = parts_.store.Replace(ticket_id, **stored, c->after.SerializeAsString());
      if (!replaced.ok()) return ToGrpc(replaced.status());
      if (!*replaced) continue;  // changed meanwhile: read it again
    }
    // The messages of the change; again on a retry (whose first publish may have failed).
    if (auto s = Stored(c->before, c->after, !c->replayed); !s.ok()) return s;
    *resp = Current(c->replayed ? std::move(ticket) : std::move(c->after));
    return grpc::Status::OK;
  }
  return grpc::Status(grpc::StatusCode::ABORTED,
                      "the ticket kept changing; read it again and retry");
}

grpc::Status TicketingGrpc::TransitionTicket(grpc::ServerContext* ctx,
                                             const v1::TransitionTicketRequest* req,
                                             v1::Ticket* resp) {
  if (auto s = Expired(ctx, "TransitionTicket"); !s.ok()) return s;
  if (!req->defect_code().empty() && parts_.policy != nullptr &&
      parts_.policy->FindDefect(req->defect_code()) == nullptr) {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                        "defect_code is not in the defect library");
  }
  const TransitionRequest request{req->to(), req->actor(), req->reason(), req->request_id()};
  return Change(req->ticket_id(), CallerOf(ctx), [&](const v1::Ticket& t, TimePoint now) -> absl::StatusOr<Changed> {
    bool replayed = false;
    auto next = Transition(t, request, now, &replayed);
    if (!next.ok()) return next.status();
    if (replayed) return ReplayOf(t, req->request_id());
    if (!req->defect_code().empty()) next->set_defect_code(req->defect_code());
    Log().info("ticket {} {} -> {} by {}", t.id(), StatusName(t.status()), StatusName(next->status()),
               req->actor());
    return Changed{t, *std::move(next), false};
  }, resp);
}

grpc::Status TicketingGrpc::AssignTicket(grpc::ServerContext* ctx, const v1::AssignTicketRequest* req,
                                         v1::Ticket* resp) {
  if (auto s = Expired(ctx, "AssignTicket"); !s.ok()) return s;
  if (req->team().empty() && req->assignee().empty()) {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "team or assignee is required");
  }
  if (auto s = RequireFields({{"actor", &req->actor()}, {"request_id", &req->request_id()}}); !s.ok()) {
    return ToGrpc(s);
  }
  if (!req->team().empty() && parts_.policy != nullptr && !parts_.policy->teams().count(req->team())) {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                        "team is not one of the configured teams");
  }
  return Change(req->ticket_id(), CallerOf(ctx), [&](const v1::Ticket& t, TimePoint now) -> absl::StatusOr<Changed> {
    for (const auto& c : t.history()) {
      if (c.request_id() == req->request_id()) return ReplayOf(t, req->request_id());
    }
    if (t.status() == v1::TICKET_STATUS_CLOSED) {
      return absl::FailedPreconditionError("the ticket is CLOSED; reopen it to reassign it");
    }
    v1::Ticket next = t;
    if (!req->team().empty()) next.set_team(req->team());
    if (!req->assignee().empty()) next.set_assignee(req->assignee());
    auto* change = next.add_history();
    change->set_from(t.status());
    change->set_to(t.status());
    change->set_actor(req->actor());
    change->set_reason(req->reason());
    change->set_request_id(req->request_id());
    change->set_to_team(next.team());
    change->set_to_assignee(next.assignee());
    *change->mutable_at() = ToProto(now);
    Log().info("ticket {} assigned team={} by {}", t.id(), next.team(), req->actor());
    return Changed{t, std::move(next), false};
  }, resp);
}

grpc::Status TicketingGrpc::AddNote(grpc::ServerContext* ctx, const v1::AddNoteRequest* req,
                                    v1::Ticket* resp) {
  if (auto s = Expired(ctx, "AddNote"); !s.ok()) return s;
  if (auto s = RequireFields({{"text", &req->text()}, {"author", &req->author()},
                              {"request_id", &req->request_id()}});
      !s.ok()) {
    return ToGrpc(s);
  }
  return Change(req->ticket_id(), CallerOf(ctx), [&](const v1::Ticket& t, TimePoint now) -> absl::StatusOr<Changed> {
    for (int i = 0; i < t.notes_size(); ++i) {
      if (t.notes(i).request_id() == req->request_id()) {
        Changed c{t, t, true};
        c.before.mutable_notes()->DeleteSubrange(i, t.notes_size() - i);
        return c;
      }
    }
    v1::Ticket next = t;
    auto* note = next.add_notes();
    note->set_author(req->author());
    note->set_text(req->text());
    note->set_request_id(req->request_id());
    *note->mutable_at() = ToProto(now);
    return Changed{t, std::move(next), false};
  }, resp);
}

grpc::Status TicketingGrpc::ReclassifyTicket(grpc::ServerContext* ctx,
                                             const v1::ReclassifyTicketRequest* req,
                                             v1::Ticket* resp) {
  if (auto s = Expired(ctx, "ReclassifyTicket"); !s.ok()) return s;
  if (auto s = Serving(true); !s.ok()) return s;
  if (req->request_id().empty()) {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "request_id is required");
  }
  const TransitionRequest request{v1::TICKET_STATUS_UNSPECIFIED, req->actor(), req->reason(),
                                  req->request_id()};
  return Change(req->ticket_id(), CallerOf(ctx), [&](const v1::Ticket& t, TimePoint now) -> absl::StatusOr<Changed> {
    bool replayed = false;
    auto next = Reclassify(*parts_.policy, t, req->kind(), request, now, &replayed);
    if (!next.ok()) return next.status();
    if (replayed) return ReplayOf(t, req->request_id());
    Log().info("ticket {} kind {} -> {} by {}", t.id(), t.kind(), next->kind(), req->actor());
    return Changed{t, *std::move(next), false};
  }, resp);
}

grpc::Status TicketingGrpc::PrepareCreate(const v1::CreateTicketRequest& req, const std::string& caller,
                                          Opening* opening) const {
  if (auto s = Serving(true); !s.ok()) return s;
  if (auto s = RequireFields({{"request_id", &req.request_id()}, {"actor", &req.actor()}}); !s.ok()) {
    return ToGrpc(s);
  }
  if (!req.defect_code().empty() && parts_.policy->FindDefect(req.defect_code()) == nullptr) {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                        "defect_code is not in the defect library");
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
  const TimePoint now = parts_.clock->Now();
  if (req.has_requested_at()) {
    if (auto s = CheckWithin(req.requested_at(), "requested_at", now, parts_.times); !s.ok()) {
      return ToGrpc(s);
    }
  }
  *cmd.mutable_requested_at() = req.has_requested_at() ? req.requested_at() : ToProto(now);
  auto ticket = OpenTicket(*parts_.policy, cmd);
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

grpc::Status TicketingGrpc::AnswerCreate(Opening& opening, v1::Ticket* resp) const {
  if (!opening.status.ok()) return ToGrpc(opening.status);
  *resp = Current(std::move(opening.ticket));
  return grpc::Status::OK;
}

grpc::ServerUnaryReactor* TicketingGrpc::CreateTicket(grpc::CallbackServerContext* ctx,
                                                      const v1::CreateTicketRequest* req,
                                                      v1::Ticket* resp) {
  if (auto s = Expired(ctx, "CreateTicket"); !s.ok()) {
    auto* late = ctx->DefaultReactor();
    late->Finish(s);
    return late;
  }
  auto* reactor = ctx->DefaultReactor();
  auto opening = std::make_unique<Opening>();
  if (auto s = PrepareCreate(*req, CallerOf(ctx), opening.get()); !s.ok()) {
    reactor->Finish(s);
    return reactor;
  }
  Opening* mine = opening.release();  // the committer's until answered
  // Stored, armed, indexed and its event acknowledged, then answered.
  creates_->Submit(mine, [this, mine, reactor, resp] {
    std::unique_ptr<Opening> done(mine);
    reactor->Finish(AnswerCreate(*done, resp));
  });
  return reactor;
}

grpc::Status TicketingGrpc::Create(const v1::CreateTicketRequest* req, v1::Ticket* resp) {
  Opening opening;
  if (auto s = PrepareCreate(*req, "", &opening); !s.ok()) return s;
  creates_->Submit(&opening);
  return AnswerCreate(opening, resp);
}

grpc::Status TicketingGrpc::GetDefectRollup(grpc::ServerContext* ctx,
                                            const v1::GetDefectRollupRequest* req,
                                            v1::GetDefectRollupResponse* resp) {
  if (auto s = Expired(ctx, "GetDefectRollup"); !s.ok()) return s;
  if (parts_.index == nullptr || parts_.policy == nullptr) {
    return grpc::Status(grpc::StatusCode::UNIMPLEMENTED, "the defect library is not served here");
  }
  auto rows = DefectRollup(*parts_.index, *parts_.policy, req->project_id());
  if (!rows.ok()) return ToGrpc(rows.status());
  for (auto& r : *rows) *resp->add_rows() = std::move(r);
  return grpc::Status::OK;
}

grpc::Status TicketingGrpc::GetComplaintReport(grpc::ServerContext* ctx,
                                               const v1::GetComplaintReportRequest* req,
                                               v1::GetComplaintReportResponse* resp) {
  if (auto s = Expired(ctx, "GetComplaintReport"); !s.ok()) return s;
  if (parts_.index == nullptr || parts_.policy == nullptr) {
    return grpc::Status(grpc::StatusCode::UNIMPLEMENTED, "the complaint report is not served here");
  }
  auto day = ParseDate(req->date());
  if (!day.ok()) return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "date: expected YYYY-MM-DD");
  const auto& zone = parts_.policy->zone();
  const int64_t from = absl::ToUnixMillis(absl::FromCivil(*day, zone));
  const int64_t to = absl::ToUnixMillis(absl::FromCivil(*day + 1, zone)) - 1;
  std::vector<std::string> ids;
  for (const auto& kind : parts_.policy->risk_warning().kinds) {  // the complaint kinds
    auto entries = parts_.index->RevRange(index::Kind(kind), to, from, 0, 100000);
    if (!entries.ok()) return ToGrpc(entries.status());
    for (const auto& [id, _] : *entries) ids.push_back(id);
  }
  auto found = tickets_.GetAll(ids);
  if (!found.ok()) return ToGrpc(found.status());
  std::vector<v1::ComplaintReportRow> rows;
  for (const auto& t : *found) {
    if (!t || (!req->project_id().empty() && t->project_id() != req->project_id())) continue;
    v1::ComplaintReportRow row;
    row.set_ticket_id(t->id());
    row.set_project_id(t->project_id());
    row.set_unit_id(t->unit_id());
    row.set_kind(t->kind());
    row.set_category(t->category());
    row.set_summary(t->summary());
    *row.mutable_received_at() = t->opened_at();
    if (auto replied = ReachedAt(*t, v1::TICKET_STATUS_ACKNOWLEDGED)) {
      *row.mutable_first_reply_at() = ToProto(*replied);
    }
    const auto teams = parts_.policy->teams().find(t->team());
    row.set_handler(!t->assignee().empty()            ? t->assignee()
                    : teams != parts_.policy->teams().end() ? teams->second
                                                            : t->team());
    for (const auto& c : t->history()) {
      if (c.to() == v1::TICKET_STATUS_RESOLVED && c.from() != c.to()) row.set_measure(c.reason());
    }
    if (row.measure().empty() && t->notes_size() > 0) row.set_measure(t->notes(t->notes_size() - 1).text());
    row.set_status(t->status());
    rows.push_back(std::move(row));
  }
  std::sort(rows.begin(), rows.end(), [](const auto& a, const auto& b) {
    return FromProto(a.received_at()) < FromProto(b.received_at());
  });
  for (auto& r : rows) *resp->add_rows() = std::move(r);
  return grpc::Status::OK;
}

}  // namespace mot::ticketing
