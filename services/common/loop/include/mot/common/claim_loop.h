#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "mot/common/alarm.h"

namespace mot {

// How a timer loop claims what is due: a pass every `tick` (sooner when rung), up to
// `batch` timers a partition at a time, each claim held for `lease`.
struct ClaimOptions {
  std::chrono::milliseconds tick{1000};
  // Longer than the producer's delivery timeout: a claim outlives a slow publish.
  std::chrono::milliseconds lease{60000};
  int batch = 100;
};

// InvalidArgument naming `what` (e.g. "MOT_SLA_CLAIM_LEASE") unless the lease
// outlives the producer's delivery timeout and tick and batch are positive: a claim
// that ran out while its publish was still in flight would be claimed and sent again.
absl::Status CheckClaimOptions(const ClaimOptions& options,
                               std::chrono::milliseconds delivery_timeout, const std::string& what);

// The one loop behind every timer wheel (the scheduler's dispatcher, ticketing's SLA
// watch, notification's deferred sends): a pass claims what is due under a fresh
// token ("<replica>:<n>", the replica random per process), settles it and says
// whether a partition had a full batch (then the next pass starts at once); otherwise
// it waits a tick or until rung. The first failure and the recovery are logged, not
// every failing tick.
class ClaimLoop {
 public:
  struct Passed {
    int settled = 0;
    bool more = false;  // a partition had `batch` due: more may be waiting
  };
  // One pass under `token`.
  using PassFn = std::function<absl::StatusOr<Passed>(const std::string& token)>;

  ClaimLoop(std::string name, ClaimOptions options, PassFn pass);
  const ClaimOptions& options() const { return options_; }
  // One pass with a new token.
  absl::StatusOr<Passed> Pass();
  // Passes until `stop`; `before_pass` (may be empty) runs first each time.
  void Run(const std::atomic<bool>& stop, const std::function<void()>& before_pass = {});
  // The next pass starts now.
  void Ring() { alarm_.Ring(); }

 private:
  const std::string name_;
  const ClaimOptions options_;
  const PassFn pass_;
  const std::string replica_;
  uint64_t claims_ = 0;
  Alarm alarm_;
};

}  // namespace mot
