#include "touchpoint-scheduler/domain/customer_update.h"

#include "absl/strings/str_format.h"

namespace mot::scheduler {

CustomerUpdate UpdateFrom(const Playbook& pb, const lifecycle::v1::LifecycleEvent& e) {
  CustomerUpdate u;
  u.customer_id = e.customer_id();
  if (!e.project_id().empty()) u.fields["project"] = e.project_id();
  if (!e.unit_id().empty()) u.fields["unit"] = e.unit_id();
  for (auto [attr, field] : {std::pair{"tier", "tier"}, std::pair{"profile", "profile"}}) {
    if (auto it = e.attributes().find(attr); it != e.attributes().end() && !it->second.empty()) {
      u.fields[field] = it->second;
    }
  }
  if (pb.IsJourneyExit(e.type()))
    u.fields["exit:" + e.type()] = std::to_string(e.occurred_at().seconds());
  const auto& stages = pb.stages();
  if (e.type() == stages.signing_event || e.type() == stages.handover_event) {
    u.milestones.emplace_back(e.type(), FromProto(e.occurred_at()));
  }
  return u;
}

CustomerUpdate UpdateFrom(const customer::v1::CustomerProfile& p, TimePoint received) {
  CustomerFacts f;
  MergeProfile(p, &f);
  CustomerUpdate u;
  u.customer_id = p.customer_id();
  u.as_of = p.has_updated_at() ? FromProto(p.updated_at()) : received;
  for (auto [field, value] :
       {std::pair{"tier", &f.tier}, std::pair{"segment", &f.segment},
        std::pair{"profile", &f.profile_type}, std::pair{"tz", &f.time_zone}}) {
    if (!value->empty()) u.fields[field] = *value;
  }
  if (f.birth_month > 0)
    u.fields["birth"] = absl::StrFormat("%02d-%02d", f.birth_month, f.birth_day);
  return u;
}

CustomerUpdate Forgetting(const std::string& customer_id, TimePoint at) {
  CustomerUpdate u;
  u.customer_id = customer_id;
  u.forget = true;
  u.as_of = at;
  return u;
}
}  // namespace mot::scheduler
