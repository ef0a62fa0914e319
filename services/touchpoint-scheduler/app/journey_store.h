#pragma once

#include <chrono>
#include <iterator>
#include <optional>
#include <string>
#include <vector>

#include "domain/playbook.h"
#include "mot/common/redis.h"
#include "mot/common/timers.h"

namespace mot::scheduler {

// A due touchpoint claimed by one dispatcher: until its lease runs out, only the
// holder of `token` can settle it.
struct ClaimedTouchpoint {
  int partition = 0;
  std::string id;
  std::string token;
  // Its stored touchpoint and command; nullopt when they are gone or unreadable.
  std::optional<PlannedTouchpoint> planned;
  v1::TouchpointStatus status = v1::TOUCHPOINT_STATUS_UNSPECIFIED;
  int attempts = 0;  // failed dispatches so far
};

// What became of a claimed touchpoint.
struct Settlement {
  enum class Kind {
    kDispatched,  // sent: disarm, mark DISPATCHED, drop the command
    kFailed,      // can never be sent: disarm, mark FAILED with the reason, drop the command
    kRetry,       // not sent this time: fire again at retry_at
    kDrop,        // nothing to send (no longer SCHEDULED, or no record): disarm only
  };
  int partition = 0;
  std::string id;
  std::string token;
  Kind kind = Kind::kDispatched;
  std::string reason;
  TimePoint retry_at{};
};

struct MilestoneRecord {
  std::string customer_id;
  std::string name;
  TimePoint at{};
};

struct TimerStats {
  int64_t armed = 0;                  // timers armed, claimed ones included
  std::optional<TimePoint> earliest;  // the earliest fire time among them
};

// Durable journeys and timers.
class JourneyStore {
 public:
  virtual ~JourneyStore() = default;
  virtual int partitions() const = 0;
  // Stores the touchpoint and arms its timer in one atomic step, once: a touchpoint
  // stored before, whatever its status now, is left as it is (a redelivered event
  // can never re-arm a dispatched touchpoint).
  virtual absl::Status Schedule(const PlannedTouchpoint& planned, TimePoint now) {
    return ScheduleAll({planned}, now);
  }
  // Schedule for each, all in one round trip (each one atomic on its own).
  virtual absl::Status ScheduleAll(const std::vector<PlannedTouchpoint>& planned,
                                   TimePoint now) {
    auto sends = ScheduleOrSend(planned, std::vector<bool>(planned.size(), false), now);
    return sends.ok() ? absl::OkStatus() : sends.status();
  }
  // ScheduleAll, except that a touchpoint marked in `send_now` (due already) is stored
  // DISPATCHED instead of armed: its caller sends the command itself, as part of
  // handling the event whose offset it stores only once the send is acknowledged.
  // For each: whether the caller sends it, i.e. it is marked and was stored now, or
  // was found DISPATCHED (a redelivered event whose send may have been lost: sent
  // again, and the owning service's idempotency absorbs a second copy).
  virtual absl::StatusOr<std::vector<bool>> ScheduleOrSend(
      const std::vector<PlannedTouchpoint>& planned, const std::vector<bool>& send_now,
      TimePoint now) = 0;
  // Claims up to `limit` touchpoints of a partition due at `now`, for `lease`.
  virtual absl::StatusOr<std::vector<ClaimedTouchpoint>> ClaimDue(
      int partition, TimePoint now, std::chrono::milliseconds lease, size_t limit,
      const std::string& token) = 0;
  // ClaimDue on each partition (up to `limit` each), in one round trip where the
  // store can; the touchpoints of all of them, each naming its partition.
  virtual absl::StatusOr<std::vector<ClaimedTouchpoint>> ClaimDueAll(
      const std::vector<int>& partitions, TimePoint now, std::chrono::milliseconds lease,
      size_t limit, const std::string& token) {
    std::vector<ClaimedTouchpoint> out;
    for (int p : partitions) {
      auto claimed = ClaimDue(p, now, lease, limit, token);
      if (!claimed.ok()) return claimed.status();
      std::move(claimed->begin(), claimed->end(), std::back_inserter(out));
    }
    return out;
  }
  // Settles claimed touchpoints in one round trip. For each, whether its claim was
  // still held: false means the lease ran out (another replica may hold it now) and
  // nothing was changed.
  virtual absl::StatusOr<std::vector<bool>> Settle(const std::vector<Settlement>& settlements,
                                                   TimePoint now) = 0;
  // Moves a touchpoint's status forward only (SCHEDULED < DISPATCHED < DONE ...): a
  // late DISPATCHED never overwrites DONE. A touchpoint no longer stored is left alone.
  virtual absl::Status Advance(const Outcome& outcome, TimePoint now) = 0;
  virtual absl::Status RecordMilestone(const std::string& customer_id, const std::string& name,
                                       TimePoint at, TimePoint now) = 0;
  // Advance and RecordMilestone for each, in one round trip where the store can.
  virtual absl::Status AdvanceAll(const std::vector<Outcome>& outcomes, TimePoint now) {
    for (const auto& o : outcomes) {
      if (auto s = Advance(o, now); !s.ok()) return s;
    }
    return absl::OkStatus();
  }
  virtual absl::Status RecordMilestones(const std::vector<MilestoneRecord>& milestones,
                                        TimePoint now) {
    for (const auto& m : milestones) {
      if (auto s = RecordMilestone(m.customer_id, m.name, m.at, now); !s.ok()) return s;
    }
    return absl::OkStatus();
  }
  virtual absl::StatusOr<std::optional<TimePoint>> Milestone(const std::string& customer_id,
                                                             const std::string& name) = 0;
  // The customer's touchpoints by due time, with their current status.
  virtual absl::StatusOr<std::vector<v1::Touchpoint>> Journey(const std::string& customer_id) = 0;
  virtual absl::StatusOr<TimerStats> Timers() = 0;
};

struct JourneyStoreOptions {
  std::string ns = "scheduler";  // the keys' namespace (tests use their own)
  int partitions = 16;
  // How long a finished touchpoint, and a journey after its last touchpoint, is kept.
  std::chrono::milliseconds retention = std::chrono::hours(24 * 365 * 5);
};

// Keys, all of a customer's in one partition p = hash(customer) % partitions and
// tagged {scheduler.pp} (one Redis Cluster slot): tp:<id> (hash: tp = Touchpoint,
// payload = the command, status, outcome, ref, updated, attempts, error),
// journey:<customer> (zset by due), milestones:<customer> (hash), due and claims (the
// partition's timers, see mot/common/timers.h).
class RedisJourneyStore : public JourneyStore {
 public:
  RedisJourneyStore(RedisClient& redis, JourneyStoreOptions options);
  int partitions() const override { return layout_.partitions; }
  absl::StatusOr<std::vector<bool>> ScheduleOrSend(const std::vector<PlannedTouchpoint>& planned,
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
  absl::Status RecordMilestone(const std::string& customer_id, const std::string& name,
                               TimePoint at, TimePoint now) override;
  absl::Status RecordMilestones(const std::vector<MilestoneRecord>& milestones,
                                TimePoint now) override;
  absl::StatusOr<std::optional<TimePoint>> Milestone(const std::string& customer_id,
                                                     const std::string& name) override;
  absl::StatusOr<std::vector<v1::Touchpoint>> Journey(const std::string& customer_id) override;
  absl::StatusOr<TimerStats> Timers() override;

  // The key of a touchpoint's record (for tests and tools).
  std::string TouchpointKey(const std::string& customer_id, const std::string& id) const;

 private:
  std::string Key(int partition, const char* kind, const std::string& id) const;
  int64_t ExpireAt(TimePoint at, TimePoint now) const;

  RedisClient& redis_;
  const TimerLayout layout_;
  const JourneyStoreOptions options_;
  RedisTimers timers_;
};

}  // namespace mot::scheduler
