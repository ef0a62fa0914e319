#include "touchpoint-scheduler/app/dispatcher.h"

#include <algorithm>
#include <map>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "mot/common/log.h"
#include "touchpoint-scheduler/app/command_topics.h"
#include "touchpoint-scheduler/domain/planned_touchpoint.h"

namespace mot::scheduler {

absl::StatusOr<std::vector<int>> ParsePartitions(const std::string& text, int count) {
  std::vector<int> out;
  if (text.empty() || text == "all") {
    for (int p = 0; p < count; ++p) out.push_back(p);
    return out;
  }
  for (absl::string_view part : absl::StrSplit(text, ',')) {
    std::vector<absl::string_view> range = absl::StrSplit(part, '-');
    int lo = 0, hi = 0;
    if (range.size() > 2 || !absl::SimpleAtoi(range[0], &lo) ||
        !absl::SimpleAtoi(range.back(), &hi) || lo < 0 || hi < lo || hi >= count) {
      return absl::InvalidArgumentError(
          absl::StrCat("'", part, "' is not a partition or range of partitions 0..", count - 1));
    }
    for (int p = lo; p <= hi; ++p) out.push_back(p);
  }
  return out;
}

Dispatcher::Dispatcher(JourneyStore& store, Publisher& publisher, const Clock& clock,
                       DispatcherOptions options, SchedulerMetrics& metrics)
    : store_(store),
      publisher_(publisher),
      clock_(clock),
      options_(std::move(options)),
      metrics_(metrics),
      loop_("dispatch", ClaimOptions{options_.tick, options_.claim_lease, options_.batch},
            [this](const std::string& token) { return PassWith(token); }) {
  partitions_ = options_.partitions;
  if (partitions_.empty()) {
    for (int p = 0; p < store_.partitions(); ++p) partitions_.push_back(p);
  }
}

void Dispatcher::Fail(DispatchFailure why, double n) {
  if (n > 0) metrics_.failures.at(why)->Increment(n);
}

absl::StatusOr<ClaimLoop::Passed> Dispatcher::DispatchClaimed(TimePoint now,
                                                              const std::string& token) {
  auto claimed = store_.ClaimDueAll(partitions_, now, options_.claim_lease, options_.batch, token);
  if (!claimed.ok()) return claimed.status();
  ClaimLoop::Passed pass;
  std::map<int, int> per_partition;
  for (const auto& c : *claimed) {
    pass.more = pass.more || ++per_partition[c.partition] == options_.batch;
  }
  if (claimed->empty()) return pass;

  Batch b;
  b.claimed = *std::move(claimed);
  Prepare(b);
  if (auto s = StoreNext(b, now); !s.ok()) return s;  // the leases run out
  Settled(b, publisher_.PublishAll(b.out), now);
  auto held = store_.Settle(b.settle, now);
  if (!held.ok()) {
    Log().warn(
        "{} claimed touchpoints not settled (their leases run out, then they are due "
        "again): {}",
        b.settle.size(), held.status().message());
    return held.status();
  }
  pass.settled = Count(b, *held, now);
  return pass;
}

void Dispatcher::Prepare(Batch& b) {
  b.settle.resize(b.claimed.size());
  for (size_t i = 0; i < b.claimed.size(); ++i) {
    const auto& c = b.claimed[i];
    Settlement& settle = b.settle[i];
    settle = Settlement{c.partition, c.id, c.token, Settlement::Kind::kDrop, "", {}};
    if (c.status != v1::TOUCHPOINT_STATUS_SCHEDULED) continue;  // cancelled, or gone
    if (!c.planned) {
      settle.kind = Settlement::Kind::kFailed;
      settle.reason = "the stored command is missing or unreadable";
      Fail(DispatchFailure::kMissing);
      Log().error("touchpoint {} failed for good: {}", c.id, settle.reason);
      continue;
    }
    const auto& tp = c.planned->touchpoint;
    const std::string topic = CommandTopic(tp.service());
    if (topic.empty()) {
      settle.kind = Settlement::Kind::kFailed;
      settle.reason = absl::StrCat("no command topic for service '", tp.service(), "'");
      Fail(DispatchFailure::kRejected);
      Log().error("touchpoint {} failed for good: {}", c.id, settle.reason);
      continue;
    }
    b.out.push_back({topic, tp.customer_id(), c.planned->payload, {}});  // keyed by customer
    b.sent.push_back(i);
  }
}

absl::Status Dispatcher::StoreNext(const Batch& b, TimePoint now) {
  // A recurring touchpoint's next occurrence is stored before this one is sent (once
  // by its id: a pass that fails and comes again stores nothing new).
  std::vector<PlannedTouchpoint> nexts;
  for (size_t i : b.sent) {
    if (auto next = NextOccurrence(*b.claimed[i].planned)) nexts.push_back(*std::move(next));
  }
  if (nexts.empty()) return absl::OkStatus();
  if (auto s = store_.ScheduleAll(nexts, now); !s.ok()) return s;
  for (const auto& n : nexts) metrics_.Count(n.touchpoint.step_id(), "planned");
  return absl::OkStatus();
}

void Dispatcher::Settled(Batch& b, const std::vector<absl::Status>& results, TimePoint now) {
  for (size_t k = 0; k < b.sent.size(); ++k) {
    const auto& c = b.claimed[b.sent[k]];
    Settlement& s = b.settle[b.sent[k]];
    const absl::Status& r = results[k];
    if (r.ok()) {
      s.kind = Settlement::Kind::kDispatched;
    } else if (absl::IsInvalidArgument(r)) {
      s.kind = Settlement::Kind::kFailed;
      s.reason = absl::StrCat("not dispatched: ", r.message());
      Fail(DispatchFailure::kRejected);
      metrics_.Count(c.planned->touchpoint.step_id(), "failed");
      Log().error("touchpoint {} failed for good: {}", c.id, r.message());
    } else {
      auto backoff = options_.retry_initial * (int64_t{1} << std::min(c.attempts, 20));
      s.kind = Settlement::Kind::kRetry;
      s.reason = std::string(r.message());
      s.retry_at = now + std::min<std::chrono::milliseconds>(backoff, options_.retry_max);
      Fail(DispatchFailure::kUnavailable);
      Log().warn("touchpoint {} not dispatched (attempt {}), again at {}: {}", c.id, c.attempts + 1,
                 FormatTime(s.retry_at), r.message());
    }
  }
}

int Dispatcher::Count(const Batch& b, const std::vector<bool>& held, TimePoint now) {
  int dispatched = 0;
  for (size_t i : b.sent) {
    if (b.settle[i].kind != Settlement::Kind::kDispatched) continue;
    if (!held[i]) {
      // Sent, but the lease ran out first: another replica may send it again (the
      // owning service's idempotency absorbs that); it is not counted here.
      Fail(DispatchFailure::kLeaseLost);
      Log().warn("touchpoint {} sent after its claim ran out", b.claimed[i].id);
      continue;
    }
    const auto& tp = b.claimed[i].planned->touchpoint;
    if (auto it = metrics_.dispatched.find(tp.service()); it != metrics_.dispatched.end()) {
      it->second->Increment();
    }
    metrics_.Count(tp.step_id(), "fired");
    metrics_.lag.Observe(std::chrono::duration<double>(now - FromProto(tp.due_at())).count());
    ++dispatched;
  }
  return dispatched;
}

absl::StatusOr<ClaimLoop::Passed> Dispatcher::PassWith(const std::string& token) {
  const TimePoint now = clock_.Now();
  auto pass = DispatchClaimed(now, token);
  if (!pass.ok()) Fail(DispatchFailure::kStore);
  ReadGauges(now);
  return pass;
}

void Dispatcher::ReadGauges(TimePoint now) {
  // Once a tick (passes come faster when woken).
  const auto wall = std::chrono::steady_clock::now();
  if (wall - stats_at_ < options_.tick) return;
  stats_at_ = wall;
  if (auto stats = store_.Timers(); stats.ok()) {
    metrics_.pending.Set(static_cast<double>(stats->armed));
    const double age = stats->earliest && *stats->earliest <= now
                           ? std::chrono::duration<double>(now - *stats->earliest).count()
                           : 0.0;
    metrics_.oldest_due_age.Set(age);
  }
}

absl::StatusOr<Dispatcher::Pass> Dispatcher::DispatchDue() {
  auto passed = loop_.Pass();
  if (!passed.ok()) return passed.status();
  return Pass{passed->settled, passed->more};
}

void Dispatcher::Planned(TimePoint due) {
  if (due <= clock_.Now() + options_.tick) loop_.Ring();
}

// The tick is how often the wheel looks, not a due time: due times come from the
// clock. Woken by what was just planned due, it looks at once.
void Dispatcher::Run(const std::atomic<bool>& stop) { loop_.Run(stop); }

}  // namespace mot::scheduler
