#include "touchpoint-scheduler/domain/simulate.h"

#include <algorithm>
#include <set>

#include "absl/strings/str_cat.h"
#include "touchpoint-scheduler/domain/calendar.h"
#include "touchpoint-scheduler/domain/lateness.h"
#include "touchpoint-scheduler/domain/planner.h"

namespace mot::scheduler {

absl::StatusOr<std::vector<v1::Touchpoint>> Simulate(
    const Playbook& pb, const CustomerFacts& profile,
    std::vector<lifecycle::v1::LifecycleEvent> events, TimePoint until,
    std::optional<TimePoint> heard_at) {
  std::stable_sort(events.begin(), events.end(), [](const auto& a, const auto& b) {
    return FromProto(a.occurred_at()) < FromProto(b.occurred_at());
  });
  CustomerFacts facts = profile;
  std::vector<v1::Touchpoint> journey;
  std::set<std::string> ids;
  const auto fire_until = [&](TimePoint t) {
    // Firing a recurring touchpoint plans its next occurrence, which may be due too.
    for (bool fired = true; fired;) {
      fired = false;
      for (size_t i = 0; i < journey.size(); ++i) {
        auto& tp = journey[i];
        if (tp.status() != v1::TOUCHPOINT_STATUS_SCHEDULED || FromProto(tp.due_at()) > t) continue;
        tp.set_status(v1::TOUCHPOINT_STATUS_DISPATCHED);
        fired = true;
        if (auto next = NextOccurrence({tp, ""});
            next && ids.insert(next->touchpoint.id()).second) {
          journey.push_back(std::move(next->touchpoint));
        }
      }
    }
  };
  const auto add = [&](std::vector<PlannedTouchpoint> planned) {
    for (auto& p : planned) {
      if (ids.insert(p.touchpoint.id()).second) journey.push_back(std::move(p.touchpoint));
    }
  };
  for (size_t i = 0; i < events.size(); ++i) {
    auto& e = events[i];
    if (e.customer_id().empty())
      e.set_customer_id(facts.customer_id.empty() ? "sample" : facts.customer_id);
    if (e.event_id().empty()) e.set_event_id(absl::StrCat("simulated-", i));
    const TimePoint occurred = FromProto(e.occurred_at());
    const TimePoint at = heard_at ? std::max(occurred, *heard_at) : occurred;  // planned then
    const auto refuse = [&](const absl::Status& s) {
      return absl::InvalidArgumentError(
          absl::StrCat("events[", i, "] (", e.type(), "): ", s.message()));
    };
    fire_until(at);
    auto moves = Reanchor(pb, e, facts);
    if (!moves.ok()) return refuse(moves.status());
    for (auto& tp : journey) {
      if (tp.status() != v1::TOUCHPOINT_STATUS_SCHEDULED) continue;
      if (auto m = moves->find(tp.step_id());
          m != moves->end() && tp.anchor() == pb.Reanchors(e.type())) {
        *tp.mutable_previous_due_at() = tp.due_at();
        *tp.mutable_due_at() = ToProto(m->second);
      }
      if (Contains({tp.exit_on().begin(), tp.exit_on().end()}, e.type())) {
        tp.set_status(v1::TOUCHPOINT_STATUS_CANCELLED);
        tp.set_outcome(absl::StrCat("cancelled: ", e.type(), " (event ", e.event_id(), ")"));
      }
    }
    auto planned = Plan(pb, e, facts);
    if (!planned.ok()) return refuse(planned.status());
    ApplyEvent(pb, e, &facts);
    add(ApplyLateness(pb, *std::move(planned), facts, at));
  }
  if (!events.empty()) {
    // Calendar days from the first event on (from when the mesh heard of them: the
    // calendar is planned ahead, never back); none after an exit the step obeys.
    CustomerFacts before_exit = facts;
    before_exit.exited.clear();
    TimePoint from = FromProto(events.front().occurred_at());
    if (heard_at) from = std::max(from, *heard_at);
    for (auto& p : PlanCalendar(pb, before_exit, from, until)) {
      const TimePoint due = FromProto(p.touchpoint.due_at());
      const bool exited = std::any_of(events.begin(), events.end(), [&](const auto& e) {
        return FromProto(e.occurred_at()) <= due &&
               Contains({p.touchpoint.exit_on().begin(), p.touchpoint.exit_on().end()}, e.type());
      });
      if (!exited && ids.insert(p.touchpoint.id()).second)
        journey.push_back(std::move(p.touchpoint));
    }
  }
  fire_until(until);
  std::stable_sort(journey.begin(), journey.end(), [](const auto& a, const auto& b) {
    return FromProto(a.due_at()) < FromProto(b.due_at());
  });
  return journey;
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
    if (e.type().empty())
      return absl::InvalidArgumentError(absl::StrCat("events[", i, "].type is required"));
    if (!e.has_occurred_at()) {
      return absl::InvalidArgumentError(absl::StrCat("events[", i, "].occurred_at is required"));
    }
    last = std::max(last, FromProto(e.occurred_at()));
    events.push_back(e);
    events.back().set_customer_id(facts.customer_id);
  }
  std::optional<TimePoint> heard_at;
  if (req.has_heard_at()) {
    heard_at = FromProto(req.heard_at());
    last = std::max(last, *heard_at);
  }
  const TimePoint until =
      req.has_until() ? FromProto(req.until()) : last + std::chrono::hours(24 * (365 * 4 + 183));
  return Simulate(pb, facts, std::move(events), until, heard_at);
}
}  // namespace mot::scheduler
