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

}  // namespace mot
