// The playbook (deploy/config/playbook.yaml, MOT_PLAYBOOK; also what motctl playbook
// validate and the ValidatePlaybook RPC read): Playbook::FromYaml, then what the
// scheduler computes from a playbook that loads.
//
// Input: a playbook as YAML.
//
// Invariants (abort on violation), for a playbook that loads:
//  - every step has exactly one trigger (on or calendar), a known action service,
//    and FindStep finds it by its id;
//  - an event of each step's type, carrying every attribute the playbook declares
//    (a date, the first allowed value, or text), is planned without a refusal, twice
//    alike (ids are deterministic), each touchpoint due at a time protobuf can hold;
//  - each touchpoint's command is one its service can read (a proto3 message: UTF-8);
//  - a recurring touchpoint's occurrences never go back in time and stop at `times`;
//  - the calendar steps plan for a customer over the next 60 days.
#include <algorithm>
#include <chrono>
#include <set>

#include "fuzz_common.h"
#include "mot/notification/v1/notification.pb.h"
#include "mot/survey/v1/survey.pb.h"
#include "mot/ticketing/v1/ticketing.pb.h"
#include "touchpoint-scheduler/domain/calendar.h"
#include "touchpoint-scheduler/domain/planner.h"
#include "touchpoint-scheduler/domain/playbook.h"
#include "touchpoint-scheduler/domain/stage.h"

namespace {

using namespace mot;
using namespace mot::scheduler;

lifecycle::v1::LifecycleEvent EventFor(const Playbook& pb, const std::string& type, TimePoint at) {
  lifecycle::v1::LifecycleEvent e;
  e.set_event_id("ev-fuzz-1");
  e.set_type(type);
  e.set_customer_id("C-FUZZ-1");
  e.set_project_id("P-FUZZ");
  e.set_unit_id("U-1");
  e.set_source("fuzz");
  *e.mutable_occurred_at() = ToProto(at);
  auto& attributes = *e.mutable_attributes();
  for (const Step& step : pb.steps()) {
    if (step.on != type) continue;
    for (const auto& name : step.required) attributes[name] = "x";  // an undeclared one: any text
  }
  for (const auto& [name, rule] : pb.attributes()) {
    std::string value = rule.date ? "2026-09-15" : "x";
    for (const auto& v : rule.values) {
      if (!v.empty()) {
        value = v;
        break;
      }
    }
    attributes[name] = value;
  }
  return e;
}

// Whether the touchpoint's command parses as its service's command, and the
// touchpoint itself as stored (the journey store keeps it as protobuf).
bool Readable(const PlannedTouchpoint& p) {
  v1::Touchpoint stored;
  if (!stored.ParseFromString(p.touchpoint.SerializeAsString())) return false;
  const std::string& service = p.touchpoint.service();
  if (service == "notification")
    return notification::v1::SendNotificationCommand().ParseFromString(p.payload);
  if (service == "survey") return survey::v1::CreateSurveyCommand().ParseFromString(p.payload);
  return ticketing::v1::OpenTicketCommand().ParseFromString(p.payload);
}

// Whether every attribute the playbook declares has a value an event can carry
// (a list of values that are all empty has none).
bool Satisfiable(const Playbook& pb) {
  for (const auto& [name, rule] : pb.attributes()) {
    if (!rule.values.empty() && std::all_of(rule.values.begin(), rule.values.end(),
                                            [](const std::string& v) { return v.empty(); })) {
      return false;
    }
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string yaml = motfuzz::Str(data, size);
  auto parsed = Playbook::FromYaml(yaml, "fuzz.yaml");
  if (!parsed.ok()) return 0;
  if (!motfuzz::IsUtf8(yaml) && motfuzz::Tolerated("config-not-utf8")) return 0;
  const Playbook& pb = *parsed;

  const auto services = ActionServices();
  std::set<std::string> types;
  for (const Step& step : pb.steps()) {
    motfuzz::Check(step.on.empty() != step.calendar.empty(),
                   "step '" + step.id + "' has not exactly one trigger");
    motfuzz::Check(std::count(services.begin(), services.end(), step.action.service) == 1,
                   "step '" + step.id + "' acts through an unknown service");
    motfuzz::Check(pb.FindStep(step.id) == &step, "FindStep does not find step '" + step.id + "'");
    motfuzz::Check(step.times >= 1, "step '" + step.id + "' occurs fewer than once");
    if (!step.on.empty()) types.insert(step.on);
  }

  const TimePoint now = FromUnixMillis(1'780'000'000'000);  // 2026-05-28
  for (const std::string& type : types) {
    const auto event = EventFor(pb, type, now);
    auto planned = Plan(pb, event);
    if (!planned.ok() && !Satisfiable(pb)) continue;
    motfuzz::Check(planned.ok(), "an event of type '" + type +
                                     "' with every declared attribute is refused: " +
                                     std::string(planned.status().message()));
    auto again = Plan(pb, event);
    motfuzz::Check(again.ok() && again->size() == planned->size(),
                   "planning the same event twice differs");
    for (size_t i = 0; i < planned->size(); ++i) {
      const auto& tp = (*planned)[i].touchpoint;
      motfuzz::Check(tp.id() == (*again)[i].touchpoint.id(),
                     "a touchpoint's id is not deterministic");
      motfuzz::Check(motfuzz::Holdable(tp.due_at()),
                     "step '" + tp.step_id() + "' is due at a time protobuf cannot hold");
      motfuzz::Check(Readable((*planned)[i]),
                     "step '" + tp.step_id() + "': its service cannot read the command");
      // The occurrences of a recurring step: each later than the one before, `times` in all.
      const Step* step = pb.FindStep(tp.step_id());
      motfuzz::Check(step != nullptr, "a touchpoint of an unknown step");
      int n = 1;
      PlannedTouchpoint cur = (*planned)[i];
      while (auto next = NextOccurrence(cur)) {
        motfuzz::Check(++n <= step->times,
                       "step '" + step->id + "' occurs more often than its times");
        motfuzz::Check(motfuzz::Holdable(next->touchpoint.due_at()),
                       "an occurrence is due at a time protobuf cannot hold");
        motfuzz::Check(FromProto(next->touchpoint.due_at()) > FromProto(cur.touchpoint.due_at()),
                       "an occurrence of step '" + step->id + "' is not later than the one before");
        motfuzz::Check(
            !next->payload.empty() && Readable(*next),
            "an occurrence of step '" + step->id + "': its service cannot read the command");
        cur = *std::move(next);
      }
      motfuzz::Check(n == step->times, "step '" + step->id + "' occurs fewer times than its times");
    }
    CustomerFacts facts;
    ApplyEvent(pb, event, &facts);
    (void)Reanchor(pb, event, facts);
  }

  CustomerFacts facts;
  facts.customer_id = "C-FUZZ-1";
  facts.project_id = "P-FUZZ";
  facts.birth_month = 2;
  facts.birth_day = 29;
  facts.signed_at = now - std::chrono::hours(24 * 400);
  facts.handover_at = now - std::chrono::hours(24 * 30);
  for (const auto& tp : PlanCalendar(pb, facts, now, now + std::chrono::hours(24 * 60))) {
    motfuzz::Check(motfuzz::Holdable(tp.touchpoint.due_at()),
                   "a calendar touchpoint is due at a time protobuf cannot hold");
    motfuzz::Check(Readable(tp), "calendar step '" + tp.touchpoint.step_id() +
                                     "': its service cannot read the command");
  }
  (void)HasFestivalDates(pb, now, now + pb.plan_ahead());
  (void)DeriveStage(facts.signed_at, facts.handover_at, now, pb.stages());
  return 0;
}
