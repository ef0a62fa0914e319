#include "mot/common/timers.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "mot/common/ids.h"

namespace mot {

const char kTimerLua[] = R"(
-- redis.call(cmd, key, <prefix...>, <items...>) in chunks, so that no call has more
-- arguments than Lua's stack takes.
local function timer_each(cmd, key, prefix, items)
  local i = 1
  while i <= #items do
    local args = {}
    for _, p in ipairs(prefix) do args[#args + 1] = p end
    for k = i, math.min(#items, i + 3999) do args[#args + 1] = items[k] end
    redis.call(cmd, key, unpack(args))
    i = i + 4000
  end
end
local function timer_claim(due, claims, now, until_, n, token)
  local ids = redis.call('ZRANGEBYSCORE', due, '-inf', now, 'LIMIT', 0, n)
  if #ids == 0 then return ids end
  local scored, owned = {}, {}
  for _, id in ipairs(ids) do
    scored[#scored + 1] = until_
    scored[#scored + 1] = id
    owned[#owned + 1] = id
    owned[#owned + 1] = token
  end
  timer_each('ZADD', due, {'XX'}, scored)
  timer_each('HSET', claims, {}, owned)
  return ids
end
-- The ids of `ids` that `token` holds.
local function timer_held(claims, ids, token)
  local out = {}
  if #ids == 0 then return out end
  local holders = redis.call('HMGET', claims, unpack(ids))
  for i, id in ipairs(ids) do
    if holders[i] == token then out[#out + 1] = id end
  end
  return out
end
local function timer_disarm_all(due, claims, ids)
  if #ids == 0 then return end
  timer_each('ZREM', due, {}, ids)
  timer_each('HDEL', claims, {}, ids)
end
local function timer_rearm(due, claims, id, at)
  redis.call('ZADD', due, at, id)
  redis.call('HDEL', claims, id)
end
)";

namespace {

// KEYS due, claims; ARGV now, until, n, token.
const RedisScript& ClaimScript() {
  static const RedisScript s(
      std::string(kTimerLua) +
      "return timer_claim(KEYS[1], KEYS[2], ARGV[1], ARGV[2], ARGV[3], ARGV[4])");
  return s;
}

// KEYS due, claims; ARGV token, ids...
const RedisScript& CompleteScript() {
  static const RedisScript s(std::string(kTimerLua) + R"(
local ids = {}
for i = 2, #ARGV do ids[#ids + 1] = ARGV[i] end
local held = timer_held(KEYS[2], ids, ARGV[1])
timer_disarm_all(KEYS[1], KEYS[2], held)
return #held)");
  return s;
}

// KEYS due, claims; ARGV token, id, at ("" to disarm).
const RedisScript& SettleScript() {
  static const RedisScript s(std::string(kTimerLua) + R"(
local held = timer_held(KEYS[2], {ARGV[2]}, ARGV[1])
if #held == 0 then return 0 end
if ARGV[3] == '' then
  timer_disarm_all(KEYS[1], KEYS[2], held)
else
  timer_rearm(KEYS[1], KEYS[2], ARGV[2], ARGV[3])
end
return 1)");
  return s;
}

}  // namespace

int TimerLayout::PartitionOf(std::string_view routing_key) const {
  return static_cast<int>(StableHash(routing_key) % static_cast<uint64_t>(partitions));
}

std::string TimerLayout::Prefix(int partition) const {
  return absl::StrFormat("mot:{%s.%02d}:", ns, partition);
}

RedisTimers::RedisTimers(RedisClient& redis, TimerLayout layout)
    : redis_(redis), layout_(std::move(layout)) {}

absl::Status RedisTimers::Arm(const std::vector<Timer>& timers) {
  std::vector<std::vector<std::string>> cmds;
  cmds.reserve(timers.size());
  for (const auto& t : timers) {
    cmds.push_back({"ZADD", layout_.DueKey(t.partition), std::to_string(ToUnixMillis(t.at)), t.id});
  }
  if (cmds.empty()) return absl::OkStatus();
  auto r = redis_.Pipeline(cmds);
  return r.ok() ? absl::OkStatus() : r.status();
}

absl::Status RedisTimers::Rearm(const std::vector<Timer>& timers) {
  std::vector<std::vector<std::string>> cmds;
  cmds.reserve(2 * timers.size());
  for (const auto& t : timers) {
    cmds.push_back({"ZADD", layout_.DueKey(t.partition), std::to_string(ToUnixMillis(t.at)), t.id});
    cmds.push_back({"HDEL", layout_.ClaimsKey(t.partition), t.id});
  }
  if (cmds.empty()) return absl::OkStatus();
  auto r = redis_.Pipeline(cmds);
  return r.ok() ? absl::OkStatus() : r.status();
}

absl::StatusOr<bool> RedisTimers::Settle(int partition, const std::string& id,
                                         const std::string& token, std::optional<TimePoint> at) {
  auto r = redis_.Command(
      SettleScript().Call({layout_.DueKey(partition), layout_.ClaimsKey(partition)},
                          {token, id, at ? std::to_string(ToUnixMillis(*at)) : std::string()}));
  if (!r.ok()) return r.status();
  return r->integer == 1;
}

absl::StatusOr<std::vector<std::string>> RedisTimers::Claim(int partition, TimePoint now,
                                                            std::chrono::milliseconds lease,
                                                            size_t limit,
                                                            const std::string& token) {
  auto all = ClaimAll({partition}, now, lease, limit, token);
  if (!all.ok()) return all.status();
  return std::move((*all)[0]);
}

absl::StatusOr<std::vector<std::vector<std::string>>> RedisTimers::ClaimAll(
    const std::vector<int>& partitions, TimePoint now, std::chrono::milliseconds lease,
    size_t limit, const std::string& token) {
  std::vector<std::vector<std::string>> calls;
  calls.reserve(partitions.size());
  for (int partition : partitions) {
    calls.push_back(ClaimScript().Call(
        {layout_.DueKey(partition), layout_.ClaimsKey(partition)},
        {std::to_string(ToUnixMillis(now)), std::to_string(ToUnixMillis(now + lease)),
         std::to_string(limit), token}));
  }
  auto replies = redis_.Pipeline(calls);
  if (!replies.ok()) return replies.status();
  std::vector<std::vector<std::string>> out(partitions.size());
  for (size_t i = 0; i < partitions.size(); ++i) {
    out[i].reserve((*replies)[i].elements.size());
    for (auto& e : (*replies)[i].elements) out[i].push_back(std::move(e.str));
  }
  return out;
}

absl::StatusOr<int64_t> RedisTimers::Complete(int partition, const std::vector<std::string>& ids,
                                              const std::string& token) {
  std::vector<std::string> args{token};
  args.insert(args.end(), ids.begin(), ids.end());
  auto r = redis_.Command(
      CompleteScript().Call({layout_.DueKey(partition), layout_.ClaimsKey(partition)}, args));
  if (!r.ok()) return r.status();
  return r->integer;
}

absl::StatusOr<int64_t> RedisTimers::Count(int partition) {
  auto r = redis_.Command({"ZCARD", layout_.DueKey(partition)});
  if (!r.ok()) return r.status();
  return r->integer;
}

}  // namespace mot
