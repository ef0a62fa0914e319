#pragma once

#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "mot/common/record_store.h"

namespace mot::testkit {

// A RecordStore in memory, for unit tests of the handlers.
class MemoryRecordStore : public RecordStore {
 public:
  absl::StatusOr<bool> Insert(const std::string& id, const std::string& customer_id, int64_t order,
                              const std::string& bytes) override;
  absl::Status Put(const std::string& id, const std::string& bytes) override;
  absl::StatusOr<std::optional<std::string>> Get(const std::string& id) override;
  absl::Status Erase(const std::vector<std::string>& ids) override {
    std::lock_guard lock(mu_);
    for (const auto& id : ids) records_.erase(id);
    return absl::OkStatus();
  }
  // Kept, not enforced (no clock here): ExpiresAt tells what was asked.
  absl::Status ExpireAt(const std::vector<std::pair<std::string, int64_t>>& at) override {
    std::lock_guard lock(mu_);
    for (const auto& [id, ms] : at) {
      if (ms > 0)
        expire_at_[id] = ms;
      else
        expire_at_.erase(id);
    }
    return absl::OkStatus();
  }
  std::optional<int64_t> ExpiresAt(const std::string& id) {
    std::lock_guard lock(mu_);
    auto it = expire_at_.find(id);
    return it == expire_at_.end() ? std::nullopt : std::optional<int64_t>(it->second);
  }
  absl::StatusOr<std::vector<std::string>> ListByCustomer(const std::string& customer_id,
                                                          size_t limit) override;
  absl::StatusOr<std::vector<std::string>> ListRecent(size_t limit) override;

 private:
  std::map<std::string, int64_t> expire_at_;
  std::mutex mu_;
  std::map<std::string, std::string> records_;
  std::map<std::string, std::multimap<int64_t, std::string>> by_customer_;
  std::multimap<int64_t, std::string> recent_;
};

inline absl::StatusOr<bool> MemoryRecordStore::Insert(const std::string& id,
                                                      const std::string& customer_id, int64_t order,
                                                      const std::string& bytes) {
  std::lock_guard lock(mu_);
  if (records_.count(id)) return false;
  records_[id] = bytes;
  by_customer_[customer_id].emplace(order, id);
  recent_.emplace(order, id);
  return true;
}

inline absl::Status MemoryRecordStore::Put(const std::string& id, const std::string& bytes) {
  std::lock_guard lock(mu_);
  records_[id] = bytes;
  return absl::OkStatus();
}

inline absl::StatusOr<std::optional<std::string>> MemoryRecordStore::Get(const std::string& id) {
  std::lock_guard lock(mu_);
  auto it = records_.find(id);
  if (it == records_.end()) return std::optional<std::string>();
  return std::optional<std::string>(it->second);
}

inline absl::StatusOr<std::vector<std::string>> MemoryRecordStore::ListByCustomer(
    const std::string& customer_id, size_t limit) {
  std::lock_guard lock(mu_);
  std::vector<std::string> out;
  for (const auto& [order, id] : by_customer_[customer_id]) {
    if (out.size() >= limit) break;
    out.push_back(records_[id]);
  }
  return out;
}

inline absl::StatusOr<std::vector<std::string>> MemoryRecordStore::ListRecent(size_t limit) {
  std::lock_guard lock(mu_);
  std::vector<std::string> out;
  for (auto it = recent_.rbegin(); it != recent_.rend() && out.size() < limit; ++it) {
    out.push_back(records_[it->second]);
  }
  return out;
}

}  // namespace mot::testkit
