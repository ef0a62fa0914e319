#include "touchpoint-scheduler/domain/planner.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "mot/common/config.h"
#include "mot/common/ids.h"
#include "mot/common/validate.h"
#include "touchpoint-scheduler/domain/conditions.h"
#include "touchpoint-scheduler/domain/dates.h"

namespace mot::scheduler {

namespace {

// InvalidArgument naming the step and the attribute (never its value).
absl::Status CheckAttribute(const Playbook& pb, const Step& step,
                            const lifecycle::v1::LifecycleEvent& event, const std::string& name) {
  const std::string* v = Attribute(&event, name);
  const std::string where = absl::StrCat("attribute '", name, "' (needed by step '", step.id, "')");
  if (v == nullptr) return absl::InvalidArgumentError(absl::StrCat(where, " is missing"));
  auto rule = pb.attributes().find(name);
  if (rule == pb.attributes().end()) return absl::OkStatus();
  if (rule->second.date && !ParseDate(*v).ok()) {
    return absl::InvalidArgumentError(absl::StrCat(where, " is not a date YYYY-MM-DD"));
  }
  if (!rule->second.values.empty() && !Contains(rule->second.values, *v)) {
    return absl::InvalidArgumentError(
        absl::StrCat(where, " is not one of ", absl::StrJoin(rule->second.values, "|")));
  }
  return absl::OkStatus();
}

CustomerFacts FactsOf(const lifecycle::v1::LifecycleEvent& event, CustomerFacts facts) {
  facts.customer_id = event.customer_id();
  if (!event.project_id().empty()) facts.project_id = event.project_id();
  if (!event.unit_id().empty()) facts.unit_id = event.unit_id();
  return facts;
}

}  // namespace

absl::Status ValidateEvent(const lifecycle::v1::LifecycleEvent& event, TimePoint now,
                           const EventWindow& window) {
  if (auto s = RequireFields({{"event_id", &event.event_id()},
                              {"type", &event.type()},
                              {"customer_id", &event.customer_id()}});
      !s.ok()) {
    return s;
  }
  if (!event.has_occurred_at()) return absl::InvalidArgumentError("occurred_at is required");
  return CheckWithin(event.occurred_at(), "occurred_at", now, window);
}

void ApplyEvent(const Playbook& pb, const lifecycle::v1::LifecycleEvent& event, CustomerFacts* f) {
  *f = FactsOf(event, *f);
  const TimePoint at = FromProto(event.occurred_at());
  if (event.type() == pb.stages().signing_event && !f->signed_at) f->signed_at = at;
  if (event.type() == pb.stages().handover_event) f->handover_at = at;
  if (const std::string* tier = Attribute(&event, "tier")) f->tier = *tier;
  if (const std::string* profile = Attribute(&event, "profile")) f->profile_type = *profile;
  if (pb.IsJourneyExit(event.type())) f->exited.insert(event.type());
}

absl::StatusOr<std::vector<PlannedTouchpoint>> Plan(const Playbook& pb,
                                                    const lifecycle::v1::LifecycleEvent& event,
                                                    const CustomerFacts& before) {
  std::vector<PlannedTouchpoint> out;
  CustomerFacts facts = before;
  ApplyEvent(pb, event, &facts);
  const TimePoint occurred = FromProto(event.occurred_at());
  const absl::TimeZone zone = pb.ZoneFor(facts);
  for (const Step& step : pb.steps()) {
    if (step.on != event.type()) continue;
    for (const auto& name : step.required) {
      if (auto s = CheckAttribute(pb, step, event, name); !s.ok()) return s;
    }
    TimePoint first = occurred + step.after;
    if (!step.anchor.empty()) {
      if (auto s = CheckAttribute(pb, step, event, step.anchor); !s.ok()) return s;
      first = AtDate(*ParseDate(event.attributes().at(step.anchor)), step.anchor_offset, zone);
    }
    if (!Holds(step, &event, facts, occurred, pb.stages())) continue;
    Occasion o;
    o.id = DeterministicId("tp", {event.event_id(), step.id});
    o.event_id = event.event_id();
    o.event_type = event.type();
    o.due = first;
    o.attributes = &event.attributes();
    o.occurred = occurred;
    out.push_back(Build(pb, step, facts, o));
    if (step.times > 1) {
      auto& tp = out.back().touchpoint;
      tp.set_occurrences(step.times);
      tp.set_every_ms(step.every.count());
    }
  }
  return out;
}

absl::StatusOr<std::map<std::string, TimePoint>> Reanchor(
    const Playbook& pb, const lifecycle::v1::LifecycleEvent& event, const CustomerFacts& before) {
  std::map<std::string, TimePoint> out;
  const std::string attr = pb.Reanchors(event.type());
  if (attr.empty()) return out;
  const std::string* v = Attribute(&event, attr);
  if (v == nullptr || !ParseDate(*v).ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("attribute '", attr, "' (the date ", event.type(), " moves) is ",
                     v == nullptr ? "missing" : "not a date YYYY-MM-DD"));
  }
  const absl::CivilDay day = *ParseDate(*v);
  const CustomerFacts facts = FactsOf(event, before);
  const absl::TimeZone zone = pb.ZoneFor(facts);
  for (const Step& step : pb.steps()) {
    if (step.anchor != attr) continue;
    const TimePoint due = AtDate(day, step.anchor_offset, zone);
    out[step.id] = step.contact_window ? IntoWindow(due, zone, pb.contact_window()) : due;
  }
  return out;
}

absl::Status CheckPlanned(const std::vector<PlannedTouchpoint>& planned,
                          const PlanningLimits& limits) {
  for (const auto& p : planned) {
    if (p.payload.size() > limits.max_command_bytes) {
      return absl::InvalidArgumentError(
          absl::StrCat("step '", p.touchpoint.step_id(), "': its command would be ",
                       p.payload.size(), " bytes, over the limit of ", limits.max_command_bytes,
                       " (MOT_SCHEDULER_MAX_COMMAND_BYTES)"));
    }
  }
  return absl::OkStatus();
}

absl::Status UnknownType() {
  return absl::InvalidArgumentError(
      "type is not a known event type (docs/events.md, the playbook's triggers)");
}

}  // namespace mot::scheduler
