#include "touchpoint-scheduler/domain/playbook.h"

#include <algorithm>

namespace mot::scheduler {

// The parameters each service's action needs.
const std::map<std::string, std::vector<std::string>>& RequiredParams() {
  static const std::map<std::string, std::vector<std::string>> kRequired = {
      {"notification", {"template"}}, {"survey", {"survey"}}, {"ticketing", {"kind"}}};
  return kRequired;
}

bool Contains(const std::vector<std::string>& list, const std::string& value) {
  return std::find(list.begin(), list.end(), value) != list.end();
}

std::string Param(const Step& step, const std::string& name) {
  auto it = step.action.params.find(name);
  return it == step.action.params.end() ? "" : it->second;
}

std::vector<std::string> ActionServices() {
  std::vector<std::string> out;
  for (const auto& [service, _] : RequiredParams()) out.push_back(service);
  return out;
}

const std::vector<std::string>& LifecycleEventTypes() {
  static const std::vector<std::string> types = {
      "prospect_visit",        "contract_signed",    "signing_progress",
      "construction_progress", "design_change",      "policy_change",
      "handover_rescheduled",  "handover",           "handover_refused",
      "handover_defect_found", "repair_requested",   "complaint_filed",
      "unit_resold",           "customer_opt_out",   "repurchase",
      "referral_made",         "community_activity", "customer_forgotten"};
  return types;
}

void MergeProfile(const customer::v1::CustomerProfile& p, CustomerFacts* f) {
  f->customer_id = p.customer_id();
  if (!p.tier().empty()) f->tier = p.tier();
  if (!p.segment().empty()) f->segment = p.segment();
  if (!p.profile_type().empty()) f->profile_type = p.profile_type();
  if (!p.time_zone().empty()) f->time_zone = p.time_zone();
  if (p.birth_month() >= 1 && p.birth_month() <= 12 && p.birth_day() >= 1 && p.birth_day() <= 31) {
    f->birth_month = p.birth_month();
    f->birth_day = p.birth_day();
  }
}

bool Playbook::Knows(const std::string& event_type) const {
  return Contains(LifecycleEventTypes(), event_type) || Triggers(event_type);
}

bool Playbook::Triggers(const std::string& event_type) const {
  return std::any_of(steps_.begin(), steps_.end(),
                     [&](const Step& s) { return s.on == event_type; });
}

bool Playbook::NeedsFacts(const std::string& event_type) const {
  if (!Reanchors(event_type).empty()) return true;
  return std::any_of(steps_.begin(), steps_.end(), [&](const Step& s) {
    return s.on == event_type &&
           (s.contact_window || !s.anchor.empty() || !s.when.empty() || s.stage_bound);
  });
}

const Step* Playbook::FindStep(const std::string& id) const {
  for (const auto& s : steps_) {
    if (s.id == id) return &s;
  }
  return nullptr;
}

std::vector<std::string> Playbook::ExitsFor(const Step& step) const {
  std::vector<std::string> out = step.exits;
  for (const auto& e : exits_) {
    if (!Contains(e.except, step.category) && !Contains(out, e.on)) out.push_back(e.on);
  }
  return out;
}

bool Playbook::Cancels(const std::string& event_type) const {
  if (IsJourneyExit(event_type)) return true;
  return std::any_of(steps_.begin(), steps_.end(),
                     [&](const Step& s) { return Contains(s.exits, event_type); });
}

bool Playbook::IsJourneyExit(const std::string& event_type) const {
  return std::any_of(exits_.begin(), exits_.end(),
                     [&](const JourneyExit& e) { return e.on == event_type; });
}

std::string Playbook::Reanchors(const std::string& event_type) const {
  auto it = reanchor_.find(event_type);
  return it == reanchor_.end() ? "" : it->second;
}

const absl::TimeZone& Playbook::ZoneOf(const std::string& project_id) const {
  auto it = project_zones_.find(project_id);
  return it == project_zones_.end() ? zone_ : it->second;
}

absl::TimeZone Playbook::ZoneFor(const CustomerFacts& facts) const {
  if (!facts.time_zone.empty()) {
    absl::TimeZone zone;
    if (absl::LoadTimeZone(facts.time_zone, &zone)) return zone;
  }
  return ZoneOf(facts.project_id);
}
}  // namespace mot::scheduler
