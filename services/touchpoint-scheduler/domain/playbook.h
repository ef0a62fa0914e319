#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "mot/common/clock.h"
#include "mot/common/local_hours.h"
#include "mot/customer/v1/profile.pb.h"
#include "mot/scheduler/v1/scheduler.pb.h"
#include "touchpoint-scheduler/domain/dates.h"

namespace mot::scheduler {

// What a step asks the owning service to do.
struct Action {
  std::string service;                        // "notification", "survey" or "ticketing"
  std::map<std::string, std::string> params;  // template/channel, survey, kind
};

// A condition of a step: the value of `key` is one of `values`. Keys: stage
// (PROSPECT_1 ... VETERAN at the touchpoint's time), tier, segment, profile (the
// event's attribute first, then the customer's profile), or any event attribute.
struct Condition {
  std::string key;
  std::vector<std::string> values;
};

// One playbook step. Exactly one trigger: `on` (an event type) or `calendar` (a
// festival named in the playbook, or "birthday"). Timing: `after` the event, or
// `anchor` ± `anchor_offset` (a date attribute of the event), or the calendar date;
// then, with `every`, again every `every` up to `times` occurrences in all.
// A lateness limit that never runs out.
inline constexpr std::chrono::milliseconds kNeverStale = std::chrono::milliseconds::max();

struct Step {
  std::string id;
  std::string title;
  std::string on;
  std::string calendar;
  std::vector<Condition> when;
  std::chrono::milliseconds after{0};
  std::string anchor;
  DateOffset anchor_offset;
  std::chrono::milliseconds every{0};
  int times = 1;
  // Shifted into the owner's contact window (default for steps that reach the owner:
  // notification and survey).
  bool contact_window = true;
  std::vector<std::string> required;  // attributes the event must carry, beyond the anchor
  std::vector<std::string> exits;     // event types that cancel it while scheduled
  std::string category;               // e.g. care, service, legal, safety
  Action action;
  // How late a touchpoint of this step may still be sent when it is planned after its
  // due time (history loaded, an event published late): the playbook's max_lateness
  // unless the step names its own; kNeverStale for a step that is due whenever it is.
  std::chrono::milliseconds max_lateness{kNeverStale};
  // Skipped, however little late, once the owner has left the stage it was due in (a
  // stage survey).
  bool stage_bound = false;
};

// A parameter of the step's action; empty when it names none.
std::string Param(const Step& step, const std::string& name);

// Whether `value` is among `list`.
bool Contains(const std::vector<std::string>& list, const std::string& value);

// The parameters each service's action needs.
const std::map<std::string, std::vector<std::string>>& RequiredParams();

// The services a step can act through: notification, survey, ticketing.
std::vector<std::string> ActionServices();

// The lifecycle event types of the catalogue (docs/events.md).
const std::vector<std::string>& LifecycleEventTypes();

// Lifecycle stage windows (DOMAIN.md section 1), measured from signing or handover.
struct StageWindows {
  std::string signing_event = "contract_signed";
  std::string handover_event = "handover";
  std::chrono::milliseconds prospect_1{};  // sales stage after signing
  std::chrono::milliseconds runin_1{};     // delivery stage after handover
  std::chrono::milliseconds runin_2{};     // end of the first year after handover
  std::chrono::milliseconds stable{};      // end of "stable" after handover; VETERAN after
};

// How an event attribute is checked where a step needs it: a date (YYYY-MM-DD) or
// one of a list of values; neither: any non-empty text.
struct AttributeRule {
  bool date = false;
  std::vector<std::string> values;
};

// An event that cancels every scheduled touchpoint of the customer, except those of
// the listed categories (legal and safety notices).
struct JourneyExit {
  std::string on;
  std::vector<std::string> except;
};

// What the scheduler keeps of a customer to plan with.
struct CustomerFacts {
  std::string customer_id;
  std::string project_id;
  std::string unit_id;
  std::string tier;
  std::string segment;
  std::string profile_type;
  std::string time_zone;
  int birth_month = 0;
  int birth_day = 0;
  std::optional<TimePoint> signed_at;
  std::optional<TimePoint> handover_at;
  std::set<std::string> exited;  // journey exits seen (unit_resold, customer_opt_out ...)
};

// The facts a profile gives (the rest kept as they are).
void MergeProfile(const customer::v1::CustomerProfile& profile, CustomerFacts* facts);

// The MOT map as data (deploy/config/playbook.yaml).
class Playbook {
 public:
  // InvalidArgument naming the source (a file name, when given), the step and the
  // field that are wrong.
  static absl::StatusOr<Playbook> FromYaml(const std::string& yaml, const std::string& source = "");
  // The `version` the file names, else a digest of its text.
  const std::string& version() const { return version_; }
  const std::vector<Step>& steps() const { return steps_; }
  const Step* FindStep(const std::string& id) const;
  const StageWindows& stages() const { return stages_; }
  const ContactWindow& contact_window() const { return window_; }
  const std::map<std::string, std::vector<absl::CivilDay>>& festivals() const { return festivals_; }
  // How far ahead calendar steps are planned.
  std::chrono::milliseconds plan_ahead() const { return plan_ahead_; }
  // The lateness limit of a step that names none (`max_lateness`, default 3 days: a
  // welcome or a congratulation is stale after a few days).
  std::chrono::milliseconds max_lateness() const { return max_lateness_; }
  // The owners' time zone (IANA, e.g. Asia/Shanghai): the project's own when the
  // playbook names one, else the playbook's default.
  const absl::TimeZone& ZoneOf(const std::string& project_id) const;
  // The customer's own zone when their profile names a valid one, else ZoneOf.
  absl::TimeZone ZoneFor(const CustomerFacts& facts) const;
  // In the catalogue, or the trigger of one of its steps. An event of another type is
  // counted and ignored (a later playbook may use it).
  bool Knows(const std::string& event_type) const;
  // Whether a step is triggered by events of this type.
  bool Triggers(const std::string& event_type) const;
  // Whether planning an event of this type looks at the customer's facts: a step it
  // triggers has conditions, a contact window or a date anchor (the owner's zone), or
  // it moves a date.
  bool NeedsFacts(const std::string& event_type) const;
  // The event types that cancel a touchpoint of this step while scheduled: the step's
  // exits and the journey exits its category is not exempt from.
  std::vector<std::string> ExitsFor(const Step& step) const;
  // Whether an event of this type cancels anything.
  bool Cancels(const std::string& event_type) const;
  // The date attribute an event of this type moves (handover_rescheduled ->
  // planned_handover_date); empty for none.
  std::string Reanchors(const std::string& event_type) const;
  bool IsJourneyExit(const std::string& event_type) const;
  const std::map<std::string, AttributeRule>& attributes() const { return attributes_; }
  friend class PlaybookYaml;  // the loading (playbook_yaml.cc) fills it in

 private:
  std::string version_;
  std::vector<Step> steps_;
  StageWindows stages_;
  ContactWindow window_;
  absl::TimeZone zone_;
  std::map<std::string, absl::TimeZone> project_zones_;
  std::map<std::string, AttributeRule> attributes_;
  std::map<std::string, std::string> reanchor_;
  std::vector<JourneyExit> exits_;
  std::map<std::string, std::vector<absl::CivilDay>> festivals_;
  std::chrono::milliseconds plan_ahead_{std::chrono::hours(24 * 30)};
  std::chrono::milliseconds max_lateness_{std::chrono::hours(24 * 3)};
};

}  // namespace mot::scheduler
