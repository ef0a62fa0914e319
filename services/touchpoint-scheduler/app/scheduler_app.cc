#include "app/scheduler_app.h"

#include "mot/common/lifecycle_codec.h"

#include <signal.h>

#include <fstream>
#include <random>
#include <sstream>
#include <thread>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "mot/common/codec.h"
#include "mot/common/ids.h"
#include "mot/common/topics.h"
#include "mot/common/gate.h"
#include "mot/common/log.h"
#include "mot/common/runtime.h"
#include "mot/common/validate.h"

namespace mot::scheduler {
namespace {

const char* FailureLabel(DispatchFailure f) {
  switch (f) {
    case DispatchFailure::kRejected:
      return "rejected";  // the broker or producer refuses the command for good
    case DispatchFailure::kMissing:
      return "missing";  // the stored touchpoint or command is gone or unreadable
    case DispatchFailure::kUnavailable:
      return "unavailable";  // the broker could not take it now; retried with backoff
    case DispatchFailure::kLeaseLost:
      return "lease_lost";  // settled after the claim ran out
    case DispatchFailure::kStore:
      return "store";  // Redis failed during a pass
  }
  return "store";
}

}  // namespace

std::unique_ptr<SchedulerMetrics> MakeSchedulerMetrics(prometheus::Registry& r) {
  auto& dispatched = prometheus::BuildCounter()
                         .Name("mot_scheduler_touchpoints_dispatched_total")
                         .Help("Touchpoint commands sent to the owning service.")
                         .Register(r);
  std::map<std::string, prometheus::Counter*> by_service;
  for (const auto& service : ActionServices()) {
    by_service[service] = &dispatched.Add({{"service", service}});
  }
  auto& failures = prometheus::BuildCounter()
                       .Name("mot_scheduler_dispatch_failures_total")
                       .Help("Due touchpoints not dispatched, by reason (rejected and missing "
                             "ones are FAILED; unavailable ones are retried).")
                       .Register(r);
  std::map<DispatchFailure, prometheus::Counter*> by_reason;
  for (auto f : {DispatchFailure::kRejected, DispatchFailure::kMissing,
                 DispatchFailure::kUnavailable, DispatchFailure::kLeaseLost,
                 DispatchFailure::kStore}) {
    by_reason[f] = &failures.Add({{"reason", FailureLabel(f)}});
  }
  auto metrics = std::unique_ptr<SchedulerMetrics>(new SchedulerMetrics{
      prometheus::BuildCounter()
          .Name("mot_scheduler_touchpoints_total")
          .Help("Touchpoints by playbook step and what became of them: planned, fired "
                "(dispatched), moved (re-anchored or rescheduled), cancelled, failed.")
          .Register(r),
      prometheus::BuildCounter()
          .Name("mot_scheduler_playbook_reloads_total")
          .Help("Playbook reloads by result: ok (a new version in force) or refused (broken; "
                "the one in force stays).")
          .Register(r),
      prometheus::BuildGauge()
          .Name("mot_scheduler_playbook_info")
          .Help("1 for the version of the playbook in force.")
          .Register(r),
      prometheus::BuildCounter()
          .Name("mot_scheduler_profiles_total")
          .Help("Customer profiles kept (mot.customer.v1).")
          .Register(r)
          .Add({}),
      prometheus::BuildCounter()
          .Name("mot_scheduler_calendar_touchpoints_total")
          .Help("Touchpoints stored by calendar passes (festivals, birthdays), new or not.")
          .Register(r)
          .Add({}),
      prometheus::BuildCounter()
          .Name("mot_scheduler_events_total")
          .Help("Lifecycle events accepted.")
          .Register(r)
          .Add({}),
      prometheus::BuildCounter()
          .Name("mot_scheduler_touchpoints_planned_total")
          .Help("Touchpoints planned from lifecycle events (redeliveries included).")
          .Register(r)
          .Add({}),
      std::move(by_service), std::move(by_reason),
      prometheus::BuildGauge()
          .Name("mot_scheduler_pending_timers")
          .Help("Touchpoint timers armed (scheduled, not yet dispatched), all partitions.")
          .Register(r)
          .Add({}),
      prometheus::BuildGauge()
          .Name("mot_scheduler_oldest_due_timer_age_seconds")
          .Help("How long the oldest due, unclaimed timer has been due (0 when none is).")
          .Register(r)
          .Add({}),
      prometheus::BuildHistogram()
          .Name("mot_scheduler_dispatch_lag_seconds")
          .Help("Time from a touchpoint's due time to its dispatch.")
          .Register(r)
          .Add({}, prometheus::Histogram::BucketBoundaries{0.1, 0.5, 1, 2, 5, 10, 30, 60, 300,
                                                           3600, 86400, 604800})});
  // Both results exported from the start (at 0), so a rate of refusals exists before one.
  for (const char* result : {"ok", "refused"}) metrics->reloads.Add({{"result", result}});
  return metrics;
}

std::string CommandTopic(const std::string& service) {
  if (service == "notification") return kNotificationCommandsTopic;
  if (service == "survey") return kSurveyCommandsTopic;
  if (service == "ticketing") return kTicketingCommandsTopic;
  return "";
}

absl::Status CheckPlanned(const std::vector<PlannedTouchpoint>& planned,
                          const PlanningLimits& limits) {
  for (const auto& p : planned) {
    if (p.payload.size() > limits.max_command_bytes) {
      return absl::InvalidArgumentError(absl::StrCat(
          "step '", p.touchpoint.step_id(), "': its command would be ", p.payload.size(),
          " bytes, over the limit of ", limits.max_command_bytes,
          " (MOT_SCHEDULER_MAX_COMMAND_BYTES)"));
    }
  }
  return absl::OkStatus();
}

LivePlaybook::LivePlaybook(Playbook initial, std::string path, std::string text)
    : path_(std::move(path)),
      current_(std::make_shared<const Playbook>(std::move(initial))),
      text_(std::move(text)) {}

std::shared_ptr<const Playbook> LivePlaybook::Get() const {
  std::lock_guard lock(mu_);
  return current_;
}

absl::StatusOr<bool> LivePlaybook::Reload() {
  std::ifstream in(path_);
  if (!in) return absl::NotFoundError(absl::StrCat(path_, ": cannot be read"));
  std::stringstream buf;
  buf << in.rdbuf();
  const std::string text = buf.str();
  {
    std::lock_guard lock(mu_);
    if (text == text_) return false;
    text_ = text;  // a broken text is refused once, not at every look
  }
  auto parsed = Playbook::FromYaml(text, path_);
  if (!parsed.ok()) return parsed.status();
  std::lock_guard lock(mu_);
  current_ = std::make_shared<const Playbook>(*std::move(parsed));
  return true;
}

namespace {
absl::Status UnknownType() {
  return absl::InvalidArgumentError("type is not a known event type (docs/events.md, the playbook's triggers)");
}
}  // namespace

void LifecycleHandler::HandleBatch(std::vector<Work>& batch) {
  const TimePoint now = clock_.Now();
  const std::shared_ptr<const Playbook> pb = playbook_.Get();
  std::vector<std::pair<size_t, lifecycle::v1::LifecycleEvent>> events;
  for (size_t i = 0; i < batch.size(); ++i) {
    lifecycle::v1::LifecycleEvent event;
    absl::Status s = DecodeLifecycleEvent(batch[i].msg, &event);
    if (s.ok()) s = ValidateEvent(event, now, limits_.window);
    if (!s.ok()) {
      batch[i].status = s;
      continue;
    }
    if (!pb->Knows(event.type())) {
      batch[i].status = UnknownType();  // dead-lettered: replayed once a playbook uses the type
      continue;
    }
    events.emplace_back(i, std::move(event));
  }
  HandleEvents(*pb, events, batch, now);
}

void LifecycleHandler::HandleEvents(
    const Playbook& playbook, std::vector<std::pair<size_t, lifecycle::v1::LifecycleEvent>>& events,
    std::vector<Work>& batch, TimePoint now) {
  if (events.empty()) return;
  const Playbook* pb = &playbook;  // the same name as in HandleBatch
  // Only events whose steps look at the customer (conditions, contact window, dates
  // in their zone) read what is kept of them.
  std::vector<std::string> customers;
  for (const auto& [i, e] : events) {
    if (pb->NeedsFacts(e.type())) customers.push_back(e.customer_id());
  }
  auto facts = customers.empty() ? absl::StatusOr<std::map<std::string, CustomerFacts>>(
                                       std::map<std::string, CustomerFacts>{})
                                 : store_.Facts(customers, pb->stages());
  absl::Status failed = facts.status();
  Planned segment;
  for (auto& [i, event] : events) {
    if (!failed.ok()) {
      batch[i].status = failed;  // this one and the later ones are tried again
      continue;
    }
    CustomerFacts& f = (*facts)[event.customer_id()];
    const std::string anchor = pb->Reanchors(event.type());
    const bool amends = pb->Cancels(event.type()) || !anchor.empty();
    if (amends && segment.customers.count(event.customer_id())) {
      // The customer's earlier events of the batch are stored first: the change sees them.
      failed = Store(segment, batch, now);
      segment = Planned{};
      if (!failed.ok()) {
        batch[i].status = failed;
        continue;
      }
    }
    auto moves = Reanchor(*pb, event, f);
    auto plan = Plan(*pb, event, f);
    absl::Status s = moves.ok() ? plan.status() : moves.status();
    if (s.ok()) s = CheckPlanned(*plan, limits_);
    if (!s.ok()) {
      batch[i].status = s;
      continue;
    }
    if (amends) {
      const std::string by = absl::StrCat(event.type(), " (event ", event.event_id(), ")");
      // A touchpoint that both exits and moves is cancelled (the script checks exits first).
      segment.amendments.push_back(
          {event.customer_id(), event.type(),
           pb->Cancels(event.type()) ? absl::StrCat("cancelled by ", by)
                                     : absl::StrCat("moved: ", anchor, " changed by ", by),
           anchor, *std::move(moves)});
    }
    ApplyEvent(*pb, event, &f);
    Log().info("event {} type={} planned {} touchpoints", event.event_id(), event.type(),
               plan->size());
    segment.customers.insert(event.customer_id());
    segment.events.push_back(i);
    segment.owner.insert(segment.owner.end(), plan->size(), i);
    std::move(plan->begin(), plan->end(), std::back_inserter(segment.touchpoints));
    if (auto update = UpdateFrom(*pb, event); update.Matters()) segment.updates.push_back(std::move(update));
  }
  if (failed.ok()) (void)Store(segment, batch, now);
}

absl::Status LifecycleHandler::Store(Planned& seg, std::vector<Work>& batch, TimePoint now) {
  if (seg.events.empty()) return absl::OkStatus();
  // What is due now goes first (stored DISPATCHED, then sent), with the amendments and
  // customer updates; what waits is stored after, before the offsets are: a welcome
  // does not wait for the four years planned with it.
  std::vector<PlannedTouchpoint> due, later;
  std::vector<size_t> due_owner, later_owner;
  for (size_t k = 0; k < seg.touchpoints.size(); ++k) {
    auto& p = seg.touchpoints[k];
    const bool send = FromProto(p.touchpoint.due_at()) <= now && !CommandTopic(p.touchpoint.service()).empty();
    if (send) {
      // Sent now and recurring: its next occurrence waits with the rest.
      if (auto next = NextOccurrence(p)) {
        later.push_back(*std::move(next));
        later_owner.push_back(seg.owner[k]);
      }
      due.push_back(std::move(p));
      due_owner.push_back(seg.owner[k]);
    } else {
      later.push_back(std::move(p));
      later_owner.push_back(seg.owner[k]);
    }
  }
  const auto fail = [&](const absl::Status& s) {
    for (size_t i : seg.events) batch[i].status = s;
    return s;
  };
  auto stored = store_.StoreSegment(seg.amendments, seg.updates, due,
                                    std::vector<bool>(due.size(), true), now);
  if (!stored.ok()) return fail(stored.status());
  for (size_t k = 0; k < stored->amended.size(); ++k) {
    const auto& r = stored->amended[k];
    for (const auto& step : r.cancelled_steps) metrics_.Count(step, "cancelled");
    for (const auto& step : r.moved_steps) metrics_.Count(step, "moved");
    if (r.cancelled_steps.empty() && r.moved_steps.empty()) continue;
    Log().info("{} of customer journey: {} cancelled, {} moved", seg.amendments[k].event_type,
               r.cancelled_steps.size(), r.moved_steps.size());
  }
  for (size_t k = 0; k < due.size(); ++k) {
    const auto& tp = due[k].touchpoint;
    metrics_.Count(tp.step_id(), "planned");
    if (!stored->sends[k]) continue;  // stored before and done: nothing to send
    // Keyed by customer, like the dispatcher's sends.
    Work& w = batch[due_owner[k]];
    absl::Status sent = w.out->Publish(CommandTopic(tp.service()), tp.customer_id(), due[k].payload);
    if (!sent.ok() && w.status.ok()) w.status = sent;
    if (auto it = metrics_.dispatched.find(tp.service()); it != metrics_.dispatched.end()) {
      it->second->Increment();
    }
    metrics_.Count(tp.step_id(), "fired");
    metrics_.lag.Observe(std::chrono::duration<double>(now - FromProto(tp.due_at())).count());
  }
  if (!later.empty()) {
    auto armed = store_.ScheduleOrSend(later, std::vector<bool>(later.size(), false), now);
    if (!armed.ok()) return fail(armed.status());
  }
  metrics_.events.Increment(static_cast<double>(seg.events.size()));
  metrics_.planned.Increment(static_cast<double>(due.size() + later.size()));
  TimePoint earliest = TimePoint::max();
  for (const auto& p : later) {
    metrics_.Count(p.touchpoint.step_id(), "planned");
    earliest = std::min(earliest, FromProto(p.touchpoint.due_at()));
  }
  if (planned_ && earliest != TimePoint::max()) planned_(earliest);
  return absl::OkStatus();
}

absl::Status ValidateProfile(const customer::v1::CustomerProfile& p) {
  if (p.customer_id().empty()) return absl::InvalidArgumentError("customer_id is required");
  if (!p.time_zone().empty()) {
    if (auto z = LoadZone(p.time_zone()); !z.ok()) {
      return absl::InvalidArgumentError("time_zone is not an IANA time zone name");
    }
  }
  if (p.birth_month() != 0 || p.birth_day() != 0) {
    if (p.birth_month() < 1 || p.birth_month() > 12) {
      return absl::InvalidArgumentError("birth_month must be 1-12");
    }
    const absl::CivilDay last = absl::CivilDay(absl::CivilMonth(2000, p.birth_month()) + 1) - 1;
    if (p.birth_day() < 1 || p.birth_day() > last.day()) {
      return absl::InvalidArgumentError("birth_day is not a day of birth_month");
    }
  }
  return absl::OkStatus();
}

void ProfileHandler::HandleBatch(std::vector<Work>& batch) {
  std::vector<CustomerUpdate> updates;
  std::vector<size_t> kept;
  for (size_t i = 0; i < batch.size(); ++i) {
    customer::v1::CustomerProfile p;
    absl::Status s = DecodeMessage(batch[i].msg, &p);
    if (s.ok()) s = ValidateProfile(p);
    batch[i].status = s;
    if (!s.ok()) continue;
    updates.push_back(UpdateFrom(p));
    kept.push_back(i);
  }
  if (auto s = store_.UpdateCustomers(updates, clock_.Now()); !s.ok()) {
    for (size_t i : kept) batch[i].status = s;
    return;
  }
  metrics_.profiles.Increment(static_cast<double>(kept.size()));
}

absl::StatusOr<int64_t> CalendarPlanner::Pass(const std::atomic<bool>* stop) {
  const TimePoint now = clock_.Now();
  const std::shared_ptr<const Playbook> pb = playbook_.Get();
  const TimePoint to = now + pb->plan_ahead();
  // A festival within reach: every customer; else birthdays only: those with one.
  const bool festivals = HasFestivalDates(*pb, now, to);
  if (!festivals && !HasBirthdaySteps(*pb)) return 0;
  int64_t stored = 0;
  TimePoint earliest = TimePoint::max();
  std::vector<int> partitions = options_.partitions;
  if (partitions.empty()) {
    for (int p = 0; p < store_.partitions(); ++p) partitions.push_back(p);
  }
  for (int p : partitions) {
    uint64_t cursor = 0;
    do {
      if (stop != nullptr && stop->load()) return stored;
      auto scan = store_.ScanCustomers(p, cursor, options_.batch, !festivals);
      if (!scan.ok()) return scan.status();
      cursor = scan->first;
      auto facts = store_.Facts(scan->second, pb->stages());
      if (!facts.ok()) return facts.status();
      std::vector<PlannedTouchpoint> planned;
      for (const auto& [id, f] : *facts) {
        for (auto& tp : PlanCalendar(*pb, f, now, to)) planned.push_back(std::move(tp));
      }
      if (planned.empty()) continue;
      auto s = store_.ScheduleAll(planned, now);
      if (!s.ok()) return s;
      stored += static_cast<int64_t>(planned.size());
      for (const auto& tp : planned) earliest = std::min(earliest, FromProto(tp.touchpoint.due_at()));
    } while (cursor != 0);
  }
  metrics_.calendar_planned.Increment(static_cast<double>(stored));
  if (planned_ && earliest != TimePoint::max()) planned_(earliest);
  return stored;
}

void CalendarPlanner::Wake() { alarm_.Ring(); }

void CalendarPlanner::Run(const std::atomic<bool>& stop) {
  while (!stop.load()) {
    alarm_.Reset();
    auto pass = Pass(&stop);
    if (!pass.ok()) {
      Log().warn("calendar pass failed, again in {} ms: {}", options_.interval.count(),
                 pass.status().message());
    } else if (*pass > 0) {
      Log().info("calendar pass stored {} touchpoints", *pass);
    }
    alarm_.Wait(options_.interval, stop);
  }
}

void WatchPlaybook(LivePlaybook& playbook, std::chrono::milliseconds interval,
                   SchedulerMetrics& metrics, const std::function<void()>& reloaded,
                   const std::atomic<bool>& stop) {
  sigset_t hup;
  sigemptyset(&hup);
  sigaddset(&hup, SIGHUP);
  std::string shown = playbook.Get()->version();
  metrics.playbook.Add({{"version", shown}}).Set(1);
  auto next = std::chrono::steady_clock::now() + interval;
  while (!stop.load()) {
    const timespec wait{0, 200'000'000};
    const bool signalled = sigtimedwait(&hup, nullptr, &wait) == SIGHUP;
    if (!signalled && std::chrono::steady_clock::now() < next) continue;
    next = std::chrono::steady_clock::now() + interval;
    auto changed = playbook.Reload();
    if (!changed.ok()) {
      metrics.reloads.Add({{"result", "refused"}}).Increment();
      Log().error("playbook reload refused, version {} stays in force: {}", shown,
                  changed.status().message());
      continue;
    }
    if (!*changed) {
      if (signalled) Log().info("playbook unchanged (version {})", shown);
      continue;
    }
    const std::string version = playbook.Get()->version();
    metrics.reloads.Add({{"result", "ok"}}).Increment();
    metrics.playbook.Remove(&metrics.playbook.Add({{"version", shown}}));
    metrics.playbook.Add({{"version", version}}).Set(1);
    Log().info("playbook reloaded: version {} in force ({} steps)", version,
               playbook.Get()->steps().size());
    shown = version;
    if (reloaded) reloaded();
  }
}

namespace {

// What a domain event must carry to mean anything; without it, it is dead-lettered
// with the field's name (not taken for an event about nobody).
absl::Status Check(const ticketing::v1::TicketEvent& e) {
  if (e.type() == ticketing::v1::TICKET_EVENT_TYPE_UNSPECIFIED) return absl::InvalidArgumentError("type is required");
  if (!ticketing::v1::TicketEventType_IsValid(e.type())) {
    return absl::InvalidArgumentError("type is not a known event type (TicketEventType)");
  }
  if (e.ticket().id().empty()) return absl::InvalidArgumentError("ticket.id is required");
  return absl::OkStatus();
}
absl::Status Check(const notification::v1::NotificationEvent& e) {
  if (e.delivery().id().empty()) return absl::InvalidArgumentError("delivery.id is required");
  if (e.delivery().customer_id().empty() && e.delivery().role().empty()) {
    return absl::InvalidArgumentError("delivery.customer_id (or delivery.role) is required");
  }
  if (!notification::v1::DeliveryStatus_IsValid(e.delivery().status())) {
    return absl::InvalidArgumentError("delivery.status is not a known delivery status (DeliveryStatus)");
  }
  return absl::OkStatus();
}
absl::Status Check(const survey::v1::SurveyEvent& e) {
  if (e.type() == survey::v1::SURVEY_EVENT_TYPE_UNSPECIFIED) return absl::InvalidArgumentError("type is required");
  if (!survey::v1::SurveyEventType_IsValid(e.type())) {
    return absl::InvalidArgumentError("type is not a known event type (SurveyEventType)");
  }
  if (e.instance().id().empty()) return absl::InvalidArgumentError("instance.id is required");
  if (e.instance().customer_id().empty()) return absl::InvalidArgumentError("instance.customer_id is required");
  return absl::OkStatus();
}

}  // namespace

void OutcomeHandler::HandleBatch(std::vector<Work>& batch) {
  const TimePoint now = clock_.Now();
  std::vector<Outcome> outcomes;
  std::vector<size_t> with_outcome;
  std::vector<std::pair<size_t, lifecycle::v1::LifecycleEvent>> triggers;
  const std::shared_ptr<const Playbook> pb = playbook_ ? playbook_->Get() : nullptr;
  for (size_t i = 0; i < batch.size(); ++i) {
    const Incoming& in = batch[i].msg;
    std::optional<Outcome> outcome;
    std::optional<lifecycle::v1::LifecycleEvent> trigger;
    absl::Status s;
    const auto decode = [&](auto e) {
      s = DecodeMessage(in, &e);
      if (s.ok()) s = Check(e);
      if (!s.ok()) return;
      outcome = OutcomeOf(e);
      if (pb && triggers_) {  // only where steps may use it
        if constexpr (std::is_same_v<decltype(e), survey::v1::SurveyEvent>) {
          trigger = TriggerOf(e, now, *pb);
        } else {
          trigger = TriggerOf(e, now);
        }
      }
    };
    if (in.topic == kTicketEventsTopic) {
      decode(ticketing::v1::TicketEvent());
    } else if (in.topic == kNotificationEventsTopic) {
      decode(notification::v1::NotificationEvent());
    } else if (in.topic == kSurveyEventsTopic) {
      decode(survey::v1::SurveyEvent());
    }
    batch[i].status = s;
    if (outcome) {
      outcomes.push_back(std::move(*outcome));
      with_outcome.push_back(i);
    }
    // A domain event a step is triggered by (ticket.resolved ...), or one that cancels
    // a step (survey.completed: the reminder), is handled like a lifecycle event.
    if (trigger && (pb->Triggers(trigger->type()) || pb->Cancels(trigger->type()))) {
      triggers.emplace_back(i, std::move(*trigger));
    }
  }
  if (auto s = store_.AdvanceAll(outcomes, now); !s.ok()) {
    for (size_t i : with_outcome) batch[i].status = s;
    return;
  }
  if (!triggers.empty()) triggers_->HandleEvents(*pb, triggers, batch, now);
}

absl::StatusOr<std::vector<int>> ParsePartitions(const std::string& text, int count) {
  std::vector<int> out;
  if (text.empty() || text == "all") {
    for (int p = 0; p < count; ++p) out.push_back(p);
    return out;
  }
  for (absl::string_view part : absl::StrSplit(text, ',')) {
    std::vector<absl::string_view> range = absl::StrSplit(part, '-');
    int lo = 0, hi = 0;
    if (range.size() > 2 || !absl::SimpleAtoi(range[0], &lo) ||
        !absl::SimpleAtoi(range.back(), &hi) || lo < 0 || hi < lo || hi >= count) {
      return absl::InvalidArgumentError(absl::StrCat(
          "'", part, "' is not a partition or range of partitions 0..", count - 1));
    }
    for (int p = lo; p <= hi; ++p) out.push_back(p);
  }
  return out;
}

Dispatcher::Dispatcher(JourneyStore& store, Publisher& publisher, const Clock& clock,
                       DispatcherOptions options, SchedulerMetrics& metrics)
    : store_(store),
      publisher_(publisher),
      clock_(clock),
      options_(std::move(options)),
      metrics_(metrics),
      replica_(RandomReplicaId()) {
  partitions_ = options_.partitions;
  if (partitions_.empty()) {
    for (int p = 0; p < store_.partitions(); ++p) partitions_.push_back(p);
  }
}

void Dispatcher::Fail(DispatchFailure why, double n) {
  if (n > 0) metrics_.failures.at(why)->Increment(n);
}

absl::StatusOr<Dispatcher::Pass> Dispatcher::DispatchClaimed(TimePoint now) {
  const std::string token = absl::StrCat(replica_, ":", ++claims_);
  auto claimed =
      store_.ClaimDueAll(partitions_, now, options_.claim_lease, options_.batch, token);
  if (!claimed.ok()) return claimed.status();
  Pass pass;
  std::map<int, int> per_partition;
  for (const auto& c : *claimed) {
    pass.more = pass.more || ++per_partition[c.partition] == options_.batch;
  }
  if (claimed->empty()) return pass;

  std::vector<Settlement> settle(claimed->size());
  std::vector<OutMessage> out;
  std::vector<size_t> sent;  // index into claimed of each message in `out`
  for (size_t i = 0; i < claimed->size(); ++i) {
    const auto& c = (*claimed)[i];
    settle[i] = Settlement{c.partition, c.id, c.token, Settlement::Kind::kDrop, "", {}};
    if (c.status != v1::TOUCHPOINT_STATUS_SCHEDULED) continue;  // cancelled, or gone
    if (!c.planned) {
      settle[i].kind = Settlement::Kind::kFailed;
      settle[i].reason = "the stored command is missing or unreadable";
      Fail(DispatchFailure::kMissing);
      Log().error("touchpoint {} failed for good: {}", c.id, settle[i].reason);
      continue;
    }
    const auto& tp = c.planned->touchpoint;
    const std::string topic = CommandTopic(tp.service());
    if (topic.empty()) {
      settle[i].kind = Settlement::Kind::kFailed;
      settle[i].reason = absl::StrCat("no command topic for service '", tp.service(), "'");
      Fail(DispatchFailure::kRejected);
      Log().error("touchpoint {} failed for good: {}", c.id, settle[i].reason);
      continue;
    }
    out.push_back({topic, tp.customer_id(), c.planned->payload, {}});  // keyed by customer
    sent.push_back(i);
  }
  // A recurring touchpoint's next occurrence is stored before this one is sent (once
  // by its id: a pass that fails and comes again stores nothing new).
  std::vector<PlannedTouchpoint> nexts;
  for (size_t i : sent) {
    if (auto next = NextOccurrence(*(*claimed)[i].planned)) nexts.push_back(*std::move(next));
  }
  if (!nexts.empty()) {
    if (auto s = store_.ScheduleAll(nexts, now); !s.ok()) return s;  // the leases run out
    for (const auto& n : nexts) metrics_.Count(n.touchpoint.step_id(), "planned");
  }
  const auto results = publisher_.PublishAll(out);
  for (size_t k = 0; k < sent.size(); ++k) {
    const auto& c = (*claimed)[sent[k]];
    Settlement& s = settle[sent[k]];
    const absl::Status& r = results[k];
    if (r.ok()) {
      s.kind = Settlement::Kind::kDispatched;
    } else if (absl::IsInvalidArgument(r)) {
      s.kind = Settlement::Kind::kFailed;
      s.reason = absl::StrCat("not dispatched: ", r.message());
      Fail(DispatchFailure::kRejected);
      metrics_.Count(c.planned->touchpoint.step_id(), "failed");
      Log().error("touchpoint {} failed for good: {}", c.id, r.message());
    } else {
      auto backoff = options_.retry_initial * (int64_t{1} << std::min(c.attempts, 20));
      s.kind = Settlement::Kind::kRetry;
      s.reason = std::string(r.message());
      s.retry_at = now + std::min<std::chrono::milliseconds>(backoff, options_.retry_max);
      Fail(DispatchFailure::kUnavailable);
      Log().warn("touchpoint {} not dispatched (attempt {}), again at {}: {}", c.id, c.attempts + 1,
                 FormatTime(s.retry_at), r.message());
    }
  }
  auto held = store_.Settle(settle, now);
  if (!held.ok()) {
    Log().warn("{} claimed touchpoints not settled (their leases run out, then they are due "
               "again): {}", settle.size(), held.status().message());
    return held.status();
  }
  for (size_t k = 0; k < sent.size(); ++k) {
    const size_t i = sent[k];
    if (settle[i].kind != Settlement::Kind::kDispatched) continue;
    if (!(*held)[i]) {
      // Sent, but the lease ran out first: another replica may send it again (the
      // owning service's idempotency absorbs that); it is not counted here.
      Fail(DispatchFailure::kLeaseLost);
      Log().warn("touchpoint {} sent after its claim ran out", (*claimed)[i].id);
      continue;
    }
    const auto& tp = (*claimed)[i].planned->touchpoint;
    if (auto it = metrics_.dispatched.find(tp.service()); it != metrics_.dispatched.end()) {
      it->second->Increment();
    }
    metrics_.Count(tp.step_id(), "fired");
    metrics_.lag.Observe(std::chrono::duration<double>(now - FromProto(tp.due_at())).count());
    ++pass.dispatched;
  }
  return pass;
}

absl::StatusOr<Dispatcher::Pass> Dispatcher::DispatchDue() {
  const TimePoint now = clock_.Now();
  auto pass = DispatchClaimed(now);
  if (!pass.ok()) Fail(DispatchFailure::kStore);
  // The gauges, once a tick (passes come faster when woken).
  const auto wall = std::chrono::steady_clock::now();
  if (wall - stats_at_ < options_.tick) return pass;
  stats_at_ = wall;
  if (auto stats = store_.Timers(); stats.ok()) {
    metrics_.pending.Set(static_cast<double>(stats->armed));
    const double age = stats->earliest && *stats->earliest <= now
                           ? std::chrono::duration<double>(now - *stats->earliest).count()
                           : 0.0;
    metrics_.oldest_due_age.Set(age);
  }
  return pass;
}

void Dispatcher::Planned(TimePoint due) {
  if (due <= clock_.Now() + options_.tick) alarm_.Ring();
}

void Dispatcher::Run(const std::atomic<bool>& stop) {
  bool failing = false;  // log the first failure and the recovery, not every tick
  while (!stop.load()) {
    alarm_.Reset();  // what was planned before this pass, this pass sees
    auto pass = DispatchDue();
    if (!pass.ok() && !failing) {
      Log().warn("dispatch failing, retrying every tick: {}", pass.status().message());
    } else if (pass.ok() && failing) {
      Log().info("dispatch recovered");
    }
    failing = !pass.ok();
    if (pass.ok() && pass->more) continue;  // more are due right now
    // The tick is how often the wheel looks, not a due time: due times come from the
    // clock. Woken by what was just planned due, it looks at once.
    alarm_.Wait(options_.tick, stop);
  }
}

namespace {

grpc::Status Invalid(const std::string& message) {
  return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, message);
}

}  // namespace

grpc::Status SchedulerGrpc::GetJourney(grpc::ServerContext* ctx, const v1::GetJourneyRequest* req,
                                       v1::GetJourneyResponse* resp) {
  if (auto s = Expired(ctx, "GetJourney"); !s.ok()) return s;
  if (req->customer_id().empty()) return Invalid("customer_id is required");
  if (req->page_size() < 0 || req->page_size() > 1000) {
    return Invalid("page_size must be from 0 (the default, 100) to 1000");
  }
  int64_t offset = 0;
  if (!req->page_token().empty() && (!absl::SimpleAtoi(req->page_token(), &offset) || offset < 0)) {
    return Invalid("page_token is not one this service gave");
  }
  const int64_t size = req->page_size() == 0 ? 100 : req->page_size();
  const auto pb = playbook_.Get();
  auto facts = store_.Facts({req->customer_id()}, pb->stages());
  if (!facts.ok()) return ToGrpc(facts.status());
  const CustomerFacts& f = (*facts)[req->customer_id()];
  auto page = store_.Page(req->customer_id(), offset, size);
  if (!page.ok()) return ToGrpc(page.status());
  resp->set_customer_id(req->customer_id());
  resp->set_stage(DeriveStage(f.signed_at, f.handover_at, clock_.Now(), pb->stages()));
  resp->set_total(static_cast<int32_t>(page->total));
  for (auto& tp : page->touchpoints) *resp->add_touchpoints() = std::move(tp);
  if (offset + size < page->total) resp->set_next_page_token(std::to_string(offset + size));
  return grpc::Status::OK;
}

grpc::Status SchedulerGrpc::GetStage(grpc::ServerContext* ctx, const v1::GetStageRequest* req,
                                     v1::GetStageResponse* resp) {
  if (auto s = Expired(ctx, "GetStage"); !s.ok()) return s;
  if (req->customer_id().empty()) return Invalid("customer_id is required");
  const auto pb = playbook_.Get();
  auto facts = store_.Facts({req->customer_id()}, pb->stages());
  if (!facts.ok()) return ToGrpc(facts.status());
  const CustomerFacts& f = (*facts)[req->customer_id()];
  const TimePoint at = req->has_at() ? FromProto(req->at()) : clock_.Now();
  resp->set_customer_id(req->customer_id());
  resp->set_stage(DeriveStage(f.signed_at, f.handover_at, at, pb->stages()));
  if (f.signed_at) *resp->mutable_signed_at() = ToProto(*f.signed_at);
  if (f.handover_at) *resp->mutable_handover_at() = ToProto(*f.handover_at);
  return grpc::Status::OK;
}

namespace {

// A manager's change done: counted by step, logged with who asked, answered.
grpc::Status Changed(absl::StatusOr<v1::Touchpoint> tp, const char* status, const std::string& who,
                     SchedulerMetrics& metrics, v1::Touchpoint* resp) {
  if (!tp.ok()) return ToGrpc(tp.status());
  metrics.Count(tp->step_id(), status);
  Log().info("touchpoint {} {} by {}", tp->id(), status, who);
  *resp = *std::move(tp);
  return grpc::Status::OK;
}

// "cancelled by manager-li as ops-console: the open day is called off": who asked, and
// the authenticated caller whose call it was when the gate knows one.
std::string ChangeNote(const char* what, const std::string& requested_by, const grpc::ServerContextBase* ctx,
                       const std::string& reason) {
  const std::string caller = CallerOf(ctx);
  return absl::StrCat(what, " by ", requested_by, caller.empty() ? "" : " as ", caller, ": ", reason);
}

absl::Status RequireChange(const std::string& customer_id, const std::string& touchpoint_id,
                           const std::string& reason, const std::string& requested_by) {
  return RequireFields({{"customer_id", &customer_id},
                        {"touchpoint_id", &touchpoint_id},
                        {"reason", &reason},
                        {"requested_by", &requested_by}});
}

}  // namespace

grpc::Status SchedulerGrpc::CancelTouchpoint(grpc::ServerContext* ctx,
                                             const v1::CancelTouchpointRequest* req,
                                             v1::Touchpoint* resp) {
  if (auto s = Expired(ctx, "CancelTouchpoint"); !s.ok()) return s;
  if (auto s = RequireChange(req->customer_id(), req->touchpoint_id(), req->reason(),
                             req->requested_by());
      !s.ok()) {
    return ToGrpc(s);
  }
  auto tp = store_.Cancel(req->customer_id(), req->touchpoint_id(),
                          ChangeNote("cancelled", req->requested_by(), ctx, req->reason()),
                          clock_.Now());
  return Changed(std::move(tp), "cancelled", req->requested_by(), metrics_, resp);
}

grpc::Status SchedulerGrpc::RescheduleTouchpoint(grpc::ServerContext* ctx,
                                                 const v1::RescheduleTouchpointRequest* req,
                                                 v1::Touchpoint* resp) {
  if (auto s = Expired(ctx, "RescheduleTouchpoint"); !s.ok()) return s;
  if (auto s = RequireChange(req->customer_id(), req->touchpoint_id(), req->reason(),
                             req->requested_by());
      !s.ok()) {
    return ToGrpc(s);
  }
  if (!req->has_due_at()) return Invalid("due_at is required");
  const TimePoint now = clock_.Now();
  const TimePoint due = FromProto(req->due_at());
  if (due < now) return Invalid("due_at is in the past");
  auto tp = store_.Reschedule(req->customer_id(), req->touchpoint_id(), due,
                              ChangeNote("rescheduled", req->requested_by(), ctx, req->reason()),
                              now);
  return Changed(std::move(tp), "moved", req->requested_by(), metrics_, resp);
}

grpc::Status SchedulerGrpc::ValidatePlaybook(grpc::ServerContext* ctx,
                                             const v1::ValidatePlaybookRequest* req,
                                             v1::ValidatePlaybookResponse* resp) {
  if (auto s = Expired(ctx, "ValidatePlaybook"); !s.ok()) return s;
  if (req->playbook().empty()) return Invalid("playbook is required");
  auto pb = Playbook::FromYaml(req->playbook(), req->file_name());
  resp->set_valid(pb.ok());
  if (!pb.ok()) {
    resp->set_error(std::string(pb.status().message()));
    return grpc::Status::OK;
  }
  resp->set_version(pb->version());
  resp->set_steps(static_cast<int32_t>(pb->steps().size()));
  return grpc::Status::OK;
}

absl::StatusOr<std::vector<v1::Touchpoint>> SimulateRequest(const Playbook& pb,
                                                             const v1::SimulateJourneyRequest& req) {
  if (req.events().empty()) return absl::InvalidArgumentError("events: at least one is required");
  if (req.events_size() > 1000) return absl::InvalidArgumentError("events: at most 1000");
  CustomerFacts facts;
  MergeProfile(req.profile(), &facts);
  if (facts.customer_id.empty()) facts.customer_id = "sample";
  TimePoint last{};
  std::vector<lifecycle::v1::LifecycleEvent> events;
  for (int i = 0; i < req.events_size(); ++i) {
    const auto& e = req.events(i);
    if (e.type().empty()) return absl::InvalidArgumentError(absl::StrCat("events[", i, "].type is required"));
    if (!e.has_occurred_at()) {
      return absl::InvalidArgumentError(absl::StrCat("events[", i, "].occurred_at is required"));
    }
    last = std::max(last, FromProto(e.occurred_at()));
    events.push_back(e);
    events.back().set_customer_id(facts.customer_id);
  }
  const TimePoint until = req.has_until() ? FromProto(req.until())
                                          : last + std::chrono::hours(24 * (365 * 4 + 183));
  return Simulate(pb, facts, std::move(events), until);
}

grpc::Status SchedulerGrpc::SimulateJourney(grpc::ServerContext* ctx,
                                            const v1::SimulateJourneyRequest* req,
                                            v1::SimulateJourneyResponse* resp) {
  if (auto s = Expired(ctx, "SimulateJourney"); !s.ok()) return s;
  std::shared_ptr<const Playbook> pb = playbook_.Get();
  if (!req->playbook().empty()) {
    auto given = Playbook::FromYaml(req->playbook());
    if (!given.ok()) return Invalid(absl::StrCat("playbook: ", given.status().message()));
    pb = std::make_shared<const Playbook>(*std::move(given));
  }
  auto journey = SimulateRequest(*pb, *req);
  if (!journey.ok()) return ToGrpc(journey.status());
  resp->set_playbook_version(pb->version());
  for (auto& tp : *journey) *resp->add_touchpoints() = std::move(tp);
  return grpc::Status::OK;
}

grpc::Status SchedulerGrpc::IngestEvent(grpc::ServerContext* ctx, const v1::IngestEventRequest* req,
                                        v1::IngestEventResponse* resp) {
  if (auto s = Expired(ctx, "IngestEvent"); !s.ok()) return s;
  lifecycle::v1::LifecycleEvent event = req->event();
  const TimePoint now = clock_.Now();
  if (!event.has_occurred_at()) *event.mutable_occurred_at() = ToProto(now);
  absl::Status s = ValidateEvent(event, now, limits_.window);
  if (s.ok() && !playbook_.Get()->Knows(event.type())) s = UnknownType();
  if (s.ok()) {
    auto plan = Plan(*playbook_.Get(), event);
    s = plan.ok() ? CheckPlanned(*plan, limits_) : plan.status();
  }
  if (!s.ok()) {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "event." + std::string(s.message()));
  }
  // A message the broker can never take is INVALID_ARGUMENT (not retried); only a
  // broker that cannot take it now is UNAVAILABLE.
  // The publisher that sent it over the API travels with it (header mot-caller).
  Headers headers = {{"content-type", "application/protobuf"}};
  if (const std::string caller = CallerOf(ctx); !caller.empty()) headers["mot-caller"] = caller;
  s = publisher_.Publish(kLifecycleTopic, event.customer_id(), event.SerializeAsString(), headers);
  if (!s.ok()) return ToGrpc(s);
  resp->set_event_id(event.event_id());
  return grpc::Status::OK;
}

}  // namespace mot::scheduler
