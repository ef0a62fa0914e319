#pragma once

#include <chrono>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "notification/domain/cap_ledger.h"

namespace mot::testkit {

// The frequency cap's ledger in memory with RedisCapLedger's rules (what is older than
// the window before `now` is not counted), for hermetic unit tests of the consumer.
class MemoryCapLedger : public notification::CapLedger {
 public:
  explicit MemoryCapLedger(std::chrono::milliseconds window) : window_(window) {}
  absl::StatusOr<std::map<std::string, std::vector<TimePoint>>> Recent(
      const std::set<std::string>& owners, TimePoint now) override {
    std::lock_guard lock(mu_);
    std::map<std::string, std::vector<TimePoint>> out;
    for (const auto& o : owners) {
      auto& times = out[o];
      for (const auto& [delivery, at] : sent_[o]) {
        if (at > now - window_) times.push_back(at);
      }
    }
    return out;
  }
  absl::Status Record(const std::vector<std::pair<std::string, std::string>>& sent,
                      TimePoint at) override {
    std::lock_guard lock(mu_);
    for (const auto& [owner, delivery] : sent) sent_[owner][delivery] = at;
    return absl::OkStatus();
  }
  // How many capped messages `owner` was recorded as sent.
  size_t SentTo(const std::string& owner) {
    std::lock_guard lock(mu_);
    return sent_[owner].size();
  }

 private:
  const std::chrono::milliseconds window_;
  std::mutex mu_;
  std::map<std::string, std::map<std::string, TimePoint>> sent_;
};

}  // namespace mot::testkit
