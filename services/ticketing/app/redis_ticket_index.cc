#include "ticketing/app/redis_ticket_index.h"

#include "absl/strings/numbers.h"

namespace mot::ticketing {
namespace {

constexpr char kPrefix[] = "mot:ticketing:idx:";

std::string Key(const std::string& key) { return kPrefix + key; }

}  // namespace

absl::Status RedisIndexStore::Apply(const std::vector<Op>& ops) {
  std::vector<std::vector<std::string>> cmds;
  cmds.reserve(ops.size());
  for (const auto& op : ops) {
    switch (op.kind) {
      case Op::kZAdd:
        cmds.push_back({"ZADD", Key(op.key), std::to_string(op.n), op.member});
        break;
      case Op::kZRem:
        cmds.push_back({"ZREM", Key(op.key), op.member});
        break;
      case Op::kHIncrBy:
        cmds.push_back({"HINCRBY", Key(op.key), op.member, std::to_string(op.n)});
        break;
      case Op::kSAdd:
        cmds.push_back({"SADD", Key(op.key), op.member});
        break;
    }
  }
  if (cmds.empty()) return absl::OkStatus();
  auto r = redis_.Pipeline(cmds);
  return r.ok() ? absl::OkStatus() : r.status();
}

absl::StatusOr<std::vector<std::pair<std::string, int64_t>>> RedisIndexStore::RevRange(
    const std::string& key, int64_t max, int64_t min, size_t skip, size_t limit) {
  auto r = redis_.Command({"ZREVRANGEBYSCORE", Key(key), std::to_string(max), std::to_string(min),
                           "WITHSCORES", "LIMIT", std::to_string(skip), std::to_string(limit)});
  if (!r.ok()) return r.status();
  std::vector<std::pair<std::string, int64_t>> out;
  for (size_t i = 0; i + 1 < r->elements.size(); i += 2) {
    int64_t score = 0;
    double d = 0;
    if (absl::SimpleAtod(r->elements[i + 1].str, &d)) score = static_cast<int64_t>(d);
    out.emplace_back(r->elements[i].str, score);
  }
  return out;
}

absl::StatusOr<std::map<std::string, int64_t>> RedisIndexStore::Hash(const std::string& key) {
  auto r = redis_.Command({"HGETALL", Key(key)});
  if (!r.ok()) return r.status();
  std::map<std::string, int64_t> out;
  for (size_t i = 0; i + 1 < r->elements.size(); i += 2) {
    int64_t n = 0;
    if (absl::SimpleAtoi(r->elements[i + 1].str, &n)) out[r->elements[i].str] = n;
  }
  return out;
}

absl::StatusOr<std::vector<int64_t>> RedisIndexStore::Sizes(const std::vector<std::string>& keys,
                                                            bool sorted) {
  std::vector<std::vector<std::string>> cmds;
  for (const auto& k : keys) cmds.push_back({sorted ? "ZCARD" : "SCARD", Key(k)});
  std::vector<int64_t> out;
  if (cmds.empty()) return out;
  auto r = redis_.Pipeline(cmds);
  if (!r.ok()) return r.status();
  for (const auto& reply : *r) out.push_back(reply.integer);
  return out;
}

}  // namespace mot::ticketing
