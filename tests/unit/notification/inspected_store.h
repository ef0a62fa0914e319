#pragma once

#include <map>
#include <mutex>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "memory_record_store.h"

namespace mot::testkit {

// A MemoryRecordStore that also serves a customer's records a page at a time, as
// RedisRecordStore does (PageByCustomer: newest first, the order at most the cursor's,
// after its skip), and shows every record it holds, for the tests that look for an
// owner's data in what is stored.
class InspectedStore : public MemoryRecordStore {
 public:
  absl::StatusOr<bool> Insert(const std::string& id, const std::string& customer_id, int64_t order,
                              const std::string& bytes) override {
    auto stored = MemoryRecordStore::Insert(id, customer_id, order, bytes);
    if (stored.ok() && *stored) {
      std::lock_guard lock(mu_);
      index_[customer_id].emplace(order, id);
      ids_.insert(id);
    }
    return stored;
  }
  absl::Status Put(const std::string& id, const std::string& bytes) override {
    {
      std::lock_guard lock(mu_);
      ids_.insert(id);
    }
    return MemoryRecordStore::Put(id, bytes);
  }
  absl::Status Erase(const std::vector<std::string>& ids) override {
    {
      std::lock_guard lock(mu_);
      for (const auto& id : ids) ids_.erase(id);
    }
    return MemoryRecordStore::Erase(ids);
  }
  absl::StatusOr<std::vector<std::pair<std::string, int64_t>>> PageByCustomer(
      const std::string& customer_id, const PageCursor& from, size_t limit) override {
    std::lock_guard lock(mu_);
    std::vector<std::pair<std::string, int64_t>> out;
    size_t skipped = 0;
    const auto& index = index_[customer_id];
    for (auto it = index.rbegin(); it != index.rend() && out.size() < limit; ++it) {
      if (it->first > from.max) continue;
      if (skipped++ < from.skip) continue;
      out.emplace_back(it->second, it->first);
    }
    return out;
  }
  // Every record held: id -> bytes.
  std::map<std::string, std::string> All() {
    std::set<std::string> ids;
    {
      std::lock_guard lock(mu_);
      ids = ids_;
    }
    std::map<std::string, std::string> out;
    for (const auto& id : ids) {
      auto got = Get(id);
      if (got.ok() && got->has_value()) out[id] = **got;
    }
    return out;
  }

 private:
  std::mutex mu_;
  std::map<std::string, std::multimap<int64_t, std::string>> index_;
  std::set<std::string> ids_;
};

}  // namespace mot::testkit
