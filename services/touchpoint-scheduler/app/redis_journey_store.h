#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "mot/common/redis.h"
#include "mot/common/timers.h"
#include "touchpoint-scheduler/domain/journey_store.h"

namespace mot::scheduler {

struct JourneyStoreOptions {
  std::string ns = "scheduler";  // the keys' namespace (tests use their own)
  int partitions = 16;
  // How long a finished touchpoint, and a journey after its last touchpoint, is kept.
  std::chrono::milliseconds retention = std::chrono::hours(24 * 365 * 5);
};

// Keys, all of a customer's in one partition p = hash(customer) % partitions and
// tagged {scheduler.pp} (one Redis Cluster slot): tp:<id> (hash: tp = Touchpoint,
// payload = the command, status, outcome, ref, updated, attempts, error, step,
// anchor, exits = ",type,type,", prev and due = the due times before and after a
// move),
// journey:<customer> (zset by due: the current due time), milestones:<customer>
// (hash), customer:<customer> (hash: the facts of CustomerUpdate), customers and
// birthdays (sets: the partition's customers, and those with a birthday, for calendar
// steps), due and claims (the partition's
// timers, see mot/common/timers.h). Scripts that walk a journey build its
// touchpoints' keys from the partition's prefix (same slot).
class RedisJourneyStore : public JourneyStore {
 public:
  RedisJourneyStore(RedisClient& redis, JourneyStoreOptions options);
  int partitions() const override { return layout_.partitions; }
  absl::StatusOr<std::vector<bool>> ScheduleOrSend(const std::vector<PlannedTouchpoint>& planned,
                                                   const std::vector<bool>& send_now,
                                                   TimePoint now) override;
  absl::StatusOr<SegmentResult> StoreSegment(const std::vector<Amendment>& amendments,
                                             const std::vector<CustomerUpdate>& updates,
                                             const std::vector<PlannedTouchpoint>& planned,
                                             const std::vector<bool>& send_now,
                                             TimePoint now) override;
  absl::StatusOr<std::vector<ClaimedTouchpoint>> ClaimDue(int partition, TimePoint now,
                                                          std::chrono::milliseconds lease,
                                                          size_t limit,
                                                          const std::string& token) override;
  absl::StatusOr<std::vector<ClaimedTouchpoint>> ClaimDueAll(const std::vector<int>& partitions,
                                                             TimePoint now,
                                                             std::chrono::milliseconds lease,
                                                             size_t limit,
                                                             const std::string& token) override;
  absl::StatusOr<std::vector<bool>> Settle(const std::vector<Settlement>& settlements,
                                           TimePoint now) override;
  absl::Status Advance(const Outcome& outcome, TimePoint now) override;
  absl::Status AdvanceAll(const std::vector<Outcome>& outcomes, TimePoint now) override;
  absl::StatusOr<std::optional<TimePoint>> Milestone(const std::string& customer_id,
                                                     const std::string& name) override;
  absl::StatusOr<std::vector<v1::Touchpoint>> Journey(const std::string& customer_id) override;
  absl::StatusOr<v1::Touchpoint> One(const std::string& customer_id, const std::string& id);
  absl::StatusOr<TimerStats> Timers() override;
  absl::StatusOr<std::map<std::string, TimePoint>> Forgotten(
      const std::vector<std::string>& customers) override;
  absl::StatusOr<std::map<std::string, CustomerFacts>> Facts(
      const std::vector<std::string>& customers, const StageWindows& stages) override;
  absl::Status UpdateCustomers(const std::vector<CustomerUpdate>& updates, TimePoint now) override;
  absl::StatusOr<AmendResult> Amend(const Amendment& amendment, TimePoint now) override;
  absl::StatusOr<std::vector<AmendResult>> AmendAll(const std::vector<Amendment>& all,
                                                    TimePoint now) override;
  absl::StatusOr<v1::Touchpoint> Cancel(const std::string& customer_id, const std::string& id,
                                        const std::string& reason, TimePoint now) override;
  absl::StatusOr<v1::Touchpoint> Reschedule(const std::string& customer_id, const std::string& id,
                                            TimePoint due, const std::string& reason,
                                            TimePoint now) override;
  absl::StatusOr<JourneyPage> Page(const std::string& customer_id, int64_t offset,
                                   int64_t limit) override;
  absl::StatusOr<std::pair<uint64_t, std::vector<std::string>>> ScanCustomers(
      int partition, uint64_t cursor, int count, bool with_birthday_only) override;

  // The key of a touchpoint's record (for tests and tools).
  std::string TouchpointKey(const std::string& customer_id, const std::string& id) const;

 private:
  std::string Key(int partition, const char* kind, const std::string& id) const;
  // The script calls of ScheduleOrSend, AmendAll and UpdateCustomers, and what their
  // replies mean.
  using Calls = std::vector<std::vector<std::string>>;
  Calls ScheduleCalls(const std::vector<PlannedTouchpoint>& planned,
                      const std::vector<bool>& send_now, TimePoint now,
                      std::vector<std::vector<size_t>>* order) const;
  static std::vector<bool> ScheduleReplies(const std::vector<RedisReply>& replies, size_t first,
                                           const std::vector<std::vector<size_t>>& order,
                                           size_t count);
  Calls AmendCalls(const std::vector<Amendment>& all, TimePoint now) const;
  static std::vector<AmendResult> AmendReplies(const std::vector<RedisReply>& replies, size_t first,
                                               size_t count);
  Calls CustomerCalls(const std::vector<CustomerUpdate>& updates, TimePoint now) const;
  absl::StatusOr<v1::Touchpoint> Change(const std::string& customer_id, const std::string& id,
                                        const std::string& reason, std::optional<TimePoint> due,
                                        TimePoint now);
  int64_t ExpireAt(TimePoint at, TimePoint now) const;

  RedisClient& redis_;
  const TimerLayout layout_;
  const JourneyStoreOptions options_;
  RedisTimers timers_;
};
}  // namespace mot::scheduler
