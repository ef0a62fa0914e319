#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "mot/common/clock.h"
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

// One playbook step: on an event of type `on`, `after` that event's time, do `action`.
struct Step {
  std::string id;
  std::string title;
  std::string on;
  std::chrono::milliseconds after{0};
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

// The MOT map as data (deploy/config/playbook.yaml).
class Playbook {
 public:
  // InvalidArgument naming the step and field that are wrong.
  static absl::StatusOr<Playbook> FromYaml(const std::string& yaml);
  const std::vector<Step>& steps() const { return steps_; }
  const StageWindows& stages() const { return stages_; }
  // The owners' time zone (IANA, e.g. Asia/Shanghai): the project's own when the
  // playbook names one, else the playbook's default. Dates in messages are local dates.
  const absl::TimeZone& ZoneOf(const std::string& project_id) const;
  // In the catalogue, or the trigger of one of its steps. An event of another type is
  // counted and ignored (a later playbook may use it).
  bool Knows(const std::string& event_type) const;

 private:
  std::vector<Step> steps_;
  StageWindows stages_;
  absl::TimeZone zone_;
  std::map<std::string, absl::TimeZone> project_zones_;
};

// An IANA time zone by name (absl's time-zone database); InvalidArgument naming it.
absl::StatusOr<absl::TimeZone> LoadZone(const std::string& name);

// A touchpoint ready to store: its journey entry and the command (a serialized
// SendNotificationCommand, CreateSurveyCommand or OpenTicketCommand, by the
// touchpoint's service) to send when due. Where it goes is the app's business.
struct PlannedTouchpoint {
  v1::Touchpoint touchpoint;
  std::string payload;
};

// How far from now an event's occurred_at may be. Times outside are refused: a
// typo such as 9999-12-31 must not become a touchpoint that fires at once.
struct EventWindow {
  std::chrono::milliseconds max_age = std::chrono::hours(24 * 365 * 30);
  std::chrono::milliseconds max_ahead = std::chrono::hours(24);
};

// InvalidArgument naming the first missing field (event_id, type, customer_id,
// occurred_at), or an occurred_at outside the window around `now`.
absl::Status ValidateEvent(const lifecycle::v1::LifecycleEvent& event, TimePoint now,
                           const EventWindow& window);

// Every touchpoint the event starts: one per matching step, due at occurred_at +
// after, with the id DeterministicId("tp", {event_id, step_id}) so that a
// redelivered event plans the same touchpoints.
std::vector<PlannedTouchpoint> Plan(const Playbook& playbook,
                                    const lifecycle::v1::LifecycleEvent& event);

// Stage code (PROSPECT_1 ... VETERAN) at `now`; empty before signing.
std::string DeriveStage(std::optional<TimePoint> signed_at, std::optional<TimePoint> handover_at,
                        TimePoint now, const StageWindows& windows);

// What a domain event reports about the touchpoint that caused it.
struct Outcome {
  std::string customer_id;
  std::string touchpoint_id;
  v1::TouchpointStatus status = v1::TOUCHPOINT_STATUS_DONE;
  std::string summary;
  std::string ref;
};
std::optional<Outcome> OutcomeOf(const ticketing::v1::TicketEvent& event);
std::optional<Outcome> OutcomeOf(const notification::v1::NotificationEvent& event);
std::optional<Outcome> OutcomeOf(const survey::v1::SurveyEvent& event);

}  // namespace mot::scheduler
