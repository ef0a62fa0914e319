#pragma once

// A JourneyStore in memory with the same contract as RedisJourneyStore (store once,
// claims with owner tokens and leases, forward-only status), for hermetic tests of
// the handlers and the dispatcher.
#include <algorithm>
#include <map>
#include <mutex>

#include "app/journey_store.h"
#include "mot/common/timers.h"

namespace mot::testing {

class FakeJourneyStore : public scheduler::JourneyStore {
 public:
  explicit FakeJourneyStore(int partitions = 4) : layout_{"fake", partitions} {}
  int partitions() const override { return layout_.partitions; }

  absl::StatusOr<std::vector<bool>> ScheduleOrSend(
      const std::vector<scheduler::PlannedTouchpoint>& planned, const std::vector<bool>& send_now,
      TimePoint) override {
    std::lock_guard lock(mu_);
    if (!fail_with.ok()) return fail_with;
    std::vector<bool> sends(planned.size(), false);
    for (size_t i = 0; i < planned.size(); ++i) {
      const auto& p = planned[i];
      if (auto it = records_.find(p.touchpoint.id()); it != records_.end()) {  // stored once
        sends[i] = send_now[i] && it->second.status == scheduler::v1::TOUCHPOINT_STATUS_DISPATCHED;
        continue;
      }
      Record& r = records_[p.touchpoint.id()];
      r.planned = p;
      r.at = FromProto(p.touchpoint.due_at());
      if (send_now[i]) {
        r.status = scheduler::v1::TOUCHPOINT_STATUS_DISPATCHED;
        r.has_payload = false;
        sends[i] = true;
      } else {
        r.status = scheduler::v1::TOUCHPOINT_STATUS_SCHEDULED;
        r.armed = true;
      }
    }
    return sends;
  }

  absl::StatusOr<std::vector<scheduler::ClaimedTouchpoint>> ClaimDue(
      int partition, TimePoint now, std::chrono::milliseconds lease, size_t limit,
      const std::string& token) override {
    std::lock_guard lock(mu_);
    std::vector<std::pair<TimePoint, std::string>> due;
    for (const auto& [id, r] : records_) {
      if (r.armed && r.at <= now &&
          layout_.PartitionOf(r.planned.touchpoint.customer_id()) == partition) {
        due.emplace_back(r.at, id);
      }
    }
    std::sort(due.begin(), due.end());
    if (due.size() > limit) due.resize(limit);
    std::vector<scheduler::ClaimedTouchpoint> out;
    for (const auto& [at, id] : due) {
      Record& r = records_[id];
      r.at = now + lease;
      r.holder = token;
      scheduler::ClaimedTouchpoint c;
      c.partition = partition;
      c.id = id;
      c.token = token;
      c.status = r.status;
      c.attempts = r.attempts;
      if (r.has_payload) c.planned = r.planned;
      out.push_back(std::move(c));
    }
    return out;
  }

  absl::StatusOr<std::vector<bool>> Settle(const std::vector<scheduler::Settlement>& all,
                                           TimePoint now) override {
    using Kind = scheduler::Settlement::Kind;
    std::lock_guard lock(mu_);
    std::vector<bool> held;
    for (const auto& s : all) {
      auto it = records_.find(s.id);
      if (it == records_.end() || !it->second.armed || it->second.holder != s.token) {
        held.push_back(false);
        continue;
      }
      Record& r = it->second;
      held.push_back(true);
      r.holder.clear();
      if (s.kind == Kind::kRetry) {
        r.at = s.retry_at;
        ++r.attempts;
        continue;
      }
      r.armed = false;
      if (s.kind == Kind::kDrop) continue;
      const auto status = s.kind == Kind::kFailed ? scheduler::v1::TOUCHPOINT_STATUS_FAILED
                                                  : scheduler::v1::TOUCHPOINT_STATUS_DISPATCHED;
      if (status > r.status) {
        r.status = status;
        r.outcome = s.reason;
      }
      r.has_payload = false;
    }
    return held;
  }

  absl::Status Advance(const scheduler::Outcome& o, TimePoint) override {
    std::lock_guard lock(mu_);
    auto it = records_.find(o.touchpoint_id);
    if (it != records_.end() && o.status > it->second.status) {
      it->second.status = o.status;
      it->second.outcome = o.summary;
      it->second.ref = o.ref;
    }
    return absl::OkStatus();
  }

  absl::Status RecordMilestone(const std::string& customer, const std::string& name, TimePoint at,
                               TimePoint) override {
    std::lock_guard lock(mu_);
    milestones_[customer][name] = at;
    return absl::OkStatus();
  }

  absl::StatusOr<std::optional<TimePoint>> Milestone(const std::string& customer,
                                                     const std::string& name) override {
    std::lock_guard lock(mu_);
    auto c = milestones_.find(customer);
    if (c == milestones_.end() || !c->second.count(name)) return std::optional<TimePoint>();
    return std::optional<TimePoint>(c->second.at(name));
  }

  absl::StatusOr<std::vector<scheduler::v1::Touchpoint>> Journey(const std::string& customer) override {
    std::lock_guard lock(mu_);
    std::vector<scheduler::v1::Touchpoint> out;
    for (const auto& [id, r] : records_) {
      if (r.planned.touchpoint.customer_id() != customer) continue;
      auto tp = r.planned.touchpoint;
      tp.set_status(r.status);
      tp.set_outcome(r.outcome);
      tp.set_result_ref(r.ref);
      out.push_back(std::move(tp));
    }
    std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) {
      return FromProto(a.due_at()) < FromProto(b.due_at());
    });
    return out;
  }

  absl::StatusOr<scheduler::TimerStats> Timers() override {
    std::lock_guard lock(mu_);
    scheduler::TimerStats stats;
    for (const auto& [id, r] : records_) {
      if (!r.armed) continue;
      ++stats.armed;
      if (!stats.earliest || r.at < *stats.earliest) stats.earliest = r.at;
    }
    return stats;
  }

  absl::Status fail_with = absl::OkStatus();  // what ScheduleAll answers, when not OK

 private:
  struct Record {
    scheduler::PlannedTouchpoint planned;
    scheduler::v1::TouchpointStatus status = scheduler::v1::TOUCHPOINT_STATUS_UNSPECIFIED;
    std::string outcome, ref, holder;
    bool armed = false, has_payload = true;
    TimePoint at{};
    int attempts = 0;
  };
  std::mutex mu_;
  const TimerLayout layout_;
  std::map<std::string, Record> records_;
  std::map<std::string, std::map<std::string, TimePoint>> milestones_;
};

}  // namespace mot::testing
