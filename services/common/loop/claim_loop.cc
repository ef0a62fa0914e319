#include "mot/common/claim_loop.h"

#include "absl/strings/str_cat.h"
#include "mot/common/ids.h"
#include "mot/common/log.h"

namespace mot {

absl::Status CheckClaimOptions(const ClaimOptions& options,
                               std::chrono::milliseconds delivery_timeout,
                               const std::string& what) {
  if (options.tick.count() <= 0)
    return absl::InvalidArgumentError(absl::StrCat(what, ": the tick must be above 0"));
  if (options.batch <= 0)
    return absl::InvalidArgumentError(absl::StrCat(what, ": the batch must be 1 or more"));
  if (options.lease <= delivery_timeout) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, ": the claim lease (", options.lease.count(),
                     " ms) must be longer than the producer's delivery timeout (",
                     delivery_timeout.count(), " ms), or a slow publish is sent twice"));
  }
  return absl::OkStatus();
}

ClaimLoop::ClaimLoop(std::string name, ClaimOptions options, PassFn pass)
    : name_(std::move(name)),
      options_(options),
      pass_(std::move(pass)),
      replica_(RandomReplicaId()) {}

absl::StatusOr<ClaimLoop::Passed> ClaimLoop::Pass() {
  return pass_(absl::StrCat(replica_, ":", ++claims_));
}

void ClaimLoop::Run(const std::atomic<bool>& stop, const std::function<void()>& before_pass) {
  bool failing = false;
  while (!stop.load()) {
    alarm_.Reset();  // what was rung before this pass, this pass sees
    if (before_pass) before_pass();
    auto pass = Pass();
    if (!pass.ok() && !failing) {
      Log().warn("{} pass failing, again every {} ms: {}", name_, options_.tick.count(),
                 pass.status().message());
    } else if (pass.ok() && failing) {
      Log().info("{} pass recovered", name_);
    }
    failing = !pass.ok();
    if (pass.ok() && pass->more) continue;
    alarm_.Wait(options_.tick, stop);
  }
}

}  // namespace mot
