#include "app/journey_store.h"

#include <algorithm>
#include <map>

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

// One customer's touchpoints, stored once each: an existing record (any status) is
// left alone. A new one is armed, or (send flag "1": due already, its command sent by
// the caller) stored DISPATCHED without its command. KEYS journey, due, milestones,
// tp...; ARGV SCHEDULED, the journey's expire_at, DISPATCHED, now, a dispatched
// record's expire_at, then per touchpoint: id, due, tp, payload, send. Returns per
// touchpoint 1 where the caller sends (stored DISPATCHED now, or found DISPATCHED
// and marked), else 0.
const RedisScript& ScheduleScript() {
  static const RedisScript s(std::string(kTimerLua) + kExtendLua + R"(
local out, armed, listed = {}, {}, {}
for i = 4, #KEYS do
  local b = 5 + (i - 4) * 5
  local id, due, send = ARGV[b + 1], ARGV[b + 2], ARGV[b + 5]
  local cur = redis.call('HGET', KEYS[i], 'status')  -- a stored record has a status
  if cur then
    out[#out + 1] = (send == '1' and cur == ARGV[3]) and 1 or 0
  elseif send == '1' then
    redis.call('HSET', KEYS[i], 'tp', ARGV[b + 3], 'status', ARGV[3], 'updated', ARGV[4])
    redis.call('PEXPIREAT', KEYS[i], ARGV[5])
    listed[#listed + 1] = due
    listed[#listed + 1] = id
    out[#out + 1] = 1
  else
    redis.call('HSET', KEYS[i], 'tp', ARGV[b + 3], 'payload', ARGV[b + 4], 'status', ARGV[1])
    armed[#armed + 1] = due
    armed[#armed + 1] = id
    listed[#listed + 1] = due
    listed[#listed + 1] = id
    out[#out + 1] = 0
  end
end
if #listed > 0 then
  timer_each('ZADD', KEYS[1], {}, listed)
  if #armed > 0 then timer_each('ZADD', KEYS[2], {}, armed) end
  extend(KEYS[1], ARGV[2])
  extend(KEYS[3], ARGV[2])  -- PEXPIRETIME of a missing key is -2: left missing
end
return out)");
  return s;
}

// Claimed touchpoints of one partition, settled by their holders: 1 each where the
// claim was still held, else 0 and nothing changed. KEYS due, claims, tp...; ARGV
// updated, expire_at, DISPATCHED, FAILED, then per touchpoint: id, token, kind
// (dispatched|failed|retry|drop), reason, retry_at.
const RedisScript& SettleScript() {
  static const RedisScript s(std::string(kTimerLua) + R"(
local ids = {}
for i = 3, #KEYS do ids[#ids + 1] = ARGV[4 + (i - 3) * 5 + 1] end
local holders = redis.call('HMGET', KEYS[2], unpack(ids))
local out, gone = {}, {}
for i = 3, #KEYS do
  local b = 4 + (i - 3) * 5
  local id, token, kind, reason = ARGV[b + 1], ARGV[b + 2], ARGV[b + 3], ARGV[b + 4]
  local key = KEYS[i]
  if holders[i - 2] ~= token then
    out[#out + 1] = 0
  else
    out[#out + 1] = 1
    if kind == 'retry' then
      timer_rearm(KEYS[1], KEYS[2], id, ARGV[b + 5])
      if redis.call('EXISTS', key) == 1 then
        redis.call('HINCRBY', key, 'attempts', 1)
        redis.call('HSET', key, 'error', reason)
      end
    else
      gone[#gone + 1] = id
      local cur = kind ~= 'drop' and redis.call('HGET', key, 'status')
      if cur then  -- a stored record has a status; a record that is gone stays gone
        local status = kind == 'failed' and ARGV[4] or ARGV[3]
        if tonumber(status) > tonumber(cur) then
          redis.call('HSET', key, 'status', status, 'outcome', reason, 'updated', ARGV[1])
        end
        redis.call('HDEL', key, 'payload', 'error')
        redis.call('PEXPIREAT', key, ARGV[2])
      end
    end
  end
end
timer_disarm_all(KEYS[1], KEYS[2], gone)
return out)");
  return s;
}

// KEYS tp; ARGV status, outcome, ref, updated, expire_at, first final status.
// Forward only; a record that is gone stays gone.
const RedisScript& AdvanceScript() {
  static const RedisScript s(R"(
local cur = redis.call('HGET', KEYS[1], 'status')
if not cur then return 0 end  -- a stored record has a status
if tonumber(ARGV[1]) <= tonumber(cur) then return 0 end
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

absl::StatusOr<std::vector<bool>> RedisJourneyStore::ScheduleOrSend(
    const std::vector<PlannedTouchpoint>& planned, const std::vector<bool>& send_now,
    TimePoint now) {
  // One script call per customer (the touchpoints of one event share one).
  std::map<std::string, std::vector<size_t>> by_customer;
  for (size_t i = 0; i < planned.size(); ++i) {
    by_customer[planned[i].touchpoint.customer_id()].push_back(i);
  }
  std::vector<std::vector<std::string>> calls;
  std::vector<const std::vector<size_t>*> order;  // the touchpoints of each call
  for (const auto& [customer, indexes] : by_customer) {
    const int part = layout_.PartitionOf(customer);
    std::vector<std::string> keys{Key(part, "journey", customer), layout_.DueKey(part),
                                  Key(part, "milestones", customer)};
    std::vector<std::string> args{std::to_string(v1::TOUCHPOINT_STATUS_SCHEDULED), "",
                                  std::to_string(v1::TOUCHPOINT_STATUS_DISPATCHED),
                                  std::to_string(ToUnixMillis(now)),
                                  std::to_string(ExpireAt(now, now))};
    int64_t expire_at = 0;
    for (size_t i : indexes) {
      const auto& tp = planned[i].touchpoint;
      const TimePoint due = FromProto(tp.due_at());
      expire_at = std::max(expire_at, ExpireAt(due, now));
      keys.push_back(Key(part, "tp", tp.id()));
      for (std::string a : {tp.id(), std::to_string(ToUnixMillis(due)), tp.SerializeAsString(),
                            planned[i].payload, std::string(send_now[i] ? "1" : "0")}) {
        args.push_back(std::move(a));
      }
    }
    args[1] = std::to_string(expire_at);
    calls.push_back(ScheduleScript().Call(keys, args));
    order.push_back(&indexes);
  }
  std::vector<bool> sends(planned.size(), false);
  if (calls.empty()) return sends;
  auto r = redis_.Pipeline(calls);
  if (!r.ok()) return r.status();
  for (size_t c = 0; c < calls.size(); ++c) {
    const auto& codes = (*r)[c].elements;
    for (size_t k = 0; k < order[c]->size() && k < codes.size(); ++k) {
      sends[(*order[c])[k]] = codes[k].integer == 1;
    }
  }
  return sends;
}

absl::StatusOr<std::vector<ClaimedTouchpoint>> RedisJourneyStore::ClaimDue(
    int partition, TimePoint now, std::chrono::milliseconds lease, size_t limit,
    const std::string& token) {
  return ClaimDueAll({partition}, now, lease, limit, token);
}

absl::StatusOr<std::vector<ClaimedTouchpoint>> RedisJourneyStore::ClaimDueAll(
    const std::vector<int>& partitions, TimePoint now, std::chrono::milliseconds lease,
    size_t limit, const std::string& token) {
  auto ids = timers_.ClaimAll(partitions, now, lease, limit, token);
  if (!ids.ok()) return ids.status();
  std::vector<ClaimedTouchpoint> out;
  std::vector<std::vector<std::string>> reads;
  for (size_t k = 0; k < partitions.size(); ++k) {
    for (auto& id : (*ids)[k]) {
      ClaimedTouchpoint c;
      c.partition = partitions[k];
      c.id = std::move(id);
      c.token = token;
      reads.push_back({"HMGET", Key(c.partition, "tp", c.id), "tp", "payload", "status", "attempts"});
      out.push_back(std::move(c));
    }
  }
  if (out.empty()) return out;
  auto replies = redis_.Pipeline(reads);
  if (!replies.ok()) return replies.status();  // the leases run out; claimed again then
  for (size_t i = 0; i < out.size(); ++i) {
    ClaimedTouchpoint& c = out[i];
    const auto& f = (*replies)[i].elements;
    int status = 0;
    if (f.size() == 4 && absl::SimpleAtoi(f[2].str, &status) && v1::TouchpointStatus_IsValid(status)) {
      c.status = static_cast<v1::TouchpointStatus>(status);
    }
    if (f.size() == 4 && !f[3].is_nil()) (void)absl::SimpleAtoi(f[3].str, &c.attempts);
    PlannedTouchpoint p;
    if (f.size() == 4 && !f[0].is_nil() && !f[1].is_nil() && p.touchpoint.ParseFromString(f[0].str)) {
      p.payload = f[1].str;
      c.planned = std::move(p);
    }
  }
  return out;
}

absl::StatusOr<std::vector<bool>> RedisJourneyStore::Settle(const std::vector<Settlement>& all,
                                                            TimePoint now) {
  // One script call per partition, in one round trip.
  std::map<int, std::vector<size_t>> by_partition;
  for (size_t i = 0; i < all.size(); ++i) by_partition[all[i].partition].push_back(i);
  std::vector<std::vector<std::string>> calls;
  for (const auto& [part, items] : by_partition) {
    std::vector<std::string> keys{layout_.DueKey(part), layout_.ClaimsKey(part)};
    std::vector<std::string> args{std::to_string(ToUnixMillis(now)),
                                  std::to_string(ExpireAt(now, now)),
                                  std::to_string(v1::TOUCHPOINT_STATUS_DISPATCHED),
                                  std::to_string(v1::TOUCHPOINT_STATUS_FAILED)};
    for (size_t i : items) {
      const Settlement& s = all[i];
      keys.push_back(Key(part, "tp", s.id));
      for (std::string a : {s.id, s.token, std::string(KindName(s.kind)), s.reason,
                            std::to_string(ToUnixMillis(s.retry_at))}) {
        args.push_back(std::move(a));
      }
    }
    calls.push_back(SettleScript().Call(keys, args));
  }
  std::vector<bool> held(all.size(), false);
  if (calls.empty()) return held;
  auto replies = redis_.Pipeline(calls);
  if (!replies.ok()) return replies.status();
  size_t c = 0;
  for (const auto& [part, items] : by_partition) {
    const auto& r = (*replies)[c++].elements;
    for (size_t k = 0; k < items.size() && k < r.size(); ++k) held[items[k]] = r[k].integer == 1;
  }
  return held;
}

absl::Status RedisJourneyStore::Advance(const Outcome& o, TimePoint now) {
  return AdvanceAll({o}, now);
}

absl::Status RedisJourneyStore::AdvanceAll(const std::vector<Outcome>& outcomes, TimePoint now) {
  if (outcomes.empty()) return absl::OkStatus();
  std::vector<std::vector<std::string>> calls;
  calls.reserve(outcomes.size());
  for (const auto& o : outcomes) {
    calls.push_back(AdvanceScript().Call(
        {Key(layout_.PartitionOf(o.customer_id), "tp", o.touchpoint_id)},
        {std::to_string(o.status), o.summary, o.ref, std::to_string(ToUnixMillis(now)),
         std::to_string(ExpireAt(now, now)), std::to_string(v1::TOUCHPOINT_STATUS_DONE)}));
  }
  auto r = redis_.Pipeline(calls);
  return r.ok() ? absl::OkStatus() : r.status();
}

absl::Status RedisJourneyStore::RecordMilestone(const std::string& customer_id,
                                                const std::string& name, TimePoint at,
                                                TimePoint now) {
  return RecordMilestones({{customer_id, name, at}}, now);
}

absl::Status RedisJourneyStore::RecordMilestones(const std::vector<MilestoneRecord>& milestones,
                                                 TimePoint now) {
  if (milestones.empty()) return absl::OkStatus();
  std::vector<std::vector<std::string>> calls;
  calls.reserve(milestones.size());
  for (const auto& m : milestones) {
    const int part = layout_.PartitionOf(m.customer_id);
    calls.push_back(MilestoneScript().Call(
        {Key(part, "milestones", m.customer_id), Key(part, "journey", m.customer_id)},
        {m.name, std::to_string(ToUnixMillis(m.at)), std::to_string(ExpireAt(m.at, now))}));
  }
  auto r = redis_.Pipeline(calls);
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
