#include "notification/app/redis_cap_ledger.h"

#include <string>

namespace mot::notification {

namespace {
std::string CappedKey(const std::string& owner) { return "mot:notification:capped:" + owner; }
}  // namespace

absl::StatusOr<std::map<std::string, std::vector<TimePoint>>> RedisCapLedger::Recent(
    const std::set<std::string>& owners, TimePoint now) {
  std::vector<std::vector<std::string>> cmds;
  std::vector<std::string> order(owners.begin(), owners.end());
  const std::string since = std::to_string(ToUnixMillis(now - window_));
  for (const auto& o : order) {
    cmds.push_back({"ZRANGEBYSCORE", CappedKey(o), "(" + since, "+inf", "WITHSCORES"});
  }
  auto replies = redis_.Pipeline(cmds);
  if (!replies.ok()) return replies.status();
  std::map<std::string, std::vector<TimePoint>> out;
  for (size_t i = 0; i < order.size(); ++i) {
    auto& times = out[order[i]];
    const auto& els = (*replies)[i].elements;
    for (size_t k = 1; k < els.size(); k += 2) {
      times.push_back(FromUnixMillis(std::stoll(els[k].str)));
    }
  }
  return out;
}

absl::Status RedisCapLedger::Record(const std::vector<std::pair<std::string, std::string>>& sent,
                                    TimePoint at) {
  if (sent.empty()) return absl::OkStatus();
  std::vector<std::vector<std::string>> cmds;
  const std::string score = std::to_string(ToUnixMillis(at));
  const std::string old = std::to_string(ToUnixMillis(at - window_));
  const std::string ttl =
      std::to_string(std::chrono::duration_cast<std::chrono::seconds>(window_).count() + 86400);
  for (const auto& [owner, delivery] : sent) {
    cmds.push_back({"ZADD", CappedKey(owner), score, delivery});
    cmds.push_back({"ZREMRANGEBYSCORE", CappedKey(owner), "-inf", old});
    cmds.push_back({"EXPIRE", CappedKey(owner), ttl});
  }
  auto replies = redis_.Pipeline(cmds);
  return replies.ok() ? absl::OkStatus() : replies.status();
}

}  // namespace mot::notification
