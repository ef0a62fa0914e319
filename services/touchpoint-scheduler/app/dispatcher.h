#pragma once

#include <atomic>
#include <chrono>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "mot/common/claim_loop.h"
#include "mot/common/clock.h"
#include "mot/common/messaging.h"
#include "touchpoint-scheduler/app/metrics.h"
#include "touchpoint-scheduler/domain/journey_store.h"

namespace mot::scheduler {

struct DispatcherOptions {
  std::chrono::milliseconds tick{1000};
  // Longer than the producer's delivery timeout: a claim outlives a slow publish.
  std::chrono::milliseconds claim_lease{60000};
  int batch = 100;
  // A touchpoint whose command could not be sent (broker down) tries again after
  // retry_initial, doubling up to retry_max.
  std::chrono::milliseconds retry_initial{1000};
  std::chrono::milliseconds retry_max{std::chrono::minutes(10)};
  // The timer partitions this replica serves; empty: all.
  std::vector<int> partitions;
};

// "0-3,7" -> {0,1,2,3,7}, each below `count`; "" or "all" -> every partition.
absl::StatusOr<std::vector<int>> ParsePartitions(const std::string& text, int count);

// The timer wheel, on the shared claim loop: every tick (and when woken), claims due
// touchpoints of all its partitions in batches (the journey store's ClaimDueAll),
// sends their commands together, and settles each: dispatched, failed for good
// (FAILED with the reason; the others go on), or retried later with backoff.
class Dispatcher {
 public:
  Dispatcher(JourneyStore& store, Publisher& publisher, const Clock& clock,
             DispatcherOptions options, SchedulerMetrics& metrics);
  // One pass over this replica's partitions; how many touchpoints it dispatched and
  // whether a partition had more due than one batch.
  struct Pass {
    int dispatched = 0;
    bool more = false;
  };
  absl::StatusOr<Pass> DispatchDue();
  // Passes every tick, and at once when woken or while more are due.
  void Run(const std::atomic<bool>& stop);
  // A touchpoint due at `due` was stored: if that is before the next tick, the next
  // pass starts now (a welcome goes out in milliseconds, not at the next tick).
  void Planned(TimePoint due);

 private:
  // What a pass does with the touchpoints it claimed.
  struct Batch {
    std::vector<ClaimedTouchpoint> claimed;
    std::vector<Settlement> settle;  // per claimed touchpoint
    std::vector<OutMessage> out;
    std::vector<size_t> sent;  // index into claimed of each message in `out`
  };
  // One pass under the loop's claim token, then the gauges (once a tick).
  absl::StatusOr<ClaimLoop::Passed> PassWith(const std::string& token);
  // Claims what is due on every partition of this replica at once, sends it together
  // and settles it.
  absl::StatusOr<ClaimLoop::Passed> DispatchClaimed(TimePoint now, const std::string& token);
  // The commands to send; what cannot be sent is settled FAILED, what is no longer
  // SCHEDULED dropped.
  void Prepare(Batch& b);
  // The next occurrences of the recurring touchpoints about to be sent, stored first.
  absl::Status StoreNext(const Batch& b, TimePoint now);
  // Each sent touchpoint's settlement from what the broker answered.
  void Settled(Batch& b, const std::vector<absl::Status>& results, TimePoint now);
  // Counts what was dispatched under a claim still held; how many.
  int Count(const Batch& b, const std::vector<bool>& held, TimePoint now);
  void ReadGauges(TimePoint now);
  void Fail(DispatchFailure why, double n = 1);

  JourneyStore& store_;
  Publisher& publisher_;
  const Clock& clock_;
  const DispatcherOptions options_;
  SchedulerMetrics& metrics_;
  std::vector<int> partitions_;
  std::chrono::steady_clock::time_point stats_at_{};  // when the gauges were last read
  ClaimLoop loop_;
};

}  // namespace mot::scheduler
