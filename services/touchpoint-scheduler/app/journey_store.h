#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "domain/playbook.h"
#include "mot/common/redis.h"

namespace mot::scheduler {

// Durable journeys and timers.
class JourneyStore {
 public:
  virtual ~JourneyStore() = default;
  // Idempotent: a touchpoint planned twice is stored once, and its timer is armed
  // only while it is still SCHEDULED.
  virtual absl::Status Schedule(const PlannedTouchpoint& planned) = 0;
  // Ids of touchpoints due at `now`, oldest first.
  virtual absl::StatusOr<std::vector<std::string>> Due(TimePoint now, size_t limit) = 0;
  // Claims a due touchpoint for `lease`: only one replica dispatches it at a time.
  // The touchpoint's command, or nullopt when another replica holds the claim.
  virtual absl::StatusOr<std::optional<PlannedTouchpoint>> Claim(
      const std::string& id, std::chrono::milliseconds lease) = 0;
  // Disarms the timer and marks the touchpoint DISPATCHED.
  virtual absl::Status Dispatched(const std::string& id, TimePoint now) = 0;
  // Gives a claim back after a failed dispatch; the timer stays armed.
  virtual absl::Status Release(const std::string& id) = 0;
  // Moves a touchpoint's status forward only (SCHEDULED < DISPATCHED < DONE ...):
  // a late DISPATCHED never overwrites DONE.
  virtual absl::Status Advance(const Outcome& outcome, TimePoint now) = 0;
  virtual absl::Status RecordMilestone(const std::string& customer_id, const std::string& name,
                                       TimePoint at) = 0;
  virtual absl::StatusOr<std::optional<TimePoint>> Milestone(const std::string& customer_id,
                                                             const std::string& name) = 0;
  // The customer's touchpoints by due time, with their current status.
  virtual absl::StatusOr<std::vector<v1::Touchpoint>> Journey(const std::string& customer_id) = 0;
  // Timers armed (scheduled, not yet dispatched).
  virtual absl::StatusOr<int64_t> PendingTimers() = 0;
};

// Keys under mot:scheduler: tp:<id> (Touchpoint), cmd:<id> (hash topic/key/payload),
// state:<id> (hash status/outcome/ref/updated), journey:<customer> (zset by due),
// due (zset by due: the timers), claim:<id> (lease), milestones:<customer> (hash).
class RedisJourneyStore : public JourneyStore {
 public:
  explicit RedisJourneyStore(RedisClient& redis) : redis_(redis) {}
  absl::Status Schedule(const PlannedTouchpoint& planned) override;
  absl::StatusOr<std::vector<std::string>> Due(TimePoint now, size_t limit) override;
  absl::StatusOr<std::optional<PlannedTouchpoint>> Claim(const std::string& id,
                                                         std::chrono::milliseconds lease) override;
  absl::Status Dispatched(const std::string& id, TimePoint now) override;
  absl::Status Release(const std::string& id) override;
  absl::Status Advance(const Outcome& outcome, TimePoint now) override;
  absl::Status RecordMilestone(const std::string& customer_id, const std::string& name,
                               TimePoint at) override;
  absl::StatusOr<std::optional<TimePoint>> Milestone(const std::string& customer_id,
                                                     const std::string& name) override;
  absl::StatusOr<std::vector<v1::Touchpoint>> Journey(const std::string& customer_id) override;
  absl::StatusOr<int64_t> PendingTimers() override;

 private:
  RedisClient& redis_;
};

}  // namespace mot::scheduler
