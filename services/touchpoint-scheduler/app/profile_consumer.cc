#include "touchpoint-scheduler/app/profile_consumer.h"

#include "absl/time/civil_time.h"
#include "mot/common/codec.h"
#include "touchpoint-scheduler/domain/dates.h"

namespace mot::scheduler {

absl::Status ValidateProfile(const customer::v1::CustomerProfile& p) {
  if (p.customer_id().empty()) return absl::InvalidArgumentError("customer_id is required");
  if (!p.time_zone().empty()) {
    if (auto z = LoadZone(p.time_zone()); !z.ok()) {
      return absl::InvalidArgumentError("time_zone is not an IANA time zone name");
    }
  }
  if (p.birth_month() != 0 || p.birth_day() != 0) {
    if (p.birth_month() < 1 || p.birth_month() > 12) {
      return absl::InvalidArgumentError("birth_month must be 1-12");
    }
    const absl::CivilDay last = absl::CivilDay(absl::CivilMonth(2000, p.birth_month()) + 1) - 1;
    if (p.birth_day() < 1 || p.birth_day() > last.day()) {
      return absl::InvalidArgumentError("birth_day is not a day of birth_month");
    }
  }
  return absl::OkStatus();
}

void ProfileHandler::HandleBatch(std::vector<Work>& batch) {
  const TimePoint now = clock_.Now();
  std::vector<CustomerUpdate> updates;
  std::vector<size_t> kept;
  for (size_t i = 0; i < batch.size(); ++i) {
    customer::v1::CustomerProfile p;
    absl::Status s = DecodeMessage(batch[i].msg, &p);
    if (s.ok()) s = ValidateProfile(p);
    batch[i].status = s;
    if (!s.ok()) continue;
    updates.push_back(UpdateFrom(p, now));
    kept.push_back(i);
  }
  if (auto s = store_.UpdateCustomers(updates, now); !s.ok()) {
    for (size_t i : kept) batch[i].status = s;
    return;
  }
  metrics_.profiles.Increment(static_cast<double>(kept.size()));
}
}  // namespace mot::scheduler
