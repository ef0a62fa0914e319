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

namespace mot::ticketing {

// One SLA milestone of a ticket kind: e.g. respond within 2 h of the request.
struct Milestone {
  std::string name;
  std::chrono::milliseconds within;
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
  // The kind's calendar; 24x7 unless the kind names one.
  const BusinessCalendar& CalendarFor(const std::string& kind) const;

 private:
  std::map<std::string, std::vector<Milestone>> kinds_;
  std::map<std::string, BusinessCalendar> calendars_;
  std::map<std::string, std::string> kind_calendar_;
  BusinessCalendar always_{.always = true};
};

// The ticket an OpenTicketCommand opens: one deadline per milestone of its kind,
// counted from the time the owner asked. InvalidArgument names the bad field.
absl::StatusOr<v1::Ticket> OpenTicket(const SlaPolicy& policy, const v1::OpenTicketCommand& cmd);

// The ticket id a command id maps to: the same command always opens the same ticket.
std::string TicketIdFor(const std::string& command_id);

}  // namespace mot::ticketing
