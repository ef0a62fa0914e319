#pragma once

// A JourneyStore in memory with the same contract as RedisJourneyStore (store once,
// claims with owner tokens and leases, forward-only status), for hermetic tests of
// the handlers and the dispatcher.
#include <algorithm>
#include <cstdio>
#include <map>
#include <mutex>
#include <optional>

#include "mot/common/timers.h"
#include "touchpoint-scheduler/domain/journey_store.h"

namespace mot::testkit {

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
      if (p.touchpoint.status() == scheduler::v1::TOUCHPOINT_STATUS_SKIPPED) {
        r.status = scheduler::v1::TOUCHPOINT_STATUS_SKIPPED;
        r.outcome = p.touchpoint.outcome();
        r.has_payload = false;
      } else if (send_now[i]) {
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

  absl::StatusOr<std::optional<TimePoint>> Milestone(const std::string& customer,
                                                     const std::string& name) override {
    std::lock_guard lock(mu_);
    auto c = milestones_.find(customer);
    if (c == milestones_.end() || !c->second.count(name)) return std::optional<TimePoint>();
    return std::optional<TimePoint>(c->second.at(name));
  }

  absl::StatusOr<std::vector<scheduler::v1::Touchpoint>> Journey(
      const std::string& customer) override {
    std::lock_guard lock(mu_);
    std::vector<scheduler::v1::Touchpoint> out;
    for (const auto& [id, r] : records_) {
      if (r.planned.touchpoint.customer_id() != customer) continue;
      auto tp = r.planned.touchpoint;
      tp.set_status(r.status);
      tp.set_outcome(r.outcome);
      tp.set_result_ref(r.ref);
      *tp.mutable_due_at() = ToProto(Due(r));
      if (r.previous) *tp.mutable_previous_due_at() = ToProto(*r.previous);
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

  absl::StatusOr<std::map<std::string, scheduler::CustomerFacts>> Facts(
      const std::vector<std::string>& customers, const scheduler::StageWindows& stages) override {
    std::lock_guard lock(mu_);
    if (!fail_with.ok()) return fail_with;
    std::map<std::string, scheduler::CustomerFacts> out;
    for (const auto& c : customers) {
      auto& f = out[c];
      if (auto it = facts_.find(c); it != facts_.end()) f = it->second;
      f.customer_id = c;
      auto m = milestones_.find(c);
      if (m == milestones_.end()) continue;
      if (m->second.count(stages.signing_event)) f.signed_at = m->second.at(stages.signing_event);
      if (m->second.count(stages.handover_event))
        f.handover_at = m->second.at(stages.handover_event);
    }
    return out;
  }

  absl::StatusOr<std::map<std::string, TimePoint>> Forgotten(
      const std::vector<std::string>& customers) override {
    std::lock_guard lock(mu_);
    if (!fail_with.ok()) return fail_with;
    std::map<std::string, TimePoint> out;
    for (const auto& c : customers) {
      if (auto it = forgotten_.find(c); it != forgotten_.end()) out[c] = it->second;
    }
    return out;
  }

  absl::Status UpdateCustomers(const std::vector<scheduler::CustomerUpdate>& updates,
                               TimePoint) override {
    std::lock_guard lock(mu_);
    if (!fail_with.ok()) return fail_with;
    for (const auto& u : updates) {
      // As the Redis script: a forgetting erases and leaves a tombstone; only a later
      // profile lifts it.
      auto tomb = forgotten_.find(u.customer_id);
      if (u.forget) {
        facts_.erase(u.customer_id);
        milestones_.erase(u.customer_id);
        forgotten_.emplace(u.customer_id, u.as_of);
        continue;
      }
      if (tomb != forgotten_.end()) {
        if (u.as_of <= tomb->second) continue;
        forgotten_.erase(tomb);
      }
      auto& f = facts_[u.customer_id];
      for (const auto& [k, v] : u.fields) {
        if (k == "tier") f.tier = v;
        if (k == "segment") f.segment = v;
        if (k == "profile") f.profile_type = v;
        if (k == "tz") f.time_zone = v;
        if (k == "project") f.project_id = v;
        if (k == "unit") f.unit_id = v;
        if (k == "birth")
          (void)(std::sscanf(v.c_str(), "%d-%d", &f.birth_month, &f.birth_day) == 2);
        if (k.rfind("exit:", 0) == 0) f.exited.insert(k.substr(5));
      }
      for (const auto& [name, at] : u.milestones) milestones_[u.customer_id][name] = at;
    }
    return absl::OkStatus();
  }

  absl::StatusOr<scheduler::AmendResult> Amend(const scheduler::Amendment& a, TimePoint) override {
    std::lock_guard lock(mu_);
    if (!fail_with.ok()) return fail_with;
    scheduler::AmendResult out;
    for (auto& [id, r] : records_) {
      const auto& tp = r.planned.touchpoint;
      if (tp.customer_id() != a.customer_id ||
          r.status != scheduler::v1::TOUCHPOINT_STATUS_SCHEDULED) {
        continue;
      }
      if (a.every ||
          std::find(tp.exit_on().begin(), tp.exit_on().end(), a.event_type) != tp.exit_on().end()) {
        r.status = scheduler::v1::TOUCHPOINT_STATUS_CANCELLED;
        r.outcome = a.reason;
        r.armed = false;
        out.cancelled_steps.push_back(tp.step_id());
      } else if (!a.anchor.empty() && tp.anchor() == a.anchor && a.moves.count(tp.step_id()) &&
                 Due(r) != a.moves.at(tp.step_id())) {
        r.previous = Due(r);
        r.due = a.moves.at(tp.step_id());
        r.at = *r.due;
        r.outcome = a.reason;
        out.moved_steps.push_back(tp.step_id());
      }
    }
    return out;
  }

  absl::StatusOr<scheduler::v1::Touchpoint> Cancel(const std::string& customer,
                                                   const std::string& id, const std::string& reason,
                                                   TimePoint now) override {
    return Change(customer, id, reason, std::nullopt, now);
  }
  absl::StatusOr<scheduler::v1::Touchpoint> Reschedule(const std::string& customer,
                                                       const std::string& id, TimePoint due,
                                                       const std::string& reason,
                                                       TimePoint now) override {
    return Change(customer, id, reason, due, now);
  }

  absl::StatusOr<scheduler::JourneyPage> Page(const std::string& customer, int64_t offset,
                                              int64_t limit) override {
    auto all = Journey(customer);
    if (!all.ok()) return all.status();
    scheduler::JourneyPage page;
    page.total = static_cast<int64_t>(all->size());
    for (int64_t i = offset; i < page.total && (limit < 0 || i < offset + limit); ++i) {
      page.touchpoints.push_back((*all)[i]);
    }
    return page;
  }

  absl::StatusOr<std::pair<uint64_t, std::vector<std::string>>> ScanCustomers(
      int partition, uint64_t cursor, int count, bool with_birthday_only) override {
    std::lock_guard lock(mu_);
    std::vector<std::string> ids;
    for (const auto& [c, f] : facts_) {
      if (layout_.PartitionOf(c) == partition && (!with_birthday_only || f.birth_month > 0)) {
        ids.push_back(c);
      }
    }
    std::pair<uint64_t, std::vector<std::string>> out{0, {}};
    for (uint64_t i = cursor; i < ids.size() && out.second.size() < static_cast<size_t>(count);
         ++i) {
      out.second.push_back(ids[i]);
      out.first = i + 1 < ids.size() ? i + 1 : 0;
    }
    return out;
  }

  absl::Status fail_with = absl::OkStatus();  // what ScheduleAll answers, when not OK

 private:
  struct Record {
    std::optional<TimePoint> due, previous;  // set once moved
    scheduler::PlannedTouchpoint planned;
    scheduler::v1::TouchpointStatus status = scheduler::v1::TOUCHPOINT_STATUS_UNSPECIFIED;
    std::string outcome, ref, holder;
    bool armed = false, has_payload = true;
    TimePoint at{};
    int attempts = 0;
  };
  static TimePoint Due(const Record& r) {
    return r.due ? *r.due : FromProto(r.planned.touchpoint.due_at());
  }
  absl::StatusOr<scheduler::v1::Touchpoint> Change(const std::string& customer,
                                                   const std::string& id, const std::string& reason,
                                                   std::optional<TimePoint> due, TimePoint) {
    {
      std::lock_guard lock(mu_);
      auto it = records_.find(id);
      if (it == records_.end() || it->second.planned.touchpoint.customer_id() != customer) {
        return absl::NotFoundError("touchpoint_id: no such touchpoint in the customer's journey");
      }
      Record& r = it->second;
      if (r.status != scheduler::v1::TOUCHPOINT_STATUS_SCHEDULED) {
        return absl::FailedPreconditionError("the touchpoint is not SCHEDULED");
      }
      r.outcome = reason;
      if (due) {
        r.previous = Due(r);
        r.due = *due;
        r.at = *due;
      } else {
        r.status = scheduler::v1::TOUCHPOINT_STATUS_CANCELLED;
        r.armed = false;
      }
    }
    const auto journey = Journey(customer);
    for (const auto& tp : *journey) {
      if (tp.id() == id) return tp;
    }
    return absl::NotFoundError("gone");
  }

  std::mutex mu_;
  const TimerLayout layout_;
  std::map<std::string, scheduler::CustomerFacts> facts_;
  std::map<std::string, Record> records_;
  std::map<std::string, std::map<std::string, TimePoint>> milestones_;
  std::map<std::string, TimePoint> forgotten_;  // tombstones
};

}  // namespace mot::testkit
