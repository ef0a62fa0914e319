#include "domain/sla_policy.h"

#include <cstdio>

#include "domain/sla_clock.h"


#include "absl/strings/str_cat.h"
#include "mot/common/clock.h"
#include "mot/common/ids.h"
#include "mot/common/validate.h"
#include "mot/common/config.h"
#include "mot/common/yaml.h"

namespace mot::ticketing {

namespace {

absl::Status Fail(const std::string& where, const std::string& what) {
  return absl::InvalidArgumentError(absl::StrCat(where, ": ", what));
}

absl::StatusOr<absl::CivilDay> Day(const std::string& text) {
  auto day = ParseDate(text);
  if (!day.ok()) return absl::InvalidArgumentError(absl::StrCat("'", text, "' is not a date YYYY-MM-DD"));
  return day;
}

// "09:00-18:00" -> minutes after midnight.
bool ParseHours(const std::string& text, int* start, int* end) {
  int h1 = 0, m1 = 0, h2 = 0, m2 = 0;
  char tail = 0;
  if (std::sscanf(text.c_str(), "%2d:%2d-%2d:%2d%c", &h1, &m1, &h2, &m2, &tail) != 4) return false;
  if (h1 < 0 || h1 > 23 || m1 < 0 || m1 > 59 || h2 < 0 || h2 > 24 || m2 < 0 || m2 > 59) return false;
  *start = h1 * 60 + m1;
  *end = h2 * 60 + m2;
  return *end > *start && *end <= 24 * 60;
}

absl::StatusOr<BusinessCalendar> ParseCalendar(const std::string& name, const YAML::Node& n) {
  const std::string where = absl::StrCat("calendar '", name, "'");
  BusinessCalendar c;
  if (!n.IsMap()) return Fail(where, "expected a map with time_zone, hours, weekdays, holidays");
  const std::string zone = n["time_zone"] ? n["time_zone"].as<std::string>() : "";
  if (zone.empty() || !absl::LoadTimeZone(zone, &c.zone)) {
    return Fail(where, "time_zone: expected an IANA name such as Asia/Shanghai");
  }
  if (!n["hours"] || !ParseHours(n["hours"].as<std::string>(), &c.day_start_minute, &c.day_end_minute)) {
    return Fail(where, "hours: expected working hours such as 09:00-18:00");
  }
  if (n["weekdays"]) {
    static const std::map<std::string, absl::Weekday> kDays = {
        {"mon", absl::Weekday::monday},   {"tue", absl::Weekday::tuesday},
        {"wed", absl::Weekday::wednesday}, {"thu", absl::Weekday::thursday},
        {"fri", absl::Weekday::friday},   {"sat", absl::Weekday::saturday},
        {"sun", absl::Weekday::sunday}};
    c.weekdays.clear();
    for (const auto& d : n["weekdays"]) {
      auto it = kDays.find(d.as<std::string>());
      if (it == kDays.end()) return Fail(where, "weekdays: expected mon, tue, wed, thu, fri, sat, sun");
      c.weekdays.insert(it->second);
    }
  }
  for (auto [field, target] : {std::pair{"holidays", &c.holidays}, std::pair{"makeup_days", &c.makeup_days}}) {
    for (const auto& d : n[field]) {
      auto day = Day(d.as<std::string>());
      if (!day.ok()) return Fail(absl::StrCat(where, ": ", field), std::string(day.status().message()));
      target->insert(*day);
    }
  }
  return c;
}

}  // namespace

absl::StatusOr<SlaPolicy> SlaPolicy::FromYaml(const std::string& yaml) {
  return GuardYaml([&]() -> absl::StatusOr<SlaPolicy> {
    SlaPolicy policy;
    auto root = ParseYaml(yaml);
    if (!root.ok()) return root.status();
    if (root->IsMap()) {
      for (const auto& kv : (*root)["calendars"]) {
        auto c = ParseCalendar(kv.first.as<std::string>(), kv.second);
        if (!c.ok()) return c.status();
        policy.calendars_[kv.first.as<std::string>()] = *std::move(c);
      }
    }
    auto kinds = YamlSection(*root, "kinds", "a map of each ticket kind to its milestones");
    if (!kinds.ok()) return kinds.status();
    for (const auto& kind : *kinds) {
      const std::string name = kind.first.as<std::string>();
      // A list of milestones (a clock that always runs), or {calendar, milestones}.
      YAML::Node list = kind.second;
      if (kind.second.IsMap()) {
        const std::string cal = kind.second["calendar"] ? kind.second["calendar"].as<std::string>() : "";
        if (!cal.empty() && cal != "24x7") {
          if (!policy.calendars_.count(cal)) {
            return Fail(absl::StrCat("kind '", name, "'"),
                        absl::StrCat("calendar '", cal, "' is not defined under 'calendars'"));
          }
          policy.kind_calendar_[name] = cal;
        }
        list = kind.second["milestones"];
      }
      if (!list || !list.IsSequence() || list.size() == 0) {
        return absl::InvalidArgumentError(
            absl::StrCat("kind '", name, "': expected a list of {milestone, within}"));
      }
      auto& milestones = policy.kinds_[name];
      for (const auto& m : list) {
        if (!m["milestone"] || !m["within"]) {
          return absl::InvalidArgumentError(
              absl::StrCat("kind '", name, "': every entry needs 'milestone' and 'within'"));
        }
        const std::string within = m["within"].as<std::string>();
        auto d = ParseDuration(within);
        if (!d.ok()) {
          return absl::InvalidArgumentError(
              absl::StrCat("kind '", name, "': within: ", d.status().message()));
        }
        milestones.push_back({m["milestone"].as<std::string>(), *d});
      }
    }
    return policy;
  });
}

const std::vector<Milestone>* SlaPolicy::Find(const std::string& kind) const {
  auto it = kinds_.find(kind);
  return it == kinds_.end() ? nullptr : &it->second;
}

const BusinessCalendar& SlaPolicy::CalendarFor(const std::string& kind) const {
  auto it = kind_calendar_.find(kind);
  return it == kind_calendar_.end() ? always_ : calendars_.at(it->second);
}

std::string SlaPolicy::KindList() const {
  std::string out;
  for (const auto& [k, _] : kinds_) absl::StrAppend(&out, out.empty() ? "" : ", ", k);
  return out;
}

std::string TicketIdFor(const std::string& command_id) {
  return DeterministicId("tk", {command_id});
}

absl::StatusOr<v1::Ticket> OpenTicket(const SlaPolicy& policy, const v1::OpenTicketCommand& cmd) {
  if (auto s = RequireFields({{"command_id", &cmd.command_id()},
                               {"customer_id", &cmd.customer_id()},
                               {"kind", &cmd.kind()}});
      !s.ok()) {
    return s;
  }
  if (!cmd.has_requested_at()) return absl::InvalidArgumentError("requested_at is required");
  const auto* milestones = policy.Find(cmd.kind());
  if (milestones == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat("kind '", cmd.kind(), "' is unknown; known kinds: ", policy.KindList()));
  }
  v1::Ticket t;
  t.set_id(TicketIdFor(cmd.command_id()));
  t.set_kind(cmd.kind());
  t.set_customer_id(cmd.customer_id());
  t.set_unit_id(cmd.unit_id());
  t.set_project_id(cmd.project_id());
  t.set_summary(cmd.summary());
  t.set_status(v1::TICKET_STATUS_NEW);
  t.set_touchpoint_id(cmd.touchpoint_id());
  *t.mutable_opened_at() = cmd.requested_at();
  for (auto& d : Deadlines(policy, t, policy.CalendarFor(t.kind()))) *t.add_deadlines() = std::move(d);
  return t;
}

}  // namespace mot::ticketing
