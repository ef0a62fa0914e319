#pragma once

#include <chrono>

#include "mot/common/redis.h"
#include "notification/domain/cap_ledger.h"

namespace mot::notification {

// The cap's ledger in Redis: a sorted set per owner (mot:notification:capped:<customer>),
// scored by when each capped message went out; what is older than the cap's window is
// dropped as it is written.
class RedisCapLedger : public CapLedger {
 public:
  RedisCapLedger(RedisClient& redis, std::chrono::milliseconds window)
      : redis_(redis), window_(window) {}
  absl::StatusOr<std::map<std::string, std::vector<TimePoint>>> Recent(
      const std::set<std::string>& owners, TimePoint now) override;
  absl::Status Record(const std::vector<std::pair<std::string, std::string>>& sent,
                      TimePoint at) override;

 private:
  RedisClient& redis_;
  const std::chrono::milliseconds window_;
};

}  // namespace mot::notification
