#pragma once

#include <algorithm>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "mot/common/clock.h"
#include "mot/customer/v1/profile.pb.h"
#include "mot/lifecycle/v1/event.pb.h"
#include "touchpoint-scheduler/domain/playbook.h"

namespace mot::scheduler {

// The lifecycle event type of an owner's request to be forgotten (PIPL): their
// journey ends and what is kept of them is erased (docs/personal-data.md).
inline constexpr char kForgetEvent[] = "customer_forgotten";

// What an event or a profile changes in what the scheduler keeps of a customer:
// fields of the customer's record (tier, segment, profile, tz, birth, project, unit,
// exit:<type>), and milestones. Only the fields named are written, so a profile and
// an event arriving together do not undo each other.
//
// A forgotten customer keeps only a tombstone (the time they were forgotten): their
// record and milestones are erased, and no update is written for them any more,
// except a profile updated after that time (`as_of`), which says they came back.
struct CustomerUpdate {
  std::string customer_id;
  std::map<std::string, std::string> fields;
  std::vector<std::pair<std::string, TimePoint>> milestones;
  // Erase the record and leave the tombstone (dated `as_of`); fields are ignored.
  bool forget = false;
  // The time the update speaks for: a profile's updated_at (a forgotten customer comes
  // back with a profile newer than the tombstone), the forgetting's time; for an
  // event's update, never (an event never brings a forgotten customer back).
  TimePoint as_of{};
  // More than where the customer is (project, unit): a milestone, an exit, a tier,
  // a profile, a forgetting. Events that carry only where (a repair) are not written.
  bool Matters() const {
    return forget || !milestones.empty() ||
           std::any_of(fields.begin(), fields.end(),
                       [](const auto& f) { return f.first != "project" && f.first != "unit"; });
  }
};

// The record fields a lifecycle event and a profile set. A profile without updated_at
// speaks for `received` (when it was handled).
CustomerUpdate UpdateFrom(const Playbook& playbook, const lifecycle::v1::LifecycleEvent& event);
CustomerUpdate UpdateFrom(const customer::v1::CustomerProfile& profile, TimePoint received);
// The forgetting of a customer at `at` (the event's time).
CustomerUpdate Forgetting(const std::string& customer_id, TimePoint at);
}  // namespace mot::scheduler
