#pragma once

#include <algorithm>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include "mot/common/timers.h"

namespace mot::testkit {

// Timers in memory with RedisTimers' rules (claims with a lease and a token, settle and
// complete only by the holder, a rearm drops the claim), for hermetic unit tests of
// the loops that run on them.
class MemoryTimers : public Timers {
 public:
  explicit MemoryTimers(TimerLayout layout) : layout_(std::move(layout)) {}
  const TimerLayout& layout() const override { return layout_; }

  absl::Status Arm(const std::vector<Timer>& timers) override {
    std::lock_guard lock(mu_);
    for (const auto& t : timers) due_[t.partition][t.id] = ToUnixMillis(t.at);
    return absl::OkStatus();
  }
  absl::Status Rearm(const std::vector<Timer>& timers) override {
    std::lock_guard lock(mu_);
    for (const auto& t : timers) {
      due_[t.partition][t.id] = ToUnixMillis(t.at);
      claims_[t.partition].erase(t.id);
    }
    return absl::OkStatus();
  }
  absl::StatusOr<bool> Settle(int partition, const std::string& id, const std::string& token,
                              std::optional<TimePoint> at) override {
    std::lock_guard lock(mu_);
    if (!HeldLocked(partition, id, token)) return false;
    claims_[partition].erase(id);
    if (at) {
      due_[partition][id] = ToUnixMillis(*at);
    } else {
      due_[partition].erase(id);
    }
    return true;
  }
  absl::StatusOr<std::vector<std::vector<std::string>>> ClaimAll(
      const std::vector<int>& partitions, TimePoint now, std::chrono::milliseconds lease,
      size_t limit, const std::string& token) override {
    std::lock_guard lock(mu_);
    if (failing_) return absl::UnavailableError("timers down (MemoryTimers::Fail)");
    std::vector<std::vector<std::string>> out;
    const int64_t at = ToUnixMillis(now), until = ToUnixMillis(now + lease);
    for (int p : partitions) {
      std::vector<std::pair<int64_t, std::string>> due;  // ZRANGEBYSCORE's order
      for (const auto& [id, score] : due_[p]) {
        if (score <= at) due.emplace_back(score, id);
      }
      std::sort(due.begin(), due.end());
      if (due.size() > limit) due.resize(limit);
      std::vector<std::string> ids;
      for (auto& [score, id] : due) {
        due_[p][id] = until;
        claims_[p][id] = token;
        ids.push_back(id);
      }
      out.push_back(std::move(ids));
    }
    return out;
  }
  absl::StatusOr<int64_t> Complete(int partition, const std::vector<std::string>& ids,
                                   const std::string& token) override {
    std::lock_guard lock(mu_);
    int64_t n = 0;
    for (const auto& id : ids) {
      if (!HeldLocked(partition, id, token)) continue;
      claims_[partition].erase(id);
      due_[partition].erase(id);
      ++n;
    }
    return n;
  }
  absl::StatusOr<int64_t> Count(int partition) override {
    std::lock_guard lock(mu_);
    return static_cast<int64_t>(due_[partition].size());
  }

  // When the timer `id` fires next (claimed ones: when their lease ends), if armed.
  std::optional<TimePoint> DueAt(int partition, const std::string& id) {
    std::lock_guard lock(mu_);
    auto it = due_[partition].find(id);
    if (it == due_[partition].end()) return std::nullopt;
    return FromUnixMillis(it->second);
  }
  // Every armed timer, across partitions.
  int64_t Armed() {
    std::lock_guard lock(mu_);
    int64_t n = 0;
    for (const auto& [p, ids] : due_) n += static_cast<int64_t>(ids.size());
    return n;
  }
  // Claims fail (Unavailable) while `failing`.
  void Fail(bool failing) {
    std::lock_guard lock(mu_);
    failing_ = failing;
  }

 private:
  bool HeldLocked(int partition, const std::string& id, const std::string& token) {
    auto it = claims_[partition].find(id);
    return it != claims_[partition].end() && it->second == token;
  }

  const TimerLayout layout_;
  std::mutex mu_;
  std::map<int, std::map<std::string, int64_t>> due_;
  std::map<int, std::map<std::string, std::string>> claims_;
  bool failing_ = false;
};

}  // namespace mot::testkit
