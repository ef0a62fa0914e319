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
#include "mot/lifecycle/v1/event.pb.h"
#include "mot/notification/v1/notification.pb.h"
#include "mot/scheduler/v1/scheduler.pb.h"
#include "mot/survey/v1/survey.pb.h"
#include "mot/ticketing/v1/ticketing.pb.h"

namespace mot::scheduler {

// What a step asks the owning service to do.
struct Action {
  std::string service;  // "notification", "survey" or "ticketing"
  std::map<std::string, std::string> params;  // template/channel, survey, kind
};

// A condition of a step: the value of `key` is one of `values`. Keys: stage
// (PROSPECT_1 ... VETERAN at the touchpoint's time), tier, segment, profile (the
// event's attribute first, then the customer's profile), or any event attribute.
struct Condition {
  std::string key;
  std::vector<std::string> values;
};

// An offset on a calendar date: months (a month or a year later is the same day of
// the month, clamped to its end) and then a duration; negative when before.
struct DateOffset {
  int sign = 1;
  int months = 0;
  std::chrono::milliseconds rest{0};
};

// One playbook step. Exactly one trigger: `on` (an event type) or `calendar` (a
// festival named in the playbook, or "birthday"). Timing: `after` the event, or
// `anchor` ± `anchor_offset` (a date attribute of the event), or the calendar date;
// then, with `every`, again every `every` up to `times` occurrences in all.
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
};

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
};

// An IANA time zone by name (absl's time-zone database); InvalidArgument naming it.
absl::StatusOr<absl::TimeZone> LoadZone(const std::string& name);

// "planned_handover_date - 3mo" -> the attribute and the offset; "2y", "3mo", "30d",
// "12h" units. InvalidArgument says what is wrong.
absl::StatusOr<std::pair<std::string, DateOffset>> ParseAnchor(const std::string& text);
// The local midnight of `day` in `zone`, moved by `offset`.
TimePoint AtDate(absl::CivilDay day, const DateOffset& offset, const absl::TimeZone& zone);

// A touchpoint ready to store: its journey entry and the command (a serialized
// SendNotificationCommand, CreateSurveyCommand or OpenTicketCommand, by the
// touchpoint's service) to send when due. Where it goes is the app's business.
struct PlannedTouchpoint {
  v1::Touchpoint touchpoint;
  std::string payload;
};

// How far from now an event's occurred_at may be.
using EventWindow = TimeWindow;

// InvalidArgument naming the first missing field (event_id, type, customer_id,
// occurred_at), or an occurred_at outside the window around `now`.
absl::Status ValidateEvent(const lifecycle::v1::LifecycleEvent& event, TimePoint now,
                           const EventWindow& window);

// Every touchpoint the event starts: per step triggered by its type whose conditions
// hold, one touchpoint (the first occurrence of a recurring step), due at its timing
// shifted into the owner's contact window, with the id DeterministicId("tp",
// {event_id, step_id}) so that a redelivered event plans the same touchpoints. InvalidArgument naming the step and the attribute when one a
// triggered step requires is missing or malformed (never quoting its value).
// `facts` are the customer's as known before the event.
absl::StatusOr<std::vector<PlannedTouchpoint>> Plan(const Playbook& playbook,
                                                    const lifecycle::v1::LifecycleEvent& event,
                                                    const CustomerFacts& facts = {});

// The next occurrence of a recurring touchpoint (its id from the event, step and
// occurrence number; due `every` later; its command re-addressed), or nullopt after
// the last one.
std::optional<PlannedTouchpoint> NextOccurrence(const PlannedTouchpoint& planned);

// The facts after the event (milestones, tier and profile attributes, exits).
void ApplyEvent(const Playbook& playbook, const lifecycle::v1::LifecycleEvent& event,
                CustomerFacts* facts);

// For an event that moves an anchor date: the new due time of each step anchored on
// it, by step id (empty for other events). InvalidArgument naming the attribute when
// the new date is missing or malformed.
absl::StatusOr<std::map<std::string, TimePoint>> Reanchor(
    const Playbook& playbook, const lifecycle::v1::LifecycleEvent& event,
    const CustomerFacts& facts);

// The calendar steps' touchpoints for one customer on the dates in [from, to] (the
// owner's local dates): festivals listed in the playbook and the birthday, where the
// step's conditions hold and no journey exit the step obeys has been seen. Ids are
// DeterministicId("tp", {"calendar", step_id, date, customer_id}): planned twice,
// stored once.
std::vector<PlannedTouchpoint> PlanCalendar(const Playbook& playbook, const CustomerFacts& facts,
                                            TimePoint from, TimePoint to);

// Whether a festival step has a date in [from, to] (then every customer is looked
// at), and whether a birthday step exists (then every customer with a birthday).
bool HasFestivalDates(const Playbook& playbook, TimePoint from, TimePoint to);
bool HasBirthdaySteps(const Playbook& playbook);

// Stage code (PROSPECT_1 ... VETERAN) at `now`; empty before signing.
std::string DeriveStage(std::optional<TimePoint> signed_at, std::optional<TimePoint> handover_at,
                        TimePoint now, const StageWindows& windows);

// A journey rehearsed with no side effect: the owner's events in time order, each
// firing what fell due before it, then cancelling, moving and planning as the
// scheduler does; calendar steps on their dates; what is due by `until` fired.
// InvalidArgument naming the event (by its index) that a step refuses.
absl::StatusOr<std::vector<v1::Touchpoint>> Simulate(
    const Playbook& playbook, const CustomerFacts& profile,
    std::vector<lifecycle::v1::LifecycleEvent> events, TimePoint until);

// What a domain event reports about the touchpoint that caused it.
struct Outcome {
  std::string customer_id;
  std::string touchpoint_id;
  v1::TouchpointStatus status = v1::TOUCHPOINT_STATUS_DONE;
  std::string summary;
  std::string ref;
};
// The other services' domain events as playbook triggers: a lifecycle event of type
// ticket.<opened|resolved>, survey.<created|completed|detractor> or
// notification.<delivered|failed|...>, with a deterministic event id (the object's id
// and the type: a redelivery plans nothing new), the customer, the time (`now` when
// the event carries none) and attributes a step's conditions can name (ticket: kind,
// ticket_id; survey: survey_id, stage, instance_id, survey_title, survey_link and
// survey_expires_date, the last in the project's zone of `pb`; notification: channel,
// template_id).
std::optional<lifecycle::v1::LifecycleEvent> TriggerOf(const ticketing::v1::TicketEvent& event,
                                                       TimePoint now);
std::optional<lifecycle::v1::LifecycleEvent> TriggerOf(const survey::v1::SurveyEvent& event,
                                                       TimePoint now, const Playbook& pb);
std::optional<lifecycle::v1::LifecycleEvent> TriggerOf(
    const notification::v1::NotificationEvent& event, TimePoint now);

std::optional<Outcome> OutcomeOf(const ticketing::v1::TicketEvent& event);
std::optional<Outcome> OutcomeOf(const notification::v1::NotificationEvent& event);
std::optional<Outcome> OutcomeOf(const survey::v1::SurveyEvent& event);

}  // namespace mot::scheduler
