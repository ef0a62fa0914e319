#include "mot/common/record_store.h"

#include "absl/strings/numbers.h"

namespace mot {

absl::StatusOr<bool> RedisRecordStore::Insert(const std::string& id, const std::string& customer_id,
                                              int64_t order, const std::string& bytes) {
  auto stored = InsertAll({NewRecord{id, customer_id, order, bytes}});
  if (!stored.ok()) return stored.status();
  return (*stored)[0];
}

absl::StatusOr<std::vector<bool>> RedisRecordStore::InsertAll(
    const std::vector<NewRecord>& records) {
  std::vector<bool> out;
  if (records.empty()) return out;
  std::vector<std::vector<std::string>> cmds;
  cmds.reserve(3 * records.size());
  for (const auto& r : records) {
    const std::string score = std::to_string(r.order);
    // The indexes are written even when the record existed: a retry after a crash
    // between the two completes them; ZADD of an existing member changes nothing.
    cmds.push_back({"SET", Key(r.id), r.bytes, "NX"});
    cmds.push_back({"ZADD", absl::StrCat("mot:", ns_, ":customer:", r.customer_id), score, r.id});
    cmds.push_back({"ZADD", absl::StrCat("mot:", ns_, ":recent"), score, r.id});
  }
  auto replies = redis_.Pipeline(cmds);
  if (!replies.ok()) return replies.status();
  for (size_t i = 0; i < records.size(); ++i) out.push_back(!(*replies)[3 * i].is_nil());
  return out;
}

absl::StatusOr<std::vector<std::optional<std::string>>> RedisRecordStore::GetAll(
    const std::vector<std::string>& ids) {
  std::vector<std::optional<std::string>> out;
  if (ids.empty()) return out;
  std::vector<std::string> mget{"MGET"};
  for (const auto& id : ids) mget.push_back(Key(id));
  auto r = redis_.Command(mget);
  if (!r.ok()) return r.status();
  for (auto& e : r->elements) {
    out.push_back(e.is_nil() ? std::nullopt : std::optional<std::string>(std::move(e.str)));
  }
  return out;
}

absl::Status RedisRecordStore::Put(const std::string& id, const std::string& bytes) {
  auto r = redis_.Command({"SET", Key(id), bytes, "KEEPTTL"});
  return r.ok() ? absl::OkStatus() : r.status();
}

absl::Status RedisRecordStore::PutAll(
    const std::vector<std::pair<std::string, std::string>>& records) {
  if (records.empty()) return absl::OkStatus();
  std::vector<std::vector<std::string>> cmds;
  for (const auto& [id, bytes] : records) cmds.push_back({"SET", Key(id), bytes, "KEEPTTL"});
  auto r = redis_.Pipeline(cmds);
  return r.ok() ? absl::OkStatus() : r.status();
}

absl::Status RedisRecordStore::Erase(const std::vector<std::string>& ids) {
  if (ids.empty()) return absl::OkStatus();
  std::vector<std::string> del = {"DEL"};
  for (const auto& id : ids) del.push_back(Key(id));
  auto r = redis_.Command(del);
  return r.ok() ? absl::OkStatus() : r.status();
}

absl::Status RedisRecordStore::ExpireAt(const std::vector<std::pair<std::string, int64_t>>& at) {
  if (at.empty()) return absl::OkStatus();
  std::vector<std::vector<std::string>> cmds;
  cmds.reserve(at.size());
  for (const auto& [id, ms] : at) {
    if (ms > 0)
      cmds.push_back({"PEXPIREAT", Key(id), std::to_string(ms)});
    else
      cmds.push_back({"PERSIST", Key(id)});
  }
  auto r = redis_.Pipeline(cmds);
  return r.ok() ? absl::OkStatus() : r.status();
}

absl::StatusOr<bool> RedisRecordStore::Replace(const std::string& id, const std::string& expected,
                                               const std::string& bytes) {
  static const RedisScript kReplace(R"(
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[2], 'KEEPTTL')
return 1)");
  auto r = redis_.Command(kReplace.Call({Key(id)}, {expected, bytes}));
  if (!r.ok()) return r.status();
  return r->integer == 1;
}

absl::StatusOr<std::optional<std::string>> RedisRecordStore::Get(const std::string& id) {
  auto got = GetAll({id});
  if (!got.ok()) return got.status();
  return std::move((*got)[0]);
}

absl::StatusOr<std::vector<std::string>> RedisRecordStore::Load(
    const std::string& index, const std::vector<RedisReply>& ids) {
  std::vector<std::string> out;
  if (ids.empty()) return out;
  std::vector<std::string> mget{"MGET"};
  for (const auto& id : ids) mget.push_back(Key(id.str));
  auto r = redis_.Command(mget);
  if (!r.ok()) return r.status();
  std::vector<std::string> gone = {"ZREM", index};
  for (size_t i = 0; i < r->elements.size() && i < ids.size(); ++i) {
    auto& e = r->elements[i];
    if (e.is_nil())
      gone.push_back(ids[i].str);  // expired: its id leaves the index
    else
      out.push_back(std::move(e.str));
  }
  // A failed clean-up is tried again by the next listing.
  if (gone.size() > 2) (void)redis_.Command(gone);
  return out;
}

absl::StatusOr<std::vector<std::string>> RedisRecordStore::ListByCustomer(
    const std::string& customer_id, size_t limit) {
  const std::string index = absl::StrCat("mot:", ns_, ":customer:", customer_id);
  auto r = redis_.Command({"ZRANGE", index, "0", std::to_string(static_cast<int64_t>(limit) - 1)});
  if (!r.ok()) return r.status();
  return Load(index, r->elements);
}

absl::StatusOr<std::vector<std::string>> RedisRecordStore::ListRecent(size_t limit) {
  const std::string index = absl::StrCat("mot:", ns_, ":recent");
  auto r =
      redis_.Command({"ZREVRANGE", index, "0", std::to_string(static_cast<int64_t>(limit) - 1)});
  if (!r.ok()) return r.status();
  return Load(index, r->elements);
}

std::optional<PageCursor> PageCursor::Parse(const std::string& token) {
  PageCursor c;
  if (token.empty()) return c;
  const size_t colon = token.find(':');
  if (colon == std::string::npos || !absl::SimpleAtoi(token.substr(0, colon), &c.max) ||
      !absl::SimpleAtoi(token.substr(colon + 1), &c.skip)) {
    return std::nullopt;
  }
  return c;
}

absl::StatusOr<std::vector<std::pair<std::string, int64_t>>> RedisRecordStore::PageByCustomer(
    const std::string& customer_id, const PageCursor& from, size_t limit) {
  auto r = redis_.Command({"ZREVRANGEBYSCORE", absl::StrCat("mot:", ns_, ":customer:", customer_id),
                           std::to_string(from.max), "-inf", "WITHSCORES", "LIMIT",
                           std::to_string(from.skip), std::to_string(limit)});
  if (!r.ok()) return r.status();
  std::vector<std::pair<std::string, int64_t>> out;
  for (size_t i = 0; i + 1 < r->elements.size(); i += 2) {
    double score = 0;
    if (!absl::SimpleAtod(r->elements[i + 1].str, &score)) {
      return absl::DataLossError("a record index holds a score that is not a number");
    }
    out.emplace_back(r->elements[i].str, static_cast<int64_t>(score));
  }
  return out;
}

}  // namespace mot
