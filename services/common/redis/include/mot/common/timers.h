#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "mot/common/clock.h"
#include "mot/common/redis.h"

namespace mot {

// Durable timers in Redis, partitioned for Redis Cluster.
//
// A timer is a member of its partition's due set (a sorted set scored by the time
// it fires). Claiming takes up to N due timers of one partition in one script and
// re-scores them to now + lease, recording the claimer's token in the partition's
// claims hash; only the holder of that token can settle them (compare-and-delete),
// and a claim whose lease ran out is due again for anyone. Every key of a partition
// carries the hash tag {<ns>.<partition>}, so a partition lives in one Redis Cluster
// slot and its scripts stay atomic there.
struct TimerLayout {
  std::string ns;  // e.g. "scheduler"
  int partitions = 16;

  // The partition of a routing key (e.g. a customer id): stable across processes.
  int PartitionOf(std::string_view routing_key) const;
  // "mot:{scheduler.07}:": the prefix of every key of partition p.
  std::string Prefix(int partition) const;
  std::string DueKey(int partition) const { return Prefix(partition) + "due"; }
  std::string ClaimsKey(int partition) const { return Prefix(partition) + "claims"; }
};

// Lua helpers that every timer script starts with, so that a service's own
// scripts (which change its records and the timer in one step) share them:
//   timer_claim(due, claims, now, until, n, token) -> ids
//   timer_held(claims, ids, token) -> the ids `token` holds
//   timer_disarm_all(due, claims, ids)   -- fired or cancelled: gone
//   timer_rearm(due, claims, id, at)     -- fires again at `at`, unclaimed
//   timer_each(cmd, key, prefix, items)  -- one command over many items, chunked
extern const char kTimerLua[];

// The timer operations a loop needs (the port: RedisTimers speaks Redis; tests use an
// in-memory one, tests/support/memory_timers.h).
class Timers {
 public:
  virtual ~Timers() = default;
  virtual const TimerLayout& layout() const = 0;

  struct Timer {
    int partition;
    std::string id;
    TimePoint at;
  };
  // Arms (or moves) timers, pipelined in one round trip.
  virtual absl::Status Arm(const std::vector<Timer>& timers) = 0;
  // Arms (or moves) timers and drops their claims, so that a claimer working on an
  // older state of the record cannot settle them any more (see Settle).
  virtual absl::Status Rearm(const std::vector<Timer>& timers) = 0;
  // Settles one claimed timer while `token` still holds it: it fires again at `at`,
  // or is gone (nullopt). Whether `token` held it (a Rearm since wins).
  virtual absl::StatusOr<bool> Settle(int partition, const std::string& id,
                                      const std::string& token, std::optional<TimePoint> at) = 0;
  // Claim on each partition, in one round trip: the claimed ids per partition (up to
  // `limit` timers due at `now` each, held for `lease` as `token`).
  virtual absl::StatusOr<std::vector<std::vector<std::string>>> ClaimAll(
      const std::vector<int>& partitions, TimePoint now, std::chrono::milliseconds lease,
      size_t limit, const std::string& token) = 0;
  // Disarms claimed timers still held by `token`; how many were.
  virtual absl::StatusOr<int64_t> Complete(int partition, const std::vector<std::string>& ids,
                                           const std::string& token) = 0;
  // Armed timers of a partition (claimed ones included).
  virtual absl::StatusOr<int64_t> Count(int partition) = 0;
};

// The timers in Redis, for services whose records need no script of their own, and
// for the benchmark.
class RedisTimers : public Timers {
 public:
  RedisTimers(RedisClient& redis, TimerLayout layout);
  const TimerLayout& layout() const override { return layout_; }
  absl::Status Arm(const std::vector<Timer>& timers) override;
  absl::Status Rearm(const std::vector<Timer>& timers) override;
  absl::StatusOr<bool> Settle(int partition, const std::string& id, const std::string& token,
                              std::optional<TimePoint> at) override;
  // Claims up to `limit` timers of `partition` due at `now` for `lease`, as `token`.
  absl::StatusOr<std::vector<std::string>> Claim(int partition, TimePoint now,
                                                 std::chrono::milliseconds lease, size_t limit,
                                                 const std::string& token);
  absl::StatusOr<std::vector<std::vector<std::string>>> ClaimAll(const std::vector<int>& partitions,
                                                                 TimePoint now,
                                                                 std::chrono::milliseconds lease,
                                                                 size_t limit,
                                                                 const std::string& token) override;
  absl::StatusOr<int64_t> Complete(int partition, const std::vector<std::string>& ids,
                                   const std::string& token) override;
  absl::StatusOr<int64_t> Count(int partition) override;

 private:
  RedisClient& redis_;
  const TimerLayout layout_;
};

}  // namespace mot
