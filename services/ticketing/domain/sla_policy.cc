#include "ticketing/domain/sla_policy.h"

#include <cstdio>
#include <optional>

#include "absl/strings/str_cat.h"
#include "mot/common/clock.h"
#include "mot/common/config.h"
#include "mot/common/ids.h"
#include "mot/common/validate.h"
#include "mot/common/yaml.h"
#include "ticketing/domain/sla_clock.h"

namespace mot::ticketing {

namespace {

absl::StatusOr<absl::CivilDay> Day(const std::string& text) {
  auto day = ParseDate(text);
  if (!day.ok())
    return absl::InvalidArgumentError(absl::StrCat("'", text, "' is not a date YYYY-MM-DD"));
  return day;
}

// "09:00-18:00" -> minutes after midnight.
bool ParseHours(const std::string& text, int* start, int* end) {
  int h1 = 0, m1 = 0, h2 = 0, m2 = 0;
  char tail = 0;
  if (std::sscanf(text.c_str(), "%2d:%2d-%2d:%2d%c", &h1, &m1, &h2, &m2, &tail) != 4) return false;
  if (h1 < 0 || h1 > 23 || m1 < 0 || m1 > 59 || h2 < 0 || h2 > 24 || m2 < 0 || m2 > 59)
    return false;
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
  if (!n["hours"] ||
      !ParseHours(n["hours"].as<std::string>(), &c.day_start_minute, &c.day_end_minute)) {
    return Fail(where, "hours: expected working hours such as 09:00-18:00");
  }
  if (n["weekdays"]) {
    static const std::map<std::string, absl::Weekday> kDays = {
        {"mon", absl::Weekday::monday},    {"tue", absl::Weekday::tuesday},
        {"wed", absl::Weekday::wednesday}, {"thu", absl::Weekday::thursday},
        {"fri", absl::Weekday::friday},    {"sat", absl::Weekday::saturday},
        {"sun", absl::Weekday::sunday}};
    c.weekdays.clear();
    for (const auto& d : n["weekdays"]) {
      auto it = kDays.find(d.as<std::string>());
      if (it == kDays.end())
        return Fail(where, "weekdays: expected mon, tue, wed, thu, fri, sat, sun");
      c.weekdays.insert(it->second);
    }
    // No working day: no deadline could ever be reached (it overflowed a timestamp).
    if (c.weekdays.empty()) return Fail(where, "weekdays: at least one working day");
  }
  for (auto [field, target] :
       {std::pair{"holidays", &c.holidays}, std::pair{"makeup_days", &c.makeup_days}}) {
    for (const auto& d : n[field]) {
      auto day = Day(d.as<std::string>());
      if (!day.ok())
        return Fail(absl::StrCat(where, ": ", field), std::string(day.status().message()));
      target->insert(*day);
    }
  }
  return c;
}

}  // namespace

namespace {

// "acknowledged" -> TICKET_STATUS_ACKNOWLEDGED (the statuses that can meet a milestone).
std::optional<v1::TicketStatus> MetBy(const std::string& name) {
  static const std::map<std::string, v1::TicketStatus> kStatuses = {
      {"acknowledged", v1::TICKET_STATUS_ACKNOWLEDGED},
      {"in_progress", v1::TICKET_STATUS_IN_PROGRESS},
      {"resolved", v1::TICKET_STATUS_RESOLVED},
      {"closed", v1::TICKET_STATUS_CLOSED}};
  auto it = kStatuses.find(name);
  if (it == kStatuses.end()) return std::nullopt;
  return it->second;
}

std::string Text(const YAML::Node& n, const char* field) {
  return n[field] ? n[field].as<std::string>() : "";
}

std::set<std::string> Names(const YAML::Node& n) {
  std::set<std::string> out;
  for (const auto& v : n) out.insert(v.as<std::string>());
  return out;
}

}  // namespace

absl::StatusOr<SlaPolicy> SlaPolicy::FromYaml(const std::string& yaml) {
  return GuardYaml([&]() -> absl::StatusOr<SlaPolicy> {
    SlaPolicy policy;
    auto root = ParseYaml(yaml);
    if (!root.ok()) return root.status();
    auto kinds = YamlSection(*root, "kinds", "a map of each ticket kind to its milestones");
    if (!kinds.ok()) return kinds.status();
    // In this order: kinds name calendars and roles; the sections after name kinds.
    if (auto s = policy.ReadCalendars(*root); !s.ok()) return s;
    if (auto s = policy.ReadRoles(*root); !s.ok()) return s;
    if (auto s = policy.ReadKinds(*kinds); !s.ok()) return s;
    if (auto s = policy.ReadRisk(*root); !s.ok()) return s;
    if (auto s = policy.ReadDesk(*root); !s.ok()) return s;
    if (auto s = policy.ReadOwnerSide(*root); !s.ok()) return s;
    return policy;
  });
}

absl::Status SlaPolicy::ReadCalendars(const YAML::Node& r) {
  for (const auto& kv : r["calendars"]) {
    auto c = ParseCalendar(kv.first.as<std::string>(), kv.second);
    if (!c.ok()) return c.status();
    calendars_[kv.first.as<std::string>()] = *std::move(c);
  }
  for (const auto& kv : r["project_calendars"]) {
    const std::string project = kv.first.as<std::string>(), cal = kv.second.as<std::string>();
    if (!calendars_.count(cal)) {
      return Fail(absl::StrCat("project_calendars: ", project),
                  absl::StrCat("calendar '", cal, "' is not defined under 'calendars'"));
    }
    project_calendar_[project] = cal;
  }
  return absl::OkStatus();
}

absl::Status SlaPolicy::ReadRoles(const YAML::Node& r) {
  if (r["warning_share"]) {
    const double share = r["warning_share"].as<double>(-1);
    if (!(share > 0 && share < 1)) {
      return Fail("warning_share", "expected a share of the window between 0 and 1, e.g. 0.8");
    }
    warning_share_ = share;
  }
  for (const auto& kv : r["roles"]) {
    const std::string name = kv.first.as<std::string>();
    Role role{Text(kv.second, "title"), Text(kv.second, "channel")};
    if (role.channel.empty()) {
      return Fail(absl::StrCat("role '", name, "'"), "channel is required (e.g. wecom)");
    }
    if (role.title.empty()) role.title = name;
    roles_[name] = role;
  }
  return absl::OkStatus();
}

absl::Status SlaPolicy::KnownRole(const std::string& where, const std::string& role) const {
  if (role.empty() || roles_.count(role)) return absl::OkStatus();
  return Fail(where, absl::StrCat("escalate_to: role '", role, "' is not defined under 'roles'"));
}

absl::Status SlaPolicy::KnownKinds(const std::string& where,
                                   const std::set<std::string>& kinds) const {
  for (const auto& k : kinds) {
    if (!kinds_.count(k)) return Fail(where, absl::StrCat("kinds: '", k, "' is not a kind"));
  }
  return absl::OkStatus();
}

absl::Status SlaPolicy::ReadKinds(const YAML::Node& kinds) {
  for (const auto& kind : kinds) {
    const std::string name = kind.first.as<std::string>();
    const std::string where = absl::StrCat("kind '", name, "'");
    // A list of milestones (a clock that always runs), or {calendar, milestones}.
    YAML::Node list = kind.second;
    if (kind.second.IsMap()) {
      const std::string cal = Text(kind.second, "calendar");
      if (!cal.empty() && cal != "24x7") {
        if (!calendars_.count(cal)) {
          return Fail(where, absl::StrCat("calendar '", cal, "' is not defined under 'calendars'"));
        }
        kind_calendar_[name] = cal;
      }
      list = kind.second["milestones"];
    }
    if (!list || !list.IsSequence() || list.size() == 0) {
      return Fail(where, "expected a list of {milestone, within}");
    }
    auto& milestones = kinds_[name];
    for (const auto& m : list) {
      if (!m["milestone"] || !m["within"]) {
        return Fail(where, "every entry needs 'milestone' and 'within'");
      }
      Milestone milestone{m["milestone"].as<std::string>(), {}};
      const std::string at = absl::StrCat(where, ": milestone '", milestone.name, "'");
      auto d = ParseDuration(m["within"].as<std::string>());
      if (!d.ok()) return Fail(where, absl::StrCat("within: ", d.status().message()));
      milestone.within = *d;
      if (m["met_by"]) {
        auto status = MetBy(m["met_by"].as<std::string>());
        if (!status)
          return Fail(at, "met_by: expected acknowledged, in_progress, resolved or closed");
        milestone.met_by = *status;
      }
      milestone.escalate_to = Text(m, "escalate_to");
      if (auto s = KnownRole(at, milestone.escalate_to); !s.ok()) return s;
      milestones.push_back(std::move(milestone));
    }
  }
  return absl::OkStatus();
}

absl::Status SlaPolicy::ReadRisk(const YAML::Node& r) {
  const auto& risk = r["risk_warning"];
  if (!risk) return absl::OkStatus();
  auto after = ParseDuration(Text(risk, "after"));
  if (!after.ok()) return Fail("risk_warning", absl::StrCat("after: ", after.status().message()));
  risk_.after = *after;
  risk_.kinds = Names(risk["kinds"]);
  if (auto s = KnownKinds("risk_warning", risk_.kinds); !s.ok()) return s;
  risk_.escalate_to = Text(risk, "escalate_to");
  return KnownRole("risk_warning", risk_.escalate_to);
}

absl::Status SlaPolicy::ReadDesk(const YAML::Node& r) {
  for (const auto& kv : r["teams"]) {
    const std::string name = kv.first.as<std::string>();
    teams_[name] = kv.second.IsMap() && kv.second["title"] ? Text(kv.second, "title") : name;
  }
  int rule_no = 0;
  for (const auto& rule : r["assignment"]) {
    const std::string where = absl::StrCat("assignment rule ", ++rule_no);
    AssignmentRule a{Names(rule["projects"]), Names(rule["kinds"]), Names(rule["categories"]),
                     Text(rule, "team")};
    if (!teams_.count(a.team)) {
      return Fail(where, absl::StrCat("team: '", a.team, "' is not defined under 'teams'"));
    }
    if (auto s = KnownKinds(where, a.kinds); !s.ok()) return s;
    assignment_.push_back(std::move(a));
  }
  for (const auto& kv : r["defect_codes"]) {
    const std::string code = kv.first.as<std::string>();
    DefectCode d{Text(kv.second, "title"), Text(kv.second, "cause"), Text(kv.second, "impact"),
                 Text(kv.second, "department")};
    if (d.title.empty() || d.department.empty()) {
      return Fail(absl::StrCat("defect code '", code, "'"), "title and department are required");
    }
    defects_[code] = std::move(d);
  }
  return absl::OkStatus();
}

absl::Status SlaPolicy::ReadOwnerSide(const YAML::Node& r) {
  if (const auto& rc = r["repeat_complaints"]) {
    auto within = ParseDuration(Text(rc, "within"));
    if (!within.ok()) {
      return Fail("repeat_complaints", absl::StrCat("within: ", within.status().message()));
    }
    repeats_.within = *within;
    repeats_.kinds = Names(rc["kinds"]);
    if (auto s = KnownKinds("repeat_complaints", repeats_.kinds); !s.ok()) return s;
  }
  if (const std::string zone = Text(r, "time_zone");
      !zone.empty() && !absl::LoadTimeZone(zone, &zone_)) {
    return Fail("time_zone", "expected an IANA name such as Asia/Shanghai");
  }
  if (const auto& u = r["owner_updates"]) {
    owner_updates_.acknowledged = Text(u, "acknowledged");
    owner_updates_.resolved = Text(u, "resolved");
    owner_updates_.kinds = Names(u["kinds"]);
    if (auto s = KnownKinds("owner_updates", owner_updates_.kinds); !s.ok()) return s;
  }
  return absl::OkStatus();
}

const std::vector<Milestone>* SlaPolicy::Find(const std::string& kind) const {
  auto it = kinds_.find(kind);
  return it == kinds_.end() ? nullptr : &it->second;
}

const BusinessCalendar& SlaPolicy::CalendarFor(const std::string& kind,
                                               const std::string& project) const {
  auto it = kind_calendar_.find(kind);
  if (it == kind_calendar_.end()) return always_;
  auto p = project_calendar_.find(project);
  return calendars_.at(p == project_calendar_.end() ? it->second : p->second);
}

std::string SlaPolicy::TeamFor(const std::string& project, const std::string& kind,
                               const std::string& category) const {
  const auto matches = [](const std::set<std::string>& set, const std::string& v) {
    return set.empty() || set.count(v) > 0;
  };
  for (const auto& rule : assignment_) {
    if (matches(rule.projects, project) && matches(rule.kinds, kind) &&
        matches(rule.categories, category)) {
      return rule.team;
    }
  }
  return "";
}

const DefectCode* SlaPolicy::FindDefect(const std::string& code) const {
  auto it = defects_.find(code);
  return it == defects_.end() ? nullptr : &it->second;
}

const Role* SlaPolicy::FindRole(const std::string& name) const {
  auto it = roles_.find(name);
  return it == roles_.end() ? nullptr : &it->second;
}

std::vector<std::string> SlaPolicy::Kinds() const {
  std::vector<std::string> out;
  for (const auto& [k, _] : kinds_) out.push_back(k);
  return out;
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
        absl::StrCat("kind is unknown; known kinds: ", policy.KindList()));
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
  t.set_category(cmd.category());
  t.set_team(policy.TeamFor(cmd.project_id(), cmd.kind(), cmd.category()));
  // A code the library does not know is left out (the ticket matters more; an agent
  // sets the right one when resolving).
  if (policy.FindDefect(cmd.defect_code()) != nullptr) t.set_defect_code(cmd.defect_code());
  *t.mutable_opened_at() = cmd.requested_at();
  for (auto& d : Deadlines(policy, t, policy.CalendarFor(t.kind(), t.project_id())))
    *t.add_deadlines() = std::move(d);
  return t;
}

}  // namespace mot::ticketing
