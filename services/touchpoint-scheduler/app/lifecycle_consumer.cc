#include "touchpoint-scheduler/app/lifecycle_consumer.h"

#include <algorithm>
#include <iterator>

#include "absl/strings/str_cat.h"
#include "mot/common/lifecycle_codec.h"
#include "mot/common/log.h"
#include "touchpoint-scheduler/app/command_topics.h"
#include "touchpoint-scheduler/domain/lateness.h"

namespace mot::scheduler {

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

bool LifecycleHandler::SetAsideForgotten(
    std::vector<std::pair<size_t, lifecycle::v1::LifecycleEvent>>& events, std::vector<Work>& batch,
    OfForgotten of_forgotten) {
  std::vector<std::string> customers;
  for (const auto& [i, e] : events) customers.push_back(e.customer_id());
  auto gone = store_.Forgotten(customers);
  if (!gone.ok()) {
    for (const auto& [i, e] : events) batch[i].status = gone.status();  // tried again
    return false;
  }
  std::vector<std::pair<size_t, lifecycle::v1::LifecycleEvent>> kept;
  for (auto& [i, e] : events) {
    if (e.type() == kForgetEvent) {
      (*gone)[e.customer_id()];  // the batch's later events about them are set aside
    } else if (gone->count(e.customer_id())) {
      metrics_.events_set_aside->Increment();
      Log().info("event {} type={} is about a forgotten owner: set aside", e.event_id(), e.type());
      if (of_forgotten == OfForgotten::kRefuse) {
        batch[i].status = absl::InvalidArgumentError(
            "customer_id: the owner was forgotten (customer_forgotten); their events are "
            "refused until a profile on mot.customer.v1 updated since says they came back");
      }
      continue;
    }
    kept.emplace_back(i, std::move(e));
  }
  events = std::move(kept);
  return true;
}

void LifecycleHandler::HandleEvents(
    const Playbook& playbook, std::vector<std::pair<size_t, lifecycle::v1::LifecycleEvent>>& events,
    std::vector<Work>& batch, TimePoint now, OfForgotten of_forgotten) {
  if (events.empty() || !SetAsideForgotten(events, batch, of_forgotten)) return;
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
    const bool forgets = event.type() == kForgetEvent;
    const std::string anchor = forgets ? "" : pb->Reanchors(event.type());
    const bool amends = forgets || pb->Cancels(event.type()) || !anchor.empty();
    if (amends && segment.customers.count(event.customer_id())) {
      // The customer's earlier events of the batch are stored first: the change sees them.
      failed = Store(segment, batch, now);
      segment = Planned{};
      if (!failed.ok()) {
        batch[i].status = failed;
        continue;
      }
    }
    if (forgets) {
      // The journey ends and the record goes; nothing is planned for the event.
      segment.amendments.push_back(
          {event.customer_id(), event.type(), "forgotten", "", {}, /*every=*/true});
      segment.updates.push_back(Forgetting(event.customer_id(), FromProto(event.occurred_at())));
      segment.customers.insert(event.customer_id());
      segment.events.push_back(i);
      metrics_.owners_forgotten->Increment();
      Log().info("event {} type={}: the owner's journey ends", event.event_id(), event.type());
      continue;
    }
    CustomerFacts& f = (*facts)[event.customer_id()];
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
      segment.amendments.push_back({event.customer_id(), event.type(),
                                    pb->Cancels(event.type())
                                        ? absl::StrCat("cancelled by ", by)
                                        : absl::StrCat("moved: ", anchor, " changed by ", by),
                                    anchor, *std::move(moves)});
    }
    ApplyEvent(*pb, event, &f);
    *plan = ApplyLateness(*pb, *std::move(plan), f, now);
    Log().info("event {} type={} planned {} touchpoints", event.event_id(), event.type(),
               plan->size());
    segment.customers.insert(event.customer_id());
    segment.events.push_back(i);
    segment.owner.insert(segment.owner.end(), plan->size(), i);
    std::move(plan->begin(), plan->end(), std::back_inserter(segment.touchpoints));
    if (auto update = UpdateFrom(*pb, event); update.Matters())
      segment.updates.push_back(std::move(update));
  }
  if (failed.ok()) (void)Store(segment, batch, now);
}

absl::Status LifecycleHandler::Store(Planned& seg, std::vector<Work>& batch, TimePoint now) {
  if (seg.events.empty()) return absl::OkStatus();
  // What is due now goes first (stored DISPATCHED, then sent), with the amendments and
  // customer updates; what waits is stored after, before the offsets are: a welcome
  // does not wait for the four years planned with it. What is SKIPPED is stored with
  // what waits (the store arms no timer for it).
  std::vector<PlannedTouchpoint> due, later;
  std::vector<size_t> due_owner, later_owner;
  for (size_t k = 0; k < seg.touchpoints.size(); ++k) {
    auto& p = seg.touchpoints[k];
    const bool send = p.touchpoint.status() != v1::TOUCHPOINT_STATUS_SKIPPED &&
                      FromProto(p.touchpoint.due_at()) <= now &&
                      !CommandTopic(p.touchpoint.service()).empty();
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
    absl::Status sent =
        w.out->Publish(CommandTopic(tp.service()), tp.customer_id(), due[k].payload);
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
  TimePoint earliest = TimePoint::max();
  size_t skipped = 0;
  for (const auto& p : later) {
    if (p.touchpoint.status() == v1::TOUCHPOINT_STATUS_SKIPPED) {
      metrics_.Count(p.touchpoint.step_id(), "skipped");
      ++skipped;
      continue;
    }
    metrics_.Count(p.touchpoint.step_id(), "planned");
    earliest = std::min(earliest, FromProto(p.touchpoint.due_at()));
  }
  metrics_.planned.Increment(static_cast<double>(due.size() + later.size() - skipped));
  if (earliest != TimePoint::max()) planned_(earliest);
  return absl::OkStatus();
}
}  // namespace mot::scheduler
