#include "domain/playbook.h"

#include <algorithm>


#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "mot/common/validate.h"
#include "mot/common/config.h"
#include "mot/common/ids.h"
#include "mot/common/yaml.h"

namespace mot::scheduler {
namespace {

// The parameters each service's action needs.
const std::map<std::string, std::vector<std::string>>& RequiredParams() {
  static const std::map<std::string, std::vector<std::string>> kRequired = {
      {"notification", {"template"}}, {"survey", {"survey"}}, {"ticketing", {"kind"}}};
  return kRequired;
}

absl::StatusOr<std::chrono::milliseconds> DurationField(const YAML::Node& node,
                                                        const std::string& where) {
  auto d = ParseDuration(node.as<std::string>());
  if (!d.ok()) return absl::InvalidArgumentError(absl::StrCat(where, ": ", d.status().message()));
  return *d;
}

}  // namespace

std::vector<std::string> ActionServices() {
  std::vector<std::string> out;
  for (const auto& [service, _] : RequiredParams()) out.push_back(service);
  return out;
}

const std::vector<std::string>& LifecycleEventTypes() {
  static const std::vector<std::string> types = {
      "prospect_visit",     "contract_signed",  "signing_progress", "construction_progress",
      "design_change",      "policy_change",    "handover_rescheduled", "handover",
      "handover_refused",   "repair_requested", "complaint_filed",  "unit_resold",
      "customer_opt_out",   "repurchase",       "referral_made",    "community_activity"};
  return types;
}

bool Playbook::Knows(const std::string& event_type) const {
  const auto& types = LifecycleEventTypes();
  if (std::find(types.begin(), types.end(), event_type) != types.end()) return true;
  return std::any_of(steps_.begin(), steps_.end(),
                     [&](const Step& s) { return s.on == event_type; });
}

namespace {

std::string Param(const Step& step, const std::string& name) {
  auto it = step.action.params.find(name);
  return it == step.action.params.end() ? "" : it->second;
}

}  // namespace

absl::StatusOr<Playbook> Playbook::FromYaml(const std::string& yaml) {
  return GuardYaml([&]() -> absl::StatusOr<Playbook> {
    Playbook pb;
    auto parsed = ParseYaml(yaml);
    if (!parsed.ok()) return parsed.status();
    const YAML::Node& root = *parsed;
    auto stages_section = YamlSection(root, "stages", "a map of the lifecycle stage windows");
    if (!stages_section.ok()) return stages_section.status();
    const YAML::Node& stages = *stages_section;
    if (auto s = RequireKeys(stages, "stages", {"prospect_1", "runin_1", "runin_2", "stable"});
        !s.ok()) {
      return s;
    }
    for (auto [field, target] :
         {std::pair{"prospect_1", &pb.stages_.prospect_1}, std::pair{"runin_1", &pb.stages_.runin_1},
          std::pair{"runin_2", &pb.stages_.runin_2}, std::pair{"stable", &pb.stages_.stable}}) {
      auto d = DurationField(stages[field], absl::StrCat("stages.", field));
      if (!d.ok()) return d.status();
      *target = *d;
    }
    auto zone = LoadZone(root["time_zone"] ? root["time_zone"].as<std::string>() : "Asia/Shanghai");
    if (!zone.ok()) return zone.status();
    pb.zone_ = *zone;
    for (const auto& kv : root["project_time_zones"]) {
      auto z = LoadZone(kv.second.as<std::string>());
      if (!z.ok()) {
        return absl::InvalidArgumentError(absl::StrCat("project_time_zones.",
                                                       kv.first.as<std::string>(), ": ",
                                                       z.status().message()));
      }
      pb.project_zones_[kv.first.as<std::string>()] = *z;
    }
    if (stages["signing_event"]) {
      pb.stages_.signing_event = stages["signing_event"].as<std::string>();
    }
    if (stages["handover_event"]) {
      pb.stages_.handover_event = stages["handover_event"].as<std::string>();
    }

    auto steps_section = YamlSection(root, "steps", "a non-empty list of steps");
    if (!steps_section.ok()) return steps_section.status();
    const YAML::Node& steps = *steps_section;
    if (!steps.IsSequence()) return absl::InvalidArgumentError("'steps' must be a non-empty list");
    std::map<std::string, bool> seen;
    for (size_t i = 0; i < steps.size(); ++i) {
      const YAML::Node& n = steps[i];
      Step step;
      step.id = n["id"] ? n["id"].as<std::string>() : "";
      const std::string where = step.id.empty() ? absl::StrCat("steps[", i, "]")
                                                : absl::StrCat("step '", step.id, "'");
      if (auto s = RequireKeys(n, where, {"id", "title", "on", "action"}); !s.ok()) return s;
      if (seen[step.id]) return absl::InvalidArgumentError(absl::StrCat(where, ": duplicate id"));
      seen[step.id] = true;
      step.title = n["title"].as<std::string>();
      step.on = n["on"].as<std::string>();
      if (n["after"]) {
        auto d = DurationField(n["after"], where + ": after");
        if (!d.ok()) return d.status();
        step.after = *d;
      }
      for (const auto& kv : n["action"]) {
        step.action.params[kv.first.as<std::string>()] = kv.second.as<std::string>();
      }
      step.action.service = Param(step, "service");
      step.action.params.erase("service");
      auto required = RequiredParams().find(step.action.service);
      if (required == RequiredParams().end()) {
        return absl::InvalidArgumentError(absl::StrCat(
            where, ": action.service '", step.action.service,
            "' is unknown; expected notification, survey or ticketing"));
      }
      for (const auto& p : required->second) {
        if (Param(step, p).empty()) {
          return absl::InvalidArgumentError(
              absl::StrCat(where, ": action.", p, " is required for ", step.action.service));
        }
      }
      pb.steps_.push_back(std::move(step));
    }
    return pb;
  });
}

absl::StatusOr<absl::TimeZone> LoadZone(const std::string& name) {
  absl::TimeZone zone;
  if (name.empty() || !absl::LoadTimeZone(name, &zone)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "time zone '", name, "' is unknown; expected an IANA name such as Asia/Shanghai"));
  }
  return zone;
}

const absl::TimeZone& Playbook::ZoneOf(const std::string& project_id) const {
  auto it = project_zones_.find(project_id);
  return it == project_zones_.end() ? zone_ : it->second;
}

absl::Status ValidateEvent(const lifecycle::v1::LifecycleEvent& event, TimePoint now,
                           const EventWindow& window) {
  if (auto s = RequireFields({{"event_id", &event.event_id()},
                               {"type", &event.type()},
                               {"customer_id", &event.customer_id()}});
      !s.ok()) {
    return s;
  }
  if (!event.has_occurred_at()) return absl::InvalidArgumentError("occurred_at is required");
  // Compared in seconds before any conversion, so no value can overflow.
  const int64_t at = event.occurred_at().seconds();
  const int64_t now_s = ToUnixMillis(now) / 1000;
  const auto shown = [&] {
    return absl::FormatTime("%4Y-%m-%d%ET%H:%M:%SZ", absl::FromUnixSeconds(at), absl::UTCTimeZone());
  };
  if (at > now_s + window.max_ahead.count() / 1000) {
    return absl::InvalidArgumentError(absl::StrCat("occurred_at ", shown(),
                                                   " is too far in the future"));
  }
  if (at < now_s - window.max_age.count() / 1000) {
    return absl::InvalidArgumentError(absl::StrCat("occurred_at ", shown(),
                                                   " is too far in the past"));
  }
  return absl::OkStatus();
}

std::vector<PlannedTouchpoint> Plan(const Playbook& playbook,
                                    const lifecycle::v1::LifecycleEvent& event) {
  std::vector<PlannedTouchpoint> out;
  const TimePoint occurred = FromProto(event.occurred_at());
  for (const Step& step : playbook.steps()) {
    if (step.on != event.type()) continue;
    PlannedTouchpoint p;
    v1::Touchpoint& tp = p.touchpoint;
    tp.set_id(DeterministicId("tp", {event.event_id(), step.id}));
    tp.set_step_id(step.id);
    tp.set_title(step.title);
    tp.set_service(step.action.service);
    tp.set_customer_id(event.customer_id());
    tp.set_event_id(event.event_id());
    tp.set_event_type(event.type());
    tp.set_status(v1::TOUCHPOINT_STATUS_SCHEDULED);
    const TimePoint due = occurred + step.after;
    *tp.mutable_due_at() = ToProto(due);

    if (step.action.service == "notification") {
      notification::v1::SendNotificationCommand cmd;
      cmd.set_command_id(tp.id());
      cmd.set_touchpoint_id(tp.id());
      cmd.set_customer_id(event.customer_id());
      cmd.set_template_id(Param(step, "template"));
      cmd.set_channel(Param(step, "channel"));
      auto& vars = *cmd.mutable_variables();
      for (const auto& [k, v] : event.attributes()) vars[k] = v;
      vars["project_id"] = event.project_id();
      vars["unit_id"] = event.unit_id();
      // The owner's calendar date, not UTC's (an evening in UTC is the next morning in China).
      vars["event_date"] = absl::FormatTime("%Y-%m-%d", absl::FromUnixMillis(ToUnixMillis(occurred)),
                                            playbook.ZoneOf(event.project_id()));
      *cmd.mutable_requested_at() = tp.due_at();
      p.payload = cmd.SerializeAsString();
    } else if (step.action.service == "survey") {
      survey::v1::CreateSurveyCommand cmd;
      cmd.set_command_id(tp.id());
      cmd.set_touchpoint_id(tp.id());
      cmd.set_customer_id(event.customer_id());
      cmd.set_survey_id(Param(step, "survey"));
      *cmd.mutable_requested_at() = tp.due_at();
      p.payload = cmd.SerializeAsString();
    } else {
      ticketing::v1::OpenTicketCommand cmd;
      cmd.set_command_id(tp.id());
      cmd.set_touchpoint_id(tp.id());
      cmd.set_customer_id(event.customer_id());
      cmd.set_unit_id(event.unit_id());
      cmd.set_project_id(event.project_id());
      // The event may name a more specific kind (complaint_major ...).
      auto kind = event.attributes().find("ticket_kind");
      cmd.set_kind(kind != event.attributes().end() ? kind->second : Param(step, "kind"));
      auto problem = event.attributes().find("problem");
      cmd.set_summary(problem != event.attributes().end() ? problem->second : step.title);
      *cmd.mutable_requested_at() = tp.due_at();
      p.payload = cmd.SerializeAsString();
    }
    out.push_back(std::move(p));
  }
  return out;
}

std::string DeriveStage(std::optional<TimePoint> signed_at, std::optional<TimePoint> handover_at,
                        TimePoint now, const StageWindows& w) {
  if (handover_at && now >= *handover_at) {
    const auto since = now - *handover_at;
    if (since < w.runin_1) return "RUNIN_1";
    if (since < w.runin_2) return "RUNIN_2";
    if (since < w.stable) return "STABLE";
    return "VETERAN";
  }
  if (signed_at && now >= *signed_at) {
    return now - *signed_at < w.prospect_1 ? "PROSPECT_1" : "PROSPECT_2";
  }
  return "";
}

std::optional<Outcome> OutcomeOf(const ticketing::v1::TicketEvent& event) {
  const auto& t = event.ticket();
  if (t.touchpoint_id().empty() || event.type() != ticketing::v1::TICKET_EVENT_TYPE_OPENED) {
    return std::nullopt;
  }
  Outcome o{t.customer_id(), t.touchpoint_id(), v1::TOUCHPOINT_STATUS_DONE, "", t.id()};
  o.summary = absl::StrCat(t.kind(), " ticket opened;");
  for (const auto& d : t.deadlines()) {
    absl::StrAppend(&o.summary, " ", d.milestone(), " by ", FormatTime(FromProto(d.due_at())), ";");
  }
  o.summary.pop_back();
  return o;
}

std::optional<Outcome> OutcomeOf(const notification::v1::NotificationEvent& event) {
  const auto& d = event.delivery();
  if (d.touchpoint_id().empty()) return std::nullopt;
  const bool ok = d.status() == notification::v1::DELIVERY_STATUS_DELIVERED;
  return Outcome{d.customer_id(), d.touchpoint_id(), ok ? v1::TOUCHPOINT_STATUS_DONE : v1::TOUCHPOINT_STATUS_FAILED,
                 absl::StrCat(ok ? "delivered via " : "not delivered via ", d.channel(), " (",
                              d.provider_response(), ")"),
                 d.id()};
}

std::optional<Outcome> OutcomeOf(const survey::v1::SurveyEvent& event) {
  const auto& s = event.instance();
  if (s.touchpoint_id().empty() || event.type() != survey::v1::SURVEY_EVENT_TYPE_CREATED) {
    return std::nullopt;
  }
  return Outcome{s.customer_id(), s.touchpoint_id(), v1::TOUCHPOINT_STATUS_DONE,
                 absl::StrCat("survey ", s.survey_id(), " (", s.stage(), ") open until ",
                              FormatTime(FromProto(s.expires_at()))),
                 s.id()};
}

}  // namespace mot::scheduler
