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

// What an event or a profile changes in what the scheduler keeps of a customer:
// fields of the customer's record (tier, segment, profile, tz, birth, project, unit,
// exit:<type>), and milestones. Only the fields named are written, so a profile and
// an event arriving together do not undo each other.
struct CustomerUpdate {
  std::string customer_id;
  std::map<std::string, std::string> fields;
  std::vector<std::pair<std::string, TimePoint>> milestones;
  // More than where the customer is (project, unit): a milestone, an exit, a tier,
  // a profile. Events that carry only where (a repair) are not written.
  bool Matters() const {
    return !milestones.empty() || std::any_of(fields.begin(), fields.end(), [](const auto& f) {
      return f.first != "project" && f.first != "unit";
    });
  }
};

// The record fields a lifecycle event and a profile set.
CustomerUpdate UpdateFrom(const Playbook& playbook, const lifecycle::v1::LifecycleEvent& event);
CustomerUpdate UpdateFrom(const customer::v1::CustomerProfile& profile);
}  // namespace mot::scheduler
