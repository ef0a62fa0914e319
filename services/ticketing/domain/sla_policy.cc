#include "domain/sla_policy.h"


#include "absl/strings/str_cat.h"
#include "mot/common/clock.h"
#include "mot/common/ids.h"
#include "mot/common/validate.h"
#include "mot/common/config.h"
#include "mot/common/yaml.h"

namespace mot::ticketing {

absl::StatusOr<SlaPolicy> SlaPolicy::FromYaml(const std::string& yaml) {
  return GuardYaml([&]() -> absl::StatusOr<SlaPolicy> {
    SlaPolicy policy;
    auto kinds = YamlSection(yaml, "kinds", "a map of each ticket kind to its milestones");
    if (!kinds.ok()) return kinds.status();
    for (const auto& kind : *kinds) {
      const std::string name = kind.first.as<std::string>();
      if (!kind.second.IsSequence() || kind.second.size() == 0) {
        return absl::InvalidArgumentError(
            absl::StrCat("kind '", name, "': expected a list of {milestone, within}"));
      }
      auto& milestones = policy.kinds_[name];
      for (const auto& m : kind.second) {
        if (!m["milestone"] || !m["within"]) {
          return absl::InvalidArgumentError(
              absl::StrCat("kind '", name, "': every entry needs 'milestone' and 'within'"));
        }
        const std::string within = m["within"].as<std::string>();
        auto d = ParseDuration(within);
        if (!d.ok()) {
          return absl::InvalidArgumentError(
              absl::StrCat("kind '", name, "': within: ", d.status().message()));
        }
        milestones.push_back({m["milestone"].as<std::string>(), *d});
      }
    }
    return policy;
  });
}

const std::vector<Milestone>* SlaPolicy::Find(const std::string& kind) const {
  auto it = kinds_.find(kind);
  return it == kinds_.end() ? nullptr : &it->second;
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
        absl::StrCat("kind '", cmd.kind(), "' is unknown; known kinds: ", policy.KindList()));
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
  *t.mutable_opened_at() = cmd.requested_at();
  const TimePoint start = FromProto(cmd.requested_at());
  for (const auto& m : *milestones) {
    auto* d = t.add_deadlines();
    d->set_milestone(m.name);
    *d->mutable_due_at() = ToProto(start + m.within);
  }
  return t;
}

}  // namespace mot::ticketing
