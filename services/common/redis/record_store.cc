#include "mot/common/record_store.h"

namespace mot {

absl::StatusOr<bool> RedisRecordStore::Insert(const std::string& id,
                                              const std::string& customer_id, int64_t order,
                                              const std::string& bytes) {
  const std::string score = std::to_string(order);
  // The indexes are written even when the record existed: a retry after a crash
  // between the two completes them; ZADD of an existing member changes nothing.
  auto replies = redis_.Pipeline({
      {"SET", Key(id), bytes, "NX"},
      {"ZADD", absl::StrCat("mot:", ns_, ":customer:", customer_id), score, id},
      {"ZADD", absl::StrCat("mot:", ns_, ":recent"), score, id},
  });
  if (!replies.ok()) return replies.status();
  return !(*replies)[0].is_nil();
}

absl::Status RedisRecordStore::Put(const std::string& id, const std::string& bytes) {
  auto r = redis_.Command({"SET", Key(id), bytes});
  return r.ok() ? absl::OkStatus() : r.status();
}

absl::StatusOr<std::optional<std::string>> RedisRecordStore::Get(const std::string& id) {
  auto r = redis_.Command({"GET", Key(id)});
  if (!r.ok()) return r.status();
  if (r->is_nil()) return std::optional<std::string>();
  return std::optional<std::string>(std::move(r->str));
}

absl::StatusOr<std::vector<std::string>> RedisRecordStore::Load(
    const std::vector<RedisReply>& ids) {
  std::vector<std::string> out;
  if (ids.empty()) return out;
  std::vector<std::string> mget{"MGET"};
  for (const auto& id : ids) mget.push_back(Key(id.str));
  auto r = redis_.Command(mget);
  if (!r.ok()) return r.status();
  for (auto& e : r->elements) {
    if (!e.is_nil()) out.push_back(std::move(e.str));
  }
  return out;
}

absl::StatusOr<std::vector<std::string>> RedisRecordStore::ListByCustomer(
    const std::string& customer_id, size_t limit) {
  auto r = redis_.Command({"ZRANGE", absl::StrCat("mot:", ns_, ":customer:", customer_id), "0",
                           std::to_string(static_cast<int64_t>(limit) - 1)});
  if (!r.ok()) return r.status();
  return Load(r->elements);
}

absl::StatusOr<std::vector<std::string>> RedisRecordStore::ListRecent(size_t limit) {
  auto r = redis_.Command({"ZREVRANGE", absl::StrCat("mot:", ns_, ":recent"), "0",
                           std::to_string(static_cast<int64_t>(limit) - 1)});
  if (!r.ok()) return r.status();
  return Load(r->elements);
}

absl::StatusOr<bool> MemoryRecordStore::Insert(const std::string& id,
                                               const std::string& customer_id, int64_t order,
                                               const std::string& bytes) {
  std::lock_guard lock(mu_);
  if (records_.count(id)) return false;
  records_[id] = bytes;
  by_customer_[customer_id].emplace(order, id);
  recent_.emplace(order, id);
  return true;
}

absl::Status MemoryRecordStore::Put(const std::string& id, const std::string& bytes) {
  std::lock_guard lock(mu_);
  records_[id] = bytes;
  return absl::OkStatus();
}

absl::StatusOr<std::optional<std::string>> MemoryRecordStore::Get(const std::string& id) {
  std::lock_guard lock(mu_);
  auto it = records_.find(id);
  if (it == records_.end()) return std::optional<std::string>();
  return std::optional<std::string>(it->second);
}

absl::StatusOr<std::vector<std::string>> MemoryRecordStore::ListByCustomer(
    const std::string& customer_id, size_t limit) {
  std::lock_guard lock(mu_);
  std::vector<std::string> out;
  for (const auto& [order, id] : by_customer_[customer_id]) {
    if (out.size() >= limit) break;
    out.push_back(records_[id]);
  }
  return out;
}

absl::StatusOr<std::vector<std::string>> MemoryRecordStore::ListRecent(size_t limit) {
  std::lock_guard lock(mu_);
  std::vector<std::string> out;
  for (auto it = recent_.rbegin(); it != recent_.rend() && out.size() < limit; ++it) {
    out.push_back(records_[it->second]);
  }
  return out;
}

}  // namespace mot
