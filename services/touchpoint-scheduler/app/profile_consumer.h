#pragma once

#include <vector>

#include "absl/status/status.h"
#include "mot/common/clock.h"
#include "mot/common/kafka.h"
#include "mot/customer/v1/profile.pb.h"
#include "touchpoint-scheduler/app/metrics.h"
#include "touchpoint-scheduler/domain/journey_store.h"

namespace mot::scheduler {

// Consumes mot.customer.v1: keeps what the scheduler plans with of each profile.
class ProfileHandler {
 public:
  ProfileHandler(JourneyStore& store, const Clock& clock, SchedulerMetrics& metrics)
      : store_(store), clock_(clock), metrics_(metrics) {}
  void HandleBatch(std::vector<Work>& batch);

 private:
  JourneyStore& store_;
  const Clock& clock_;
  SchedulerMetrics& metrics_;
};

// InvalidArgument naming the field of a profile that is wrong.
absl::Status ValidateProfile(const customer::v1::CustomerProfile& profile);
}  // namespace mot::scheduler
