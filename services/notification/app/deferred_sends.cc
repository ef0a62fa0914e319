#include "notification/app/deferred_sends.h"

#include "mot/common/topics.h"
#include "mot/notification/v1/notification.pb.h"

namespace mot::notification {

DeferredSends::DeferredSends(RecordStore& store, Timers& timers, Publisher& out, const Clock& clock,
                             ClaimOptions options)
    : held_(store),
      timers_(timers),
      out_(out),
      clock_(clock),
      loop_("deferred sends", options, [this](const std::string& token) { return PassAs(token); }) {
}

absl::Status DeferredSends::Hold(const std::vector<Held>& held) {
  std::vector<std::pair<std::string, std::string>> commands;
  std::vector<Timers::Timer> timers;
  for (const auto& h : held) {
    commands.emplace_back(h.key, h.command);
    timers.push_back({timers_.layout().PartitionOf(h.customer_id), h.key, h.at});
  }
  if (auto s = held_.PutAll(commands); !s.ok()) return s;
  return timers_.Arm(timers);
}

absl::StatusOr<int> DeferredSends::Pass() {
  auto passed = loop_.Pass();
  if (!passed.ok()) return passed.status();
  return passed->settled;
}

absl::StatusOr<ClaimLoop::Passed> DeferredSends::PassAs(const std::string& token) {
  std::vector<int> partitions;
  for (int p = 0; p < timers_.layout().partitions; ++p) partitions.push_back(p);
  const ClaimOptions& options = loop_.options();
  auto claimed = timers_.ClaimAll(partitions, clock_.Now(), options.lease,
                                  static_cast<size_t>(options.batch), token);
  if (!claimed.ok()) return claimed.status();
  ClaimLoop::Passed passed;
  for (size_t p = 0; p < partitions.size(); ++p) {
    const auto& ids = (*claimed)[p];
    if (ids.empty()) continue;
    auto commands = held_.GetAll(ids);
    if (!commands.ok()) return commands.status();
    std::vector<OutMessage> again;
    for (const auto& c : *commands) {
      if (!c) continue;  // nothing kept: the timer alone goes
      v1::SendNotificationCommand cmd;
      if (!cmd.ParseFromString(*c)) continue;
      again.push_back({kNotificationCommandsTopic, cmd.customer_id(), *c, {}});
    }
    for (const auto& s : out_.PublishAll(again)) {
      if (!s.ok()) return s;  // claimed again once the lease ends
    }
    if (auto done = timers_.Complete(partitions[p], ids, token); !done.ok()) return done.status();
    held_.Erase(ids).IgnoreError();  // one left behind has no timer: never sent again
    passed.settled += static_cast<int>(again.size());
    if (ids.size() == static_cast<size_t>(options.batch)) passed.more = true;
  }
  return passed;
}

}  // namespace mot::notification
