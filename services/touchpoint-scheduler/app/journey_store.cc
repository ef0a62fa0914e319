#include "app/journey_store.h"

#include <algorithm>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace mot::scheduler {
namespace {

// Keeps `key` at least until ARGV-given time `at` (never shortens it).
constexpr char kExtendLua[] = R"(
local function extend(key, at)
  local cur = redis.call('PEXPIRETIME', key)
  if cur == -1 or (cur >= 0 and cur < tonumber(at)) then redis.call('PEXPIREAT', key, at) end
end
)";

// KEYS tp, journey, due, milestones; ARGV id, due, tp, topic, key, payload, status,
// expire_at. Stores and arms once: an existing record (any status) is left alone.
const RedisScript& ScheduleScript() {
  static const RedisScript s(std::string(kExtendLua) + R"(
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], 'tp', ARGV[3], 'topic', ARGV[4], 'key', ARGV[5], 'payload', ARGV[6],
           'status', ARGV[7])
redis.call('ZADD', KEYS[2], ARGV[2], ARGV[1])
redis.call('ZADD', KEYS[3], ARGV[2], ARGV[1])
extend(KEYS[2], ARGV[8])
if redis.call('EXISTS', KEYS[4]) == 1 then extend(KEYS[4], ARGV[8]) end
return 1)");
  return s;
}

// KEYS due, claims, tp; ARGV id, token, kind, reason, at (retry: fire time; else:
// expiry of the record), status, updated. 0 when the claim is no longer held.
const RedisScript& SettleScript() {
  static const RedisScript s(std::string(kTimerLua) + R"(
if not timer_owned(KEYS[2], ARGV[1], ARGV[2]) then return 0 end
local kind = ARGV[3]
if kind == 'retry' then
  timer_rearm(KEYS[1], KEYS[2], ARGV[1], ARGV[5])
  if redis.call('EXISTS', KEYS[3]) == 1 then
    redis.call('HINCRBY', KEYS[3], 'attempts', 1)
    redis.call('HSET', KEYS[3], 'error', ARGV[4])
  end
  return 1
end
timer_disarm(KEYS[1], KEYS[2], ARGV[1])
if kind == 'drop' or redis.call('EXISTS', KEYS[3]) == 0 then return 1 end
local cur = tonumber(redis.call('HGET', KEYS[3], 'status') or '0')
if tonumber(ARGV[6]) > cur then
  redis.call('HSET', KEYS[3], 'status', ARGV[6], 'outcome', ARGV[4], 'updated', ARGV[7])
end
redis.call('HDEL', KEYS[3], 'topic', 'key', 'payload', 'error')
redis.call('PEXPIREAT', KEYS[3], ARGV[5])
return 1)");
  return s;
}

// KEYS tp; ARGV status, outcome, ref, updated, expire_at, first final status.
// Forward only; a record that is gone stays gone.
const RedisScript& AdvanceScript() {
  static const RedisScript s(R"(
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
local cur = tonumber(redis.call('HGET', KEYS[1], 'status') or '0')
if tonumber(ARGV[1]) <= cur then return 0 end
redis.call('HSET', KEYS[1], 'status', ARGV[1], 'outcome', ARGV[2], 'ref', ARGV[3], 'updated', ARGV[4])
if tonumber(ARGV[1]) >= tonumber(ARGV[6]) then redis.call('PEXPIREAT', KEYS[1], ARGV[5]) end
return 1)");
  return s;
}

// KEYS milestones, journey; ARGV name, at, expire_at.
const RedisScript& MilestoneScript() {
  static const RedisScript s(std::string(kExtendLua) + R"(
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
extend(KEYS[1], ARGV[3])
local j = redis.call('PEXPIRETIME', KEYS[2])
if j > tonumber(ARGV[3]) then redis.call('PEXPIREAT', KEYS[1], j) end
return 1)");
  return s;
}

const char* KindName(Settlement::Kind k) {
  switch (k) {
    case Settlement::Kind::kDispatched:
      return "dispatched";
    case Settlement::Kind::kFailed:
      return "failed";
    case Settlement::Kind::kRetry:
      return "retry";
    case Settlement::Kind::kDrop:
      return "drop";
  }
  return "drop";
}

}  // namespace

RedisJourneyStore::RedisJourneyStore(RedisClient& redis, JourneyStoreOptions options)
    : redis_(redis),
      layout_{options.ns, options.partitions},
      options_(options),
      timers_(redis, layout_) {}

std::string RedisJourneyStore::Key(int partition, const char* kind, const std::string& id) const {
  return absl::StrCat(layout_.Prefix(partition), kind, ":", id);
}

std::string RedisJourneyStore::TouchpointKey(const std::string& customer_id,
                                             const std::string& id) const {
  return Key(layout_.PartitionOf(customer_id), "tp", id);
}

int64_t RedisJourneyStore::ExpireAt(TimePoint at, TimePoint now) const {
  return ToUnixMillis(std::max(at, now) + options_.retention);
}

absl::Status RedisJourneyStore::Schedule(const PlannedTouchpoint& p, TimePoint now) {
  const auto& tp = p.touchpoint;
  const int part = layout_.PartitionOf(tp.customer_id());
  const TimePoint due = FromProto(tp.due_at());
  auto r = redis_.Command(ScheduleScript().Call(
      {Key(part, "tp", tp.id()), Key(part, "journey", tp.customer_id()), layout_.DueKey(part),
       Key(part, "milestones", tp.customer_id())},
      {tp.id(), std::to_string(ToUnixMillis(due)), tp.SerializeAsString(), p.topic, p.key,
       p.payload, std::to_string(v1::TOUCHPOINT_STATUS_SCHEDULED),
       std::to_string(ExpireAt(due, now))}));
  return r.ok() ? absl::OkStatus() : r.status();
}

absl::StatusOr<std::vector<ClaimedTouchpoint>> RedisJourneyStore::ClaimDue(
    int partition, TimePoint now, std::chrono::milliseconds lease, size_t limit,
    const std::string& token) {
  auto ids = timers_.Claim(partition, now, lease, limit, token);
  if (!ids.ok()) return ids.status();
  std::vector<ClaimedTouchpoint> out;
  if (ids->empty()) return out;
  std::vector<std::vector<std::string>> reads;
  reads.reserve(ids->size());
  for (const auto& id : *ids) {
    reads.push_back(
        {"HMGET", Key(partition, "tp", id), "tp", "topic", "key", "payload", "status", "attempts"});
  }
  auto replies = redis_.Pipeline(reads);
  if (!replies.ok()) return replies.status();  // the leases run out; claimed again then
  out.reserve(ids->size());
  for (size_t i = 0; i < ids->size(); ++i) {
    ClaimedTouchpoint c;
    c.partition = partition;
    c.id = (*ids)[i];
    c.token = token;
    const auto& f = (*replies)[i].elements;
    int status = 0;
    if (f.size() == 6 && absl::SimpleAtoi(f[4].str, &status) && v1::TouchpointStatus_IsValid(status)) {
      c.status = static_cast<v1::TouchpointStatus>(status);
    }
    if (f.size() == 6 && !f[5].is_nil()) (void)absl::SimpleAtoi(f[5].str, &c.attempts);
    PlannedTouchpoint p;
    if (f.size() == 6 && !f[0].is_nil() && !f[1].is_nil() && !f[3].is_nil() &&
        p.touchpoint.ParseFromString(f[0].str)) {
      p.topic = f[1].str;
      p.key = f[2].str;
      p.payload = f[3].str;
      c.planned = std::move(p);
    }
    out.push_back(std::move(c));
  }
  return out;
}

absl::StatusOr<std::vector<bool>> RedisJourneyStore::Settle(const std::vector<Settlement>& all,
                                                            TimePoint now) {
  std::vector<std::vector<std::string>> calls;
  calls.reserve(all.size());
  const std::string updated = std::to_string(ToUnixMillis(now));
  for (const auto& s : all) {
    const bool retry = s.kind == Settlement::Kind::kRetry;
    const int status = s.kind == Settlement::Kind::kFailed ? v1::TOUCHPOINT_STATUS_FAILED
                                                           : v1::TOUCHPOINT_STATUS_DISPATCHED;
    calls.push_back(SettleScript().Call(
        {layout_.DueKey(s.partition), layout_.ClaimsKey(s.partition), Key(s.partition, "tp", s.id)},
        {s.id, s.token, KindName(s.kind), s.reason,
         std::to_string(retry ? ToUnixMillis(s.retry_at) : ExpireAt(now, now)),
         std::to_string(status), updated}));
  }
  std::vector<bool> held;
  if (calls.empty()) return held;
  auto replies = redis_.Pipeline(calls);
  if (!replies.ok()) return replies.status();
  for (const auto& r : *replies) held.push_back(r.integer == 1);
  return held;
}

absl::Status RedisJourneyStore::Advance(const Outcome& o, TimePoint now) {
  const int part = layout_.PartitionOf(o.customer_id);
  auto r = redis_.Command(AdvanceScript().Call(
      {Key(part, "tp", o.touchpoint_id)},
      {std::to_string(o.status), o.summary, o.ref, std::to_string(ToUnixMillis(now)),
       std::to_string(ExpireAt(now, now)), std::to_string(v1::TOUCHPOINT_STATUS_DONE)}));
  return r.ok() ? absl::OkStatus() : r.status();
}

absl::Status RedisJourneyStore::RecordMilestone(const std::string& customer_id,
                                                const std::string& name, TimePoint at,
                                                TimePoint now) {
  const int part = layout_.PartitionOf(customer_id);
  auto r = redis_.Command(MilestoneScript().Call(
      {Key(part, "milestones", customer_id), Key(part, "journey", customer_id)},
      {name, std::to_string(ToUnixMillis(at)), std::to_string(ExpireAt(at, now))}));
  return r.ok() ? absl::OkStatus() : r.status();
}

absl::StatusOr<std::optional<TimePoint>> RedisJourneyStore::Milestone(
    const std::string& customer_id, const std::string& name) {
  auto r = redis_.Command(
      {"HGET", Key(layout_.PartitionOf(customer_id), "milestones", customer_id), name});
  if (!r.ok()) return r.status();
  int64_t ms = 0;
  if (r->is_nil() || !absl::SimpleAtoi(r->str, &ms)) return std::optional<TimePoint>();
  return std::optional<TimePoint>(FromUnixMillis(ms));
}

absl::StatusOr<std::vector<v1::Touchpoint>> RedisJourneyStore::Journey(
    const std::string& customer_id) {
  const int part = layout_.PartitionOf(customer_id);
  auto ids = redis_.Command({"ZRANGE", Key(part, "journey", customer_id), "0", "-1"});
  if (!ids.ok()) return ids.status();
  std::vector<std::vector<std::string>> reads;
  for (const auto& id : ids->elements) {
    reads.push_back({"HMGET", Key(part, "tp", id.str), "tp", "status", "outcome", "ref", "updated"});
  }
  std::vector<v1::Touchpoint> out;
  if (reads.empty()) return out;
  auto replies = redis_.Pipeline(reads);
  if (!replies.ok()) return replies.status();
  for (const auto& r : *replies) {
    const auto& f = r.elements;
    v1::Touchpoint tp;
    if (f.size() != 5 || f[0].is_nil() || !tp.ParseFromString(f[0].str)) continue;  // expired
    int status = 0;
    int64_t updated = 0;
    if (absl::SimpleAtoi(f[1].str, &status) && v1::TouchpointStatus_IsValid(status)) {
      tp.set_status(static_cast<v1::TouchpointStatus>(status));
    }
    tp.set_outcome(f[2].str);
    tp.set_result_ref(f[3].str);
    if (absl::SimpleAtoi(f[4].str, &updated)) *tp.mutable_updated_at() = ToProto(FromUnixMillis(updated));
    out.push_back(std::move(tp));
  }
  return out;
}

absl::StatusOr<TimerStats> RedisJourneyStore::Timers() {
  std::vector<std::vector<std::string>> cmds;
  for (int p = 0; p < layout_.partitions; ++p) {
    cmds.push_back({"ZCARD", layout_.DueKey(p)});
    cmds.push_back({"ZRANGE", layout_.DueKey(p), "0", "0", "WITHSCORES"});
  }
  auto replies = redis_.Pipeline(cmds);
  if (!replies.ok()) return replies.status();
  TimerStats stats;
  for (size_t i = 0; i + 1 < replies->size(); i += 2) {
    stats.armed += (*replies)[i].integer;
    const auto& head = (*replies)[i + 1].elements;
    double ms = 0;
    if (head.size() == 2 && absl::SimpleAtod(head[1].str, &ms)) {
      const TimePoint t = FromUnixMillis(static_cast<int64_t>(ms));
      if (!stats.earliest || t < *stats.earliest) stats.earliest = t;
    }
  }
  return stats;
}

}  // namespace mot::scheduler
