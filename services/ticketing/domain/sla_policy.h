#pragma once

#include <chrono>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "mot/ticketing/v1/ticketing.pb.h"

namespace YAML {
class Node;
}  // namespace YAML

namespace mot::ticketing {

// One SLA milestone of a ticket kind: e.g. respond within 2 h of the request.
struct Milestone {
  std::string name;
  std::chrono::milliseconds within;
  // Met when the ticket first reaches this status or a later one.
  v1::TicketStatus met_by = v1::TICKET_STATUS_RESOLVED;
  // The role a breach escalates to; empty: nobody.
  std::string escalate_to;
};

// Someone a breach escalates to, and the channel that tells them.
struct Role {
  std::string title;    // zh-CN, e.g. 客服经理
  std::string channel;  // e.g. wecom (the role's group robot)
};

// Complaints open too long: a risk warning that escalates.
struct RiskWarning {
  std::chrono::milliseconds after{std::chrono::hours(24 * 30)};
  std::set<std::string> kinds;
  std::string escalate_to;
};

// Which team handles a ticket: the first rule whose non-empty sets all match.
struct AssignmentRule {
  std::set<std::string> projects, kinds, categories;
  std::string team;
};

// An entry of the defect library's taxonomy (e.g. SJ01 roof skylight leak).
struct DefectCode {
  std::string title, cause, impact, department;
};

// Complaints repeating an earlier one of the same owner, unit and category.
struct RepeatComplaints {
  std::chrono::milliseconds within{std::chrono::hours(24 * 90)};
  std::set<std::string> kinds;
};

// What the owner is told of their ticket's progress, and for which kinds.
struct OwnerUpdates {
  std::string acknowledged;  // template ids; empty: not told
  std::string resolved;
  std::set<std::string> kinds;
};

// When an SLA clock runs: working hours on working days in a zone, or always (24x7).
// Working days are the `weekdays` that are not `holidays`, and the `makeup_days`
// (weekend days worked instead, the Chinese calendar's 调休).
struct BusinessCalendar {
  absl::TimeZone zone = absl::UTCTimeZone();
  bool always = false;
  int day_start_minute = 9 * 60;
  int day_end_minute = 18 * 60;
  std::set<absl::Weekday> weekdays = {absl::Weekday::monday, absl::Weekday::tuesday,
                                      absl::Weekday::wednesday, absl::Weekday::thursday,
                                      absl::Weekday::friday};
  std::set<absl::CivilDay> holidays;
  std::set<absl::CivilDay> makeup_days;

  bool IsWorkingDay(absl::CivilDay day) const;
};

// The SLA milestones of every ticket kind and the calendar its clock runs on, as
// configured (deploy/config/sla.yaml).
class SlaPolicy {
 public:
  // InvalidArgument naming the calendar, kind or milestone that is wrong.
  static absl::StatusOr<SlaPolicy> FromYaml(const std::string& yaml);

  // nullptr for an unknown kind.
  const std::vector<Milestone>* Find(const std::string& kind) const;
  std::string KindList() const;
  std::vector<std::string> Kinds() const;
  // The kind's calendar; 24x7 unless the kind names one. A project with a calendar of
  // its own uses it for every kind that runs on one.
  const BusinessCalendar& CalendarFor(const std::string& kind,
                                      const std::string& project = "") const;
  // The share of a window after which an unmet milestone warns (0.8).
  double warning_share() const { return warning_share_; }
  // nullptr for a role not configured.
  const Role* FindRole(const std::string& name) const;
  const RiskWarning& risk_warning() const { return risk_; }
  const OwnerUpdates& owner_updates() const { return owner_updates_; }
  // The team of the first assignment rule matching; empty when none does.
  std::string TeamFor(const std::string& project, const std::string& kind,
                      const std::string& category) const;
  // The configured teams: name -> title.
  const std::map<std::string, std::string>& teams() const { return teams_; }
  // nullptr for a code not in the taxonomy.
  const DefectCode* FindDefect(const std::string& code) const;
  const std::map<std::string, DefectCode>& defect_codes() const { return defects_; }
  const RepeatComplaints& repeat_complaints() const { return repeats_; }
  // The zone times are written in, in messages (UTC unless configured).
  const absl::TimeZone& zone() const { return zone_; }

 private:
  // The sections of the file, each checked as it is read (FromYaml's order).
  absl::Status ReadCalendars(const YAML::Node& root);  // calendars, project_calendars
  absl::Status ReadRoles(const YAML::Node& root);      // warning_share, roles
  absl::Status ReadKinds(const YAML::Node& kinds);
  absl::Status ReadRisk(const YAML::Node& root);  // risk_warning
  absl::Status ReadDesk(const YAML::Node& root);  // teams, assignment, defect_codes
  // repeat_complaints, time_zone, owner_updates
  absl::Status ReadOwnerSide(const YAML::Node& root);
  // InvalidArgument at `where` unless the role (empty: none) or every kind is defined.
  absl::Status KnownRole(const std::string& where, const std::string& role) const;
  absl::Status KnownKinds(const std::string& where, const std::set<std::string>& kinds) const;

  std::map<std::string, std::vector<Milestone>> kinds_;
  std::map<std::string, BusinessCalendar> calendars_;
  std::map<std::string, std::string> kind_calendar_;
  std::map<std::string, std::string> project_calendar_;
  std::map<std::string, Role> roles_;
  double warning_share_ = 0.8;
  RiskWarning risk_;
  OwnerUpdates owner_updates_;
  std::map<std::string, std::string> teams_;
  std::vector<AssignmentRule> assignment_;
  std::map<std::string, DefectCode> defects_;
  RepeatComplaints repeats_;
  absl::TimeZone zone_ = absl::UTCTimeZone();
  BusinessCalendar always_{.always = true};
};

// The ticket an OpenTicketCommand opens: one deadline per milestone of its kind,
// counted from the time the owner asked; its team from the assignment rules; its
// defect code if the library knows it. InvalidArgument names the bad field.
absl::StatusOr<v1::Ticket> OpenTicket(const SlaPolicy& policy, const v1::OpenTicketCommand& cmd);

// The ticket id a command id maps to: the same command always opens the same ticket.
std::string TicketIdFor(const std::string& command_id);

}  // namespace mot::ticketing
