#pragma once

#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "mot/common/clock.h"

namespace mot::notification {

// The capped messages (care, marketing) each owner was sent, for the frequency cap
// (the port: RedisCapLedger keeps them in Redis; tests use an in-memory one,
// tests/support/memory_cap_ledger.h).
class CapLedger {
 public:
  virtual ~CapLedger() = default;
  // When each owner's capped messages went out within the window before `now`; one
  // round trip.
  virtual absl::StatusOr<std::map<std::string, std::vector<TimePoint>>> Recent(
      const std::set<std::string>& owners, TimePoint now) = 0;
  // (owner, delivery id) pairs sent at `at`; one round trip.
  virtual absl::Status Record(const std::vector<std::pair<std::string, std::string>>& sent,
                              TimePoint at) = 0;
};

}  // namespace mot::notification
