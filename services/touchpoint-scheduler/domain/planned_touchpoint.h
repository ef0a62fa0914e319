#pragma once

#include <map>
#include <optional>
#include <string>

#include "google/protobuf/map.h"
#include "mot/common/clock.h"
#include "mot/scheduler/v1/scheduler.pb.h"
#include "touchpoint-scheduler/domain/playbook.h"

namespace mot::scheduler {

// A touchpoint ready to store: its journey entry and the command (a serialized
// SendNotificationCommand, CreateSurveyCommand or OpenTicketCommand, by the
// touchpoint's service) to send when due. Where it goes is the app's business.
struct PlannedTouchpoint {
  v1::Touchpoint touchpoint;
  std::string payload;
};

// Where a step's touchpoint goes and what it says, for one occurrence.
struct Occasion {
  std::string id;
  std::string event_id;
  std::string event_type;
  TimePoint due{};
  const google::protobuf::Map<std::string, std::string>* attributes = nullptr;
  std::map<std::string, std::string> extra;  // more template variables
  TimePoint occurred{};
};

// The step's touchpoint for one occasion and its command, due at the occasion's time
// shifted into the owner's contact window when the step asks for it.
PlannedTouchpoint Build(const Playbook& playbook, const Step& step, const CustomerFacts& facts,
                        const Occasion& occasion);

// The next occurrence of a recurring touchpoint (its id from the event, step and
// occurrence number; due `every` later; its command re-addressed), or nullopt after
// the last one.
std::optional<PlannedTouchpoint> NextOccurrence(const PlannedTouchpoint& planned);
}  // namespace mot::scheduler
