#pragma once

#include <atomic>
#include <chrono>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "mot/common/claim_loop.h"
#include "mot/common/clock.h"
#include "mot/common/messaging.h"
#include "mot/common/record_store.h"
#include "mot/common/timers.h"
#include "notification/app/held_commands.h"

namespace mot::notification {

// Messages held for later: for the owner's quiet hours (decided anew when they end)
// or a retry (tried again on its channel). Each command is kept (HeldCommands) with a
// timer of the same key; when the timer fires (on the service's clock), the command is
// published again on mot.notification.commands.v1, then the timer and record go. A
// retry's key is new each time ("<delivery id>/<n>"), so a command held again before
// its last hold is cleared up keeps its record. The timers are claimed on the shared
// ClaimLoop (`options`: tick, lease, batch).
class DeferredSends {
 public:
  DeferredSends(RecordStore& store, Timers& timers, Publisher& out, const Clock& clock,
                ClaimOptions options);
  struct Held {
    std::string key;  // the delivery id for quiet hours; HeldCommands::RetryKey for a retry
    std::string customer_id, command;  // the command's bytes
    TimePoint at;
  };
  // How often it looks for what is due.
  std::chrono::milliseconds tick() const { return loop_.options().tick; }
  // Keeps the commands, then arms their timers (a crash between the two leaves a
  // record without a timer, made good when the command is redelivered).
  absl::Status Hold(const std::vector<Held>& held);
  // Publishes what is due until `stop`.
  void Run(const std::atomic<bool>& stop) { loop_.Run(stop); }
  // One pass: how many were published again.
  absl::StatusOr<int> Pass();

 private:
  absl::StatusOr<ClaimLoop::Passed> PassAs(const std::string& token);
  HeldCommands held_;
  Timers& timers_;
  Publisher& out_;
  const Clock& clock_;
  ClaimLoop loop_;
};

}  // namespace mot::notification
