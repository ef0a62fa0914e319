#include "app/journey_store.h"

#include <algorithm>
#include <map>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

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
// record's expire_at, then per touchpoint: id, due, tp, payload, send, step, anchor,
// exits. Returns per touchpoint 1 where the caller sends (stored DISPATCHED now, or
// found DISPATCHED and marked), else 0.
const RedisScript& ScheduleScript() {
  static const RedisScript s(std::string(kTimerLua) + kExtendLua + R"(
local out, armed, listed = {}, {}, {}
for i = 4, #KEYS do
  local b = 5 + (i - 4) * 8
  local id, due, send = ARGV[b + 1], ARGV[b + 2], ARGV[b + 5]
  -- A stored record has a status: set it only on a new one (one call, not a read and a write).
  local status = send == '1' and ARGV[3] or ARGV[1]
  if redis.call('HSETNX', KEYS[i], 'status', status) == 0 then
    out[#out + 1] = (send == '1' and redis.call('HGET', KEYS[i], 'status') == ARGV[3]) and 1 or 0
  else
    -- One write of the rest; empty anchor and exits are not stored.
    local fields = {'tp', ARGV[b + 3], 'step', ARGV[b + 6]}
    if ARGV[b + 7] ~= '' then fields[#fields + 1] = 'anchor'; fields[#fields + 1] = ARGV[b + 7] end
    if ARGV[b + 8] ~= ',' then fields[#fields + 1] = 'exits'; fields[#fields + 1] = ARGV[b + 8] end
    if send == '1' then
      fields[#fields + 1] = 'updated'
      fields[#fields + 1] = ARGV[4]
      redis.call('HSET', KEYS[i], unpack(fields))
      redis.call('PEXPIREAT', KEYS[i], ARGV[5])
      out[#out + 1] = 1
    else
      fields[#fields + 1] = 'payload'
      fields[#fields + 1] = ARGV[b + 4]
      redis.call('HSET', KEYS[i], unpack(fields))
      armed[#armed + 1] = due
      armed[#armed + 1] = id
      out[#out + 1] = 0
    end
    listed[#listed + 1] = due
    listed[#listed + 1] = id
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

// A customer's journey changed by an event: scheduled touchpoints whose exits list
// the event type are cancelled; those anchored on the moved date whose step is
// listed move. KEYS journey, due, claims; ARGV tp key prefix, event type, reason,
// anchor, now, SCHEDULED, CANCELLED, a finished record's expire_at, then step, due
// pairs. Returns {cancelled steps}, {moved steps}.
const RedisScript& AmendScript() {
  static const RedisScript s(std::string(kTimerLua) + R"(
local moves = {}
for i = 9, #ARGV, 2 do moves[ARGV[i]] = ARGV[i + 1] end
local cancelled, moved, gone = {}, {}, {}
local exit = ',' .. ARGV[2] .. ','
for _, id in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
  local key = ARGV[1] .. id
  local f = redis.call('HMGET', key, 'status', 'step', 'anchor', 'exits')
  if f[1] == ARGV[6] then
    if f[4] and string.find(f[4], exit, 1, true) then
      redis.call('HSET', key, 'status', ARGV[7], 'outcome', ARGV[3], 'updated', ARGV[5])
      redis.call('HDEL', key, 'payload', 'error')
      redis.call('PEXPIREAT', key, ARGV[8])
      gone[#gone + 1] = id
      cancelled[#cancelled + 1] = f[2] or ''
    elseif ARGV[4] ~= '' and f[3] == ARGV[4] and f[2] and moves[f[2]] then
      local old = redis.call('ZSCORE', KEYS[1], id)
      if tonumber(old) ~= tonumber(moves[f[2]]) then
        -- The new due time in the record too: a reader sees old and new together.
        redis.call('HSET', key, 'prev', old, 'due', moves[f[2]], 'outcome', ARGV[3], 'updated', ARGV[5])
        redis.call('ZADD', KEYS[1], moves[f[2]], id)
        timer_rearm(KEYS[2], KEYS[3], id, moves[f[2]])
        moved[#moved + 1] = f[2]
      end
    end
  end
end
timer_disarm_all(KEYS[2], KEYS[3], gone)
return {cancelled, moved})");
  return s;
}

// One scheduled touchpoint cancelled (ARGV due empty) or moved. KEYS tp, journey,
// due, claims; ARGV id, reason, now, SCHEDULED, CANCELLED, expire_at, due. Returns
// the status found (0: none), and acts only when it was SCHEDULED.
const RedisScript& ChangeScript() {
  static const RedisScript s(std::string(kTimerLua) + R"(
local cur = redis.call('HGET', KEYS[1], 'status')
if not cur or not redis.call('ZSCORE', KEYS[2], ARGV[1]) then return 0 end
if cur ~= ARGV[4] then return tonumber(cur) end
if ARGV[7] == '' then
  redis.call('HSET', KEYS[1], 'status', ARGV[5], 'outcome', ARGV[2], 'updated', ARGV[3])
  redis.call('HDEL', KEYS[1], 'payload', 'error')
  redis.call('PEXPIREAT', KEYS[1], ARGV[6])
  timer_disarm_all(KEYS[3], KEYS[4], {ARGV[1]})
else
  local old = redis.call('ZSCORE', KEYS[2], ARGV[1])
  redis.call('HSET', KEYS[1], 'prev', old, 'due', ARGV[7], 'outcome', ARGV[2], 'updated', ARGV[3])
  redis.call('ZADD', KEYS[2], ARGV[7], ARGV[1])
  timer_rearm(KEYS[3], KEYS[4], ARGV[1], ARGV[7])
end
return tonumber(cur))");
  return s;
}

// KEYS customer, milestones, customers, journey, birthdays; ARGV id, expire_at, n
// fields, then field, value pairs, then milestone name, at pairs.
const RedisScript& CustomerScript() {
  static const RedisScript s(std::string(kExtendLua) + R"(
local n = tonumber(ARGV[3])
if n > 0 then redis.call('HSET', KEYS[1], unpack(ARGV, 4, 3 + 2 * n)) end
if #ARGV > 3 + 2 * n then redis.call('HSET', KEYS[2], unpack(ARGV, 4 + 2 * n)) end
redis.call('SADD', KEYS[3], ARGV[1])
if redis.call('HEXISTS', KEYS[1], 'birth') == 1 then redis.call('SADD', KEYS[5], ARGV[1]) end
local j = redis.call('PEXPIRETIME', KEYS[4])
local at = math.max(tonumber(ARGV[2]), j)
extend(KEYS[1], at)
extend(KEYS[2], at)
return 1)");
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

RedisJourneyStore::Calls RedisJourneyStore::ScheduleCalls(
    const std::vector<PlannedTouchpoint>& planned, const std::vector<bool>& send_now,
    TimePoint now, std::vector<std::vector<size_t>>* order) const {
  // One script call per customer (the touchpoints of one event share one).
  std::map<std::string, std::vector<size_t>> by_customer;
  for (size_t i = 0; i < planned.size(); ++i) {
    by_customer[planned[i].touchpoint.customer_id()].push_back(i);
  }
  Calls calls;
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
      std::string exits = ",";
      for (const auto& e : tp.exit_on()) absl::StrAppend(&exits, e, ",");
      for (std::string a : {tp.id(), std::to_string(ToUnixMillis(due)), tp.SerializeAsString(),
                            planned[i].payload, std::string(send_now[i] ? "1" : "0"),
                            tp.step_id(), tp.anchor(), exits}) {
        args.push_back(std::move(a));
      }
    }
    args[1] = std::to_string(expire_at);
    calls.push_back(ScheduleScript().Call(keys, args));
    order->push_back(indexes);
  }
  return calls;
}

std::vector<bool> RedisJourneyStore::ScheduleReplies(const std::vector<RedisReply>& replies,
                                                     size_t first,
                                                     const std::vector<std::vector<size_t>>& order,
                                                     size_t count) {
  std::vector<bool> sends(count, false);
  for (size_t c = 0; c < order.size() && first + c < replies.size(); ++c) {
    const auto& codes = replies[first + c].elements;
    for (size_t k = 0; k < order[c].size() && k < codes.size(); ++k) {
      sends[order[c][k]] = codes[k].integer == 1;
    }
  }
  return sends;
}

absl::StatusOr<std::vector<bool>> RedisJourneyStore::ScheduleOrSend(
    const std::vector<PlannedTouchpoint>& planned, const std::vector<bool>& send_now,
    TimePoint now) {
  auto r = StoreSegment({}, {}, planned, send_now, now);
  if (!r.ok()) return r.status();
  return std::move(r->sends);
}

absl::StatusOr<JourneyStore::SegmentResult> RedisJourneyStore::StoreSegment(
    const std::vector<Amendment>& amendments, const std::vector<CustomerUpdate>& updates,
    const std::vector<PlannedTouchpoint>& planned, const std::vector<bool>& send_now,
    TimePoint now) {
  SegmentResult out;
  Calls calls = AmendCalls(amendments, now);
  const size_t customers_at = calls.size();
  for (auto& c : CustomerCalls(updates, now)) calls.push_back(std::move(c));
  const size_t schedule_at = calls.size();
  std::vector<std::vector<size_t>> order;
  for (auto& c : ScheduleCalls(planned, send_now, now, &order)) calls.push_back(std::move(c));
  if (calls.empty()) {
    out.sends.assign(planned.size(), false);
    return out;
  }
  auto r = redis_.Pipeline(calls);
  if (!r.ok()) return r.status();
  out.amended = AmendReplies(*r, 0, customers_at);
  out.sends = ScheduleReplies(*r, schedule_at, order, planned.size());
  return out;
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
  auto page = Page(customer_id, 0, -1);
  if (!page.ok()) return page.status();
  return std::move(page->touchpoints);
}

absl::StatusOr<JourneyPage> RedisJourneyStore::Page(const std::string& customer_id,
                                                    int64_t offset, int64_t limit) {
  const int part = layout_.PartitionOf(customer_id);
  const std::string journey = Key(part, "journey", customer_id);
  auto head = redis_.Pipeline(
      {{"ZCARD", journey},
       {"ZRANGE", journey, std::to_string(offset),
        std::to_string(limit < 0 ? -1 : offset + limit - 1), "WITHSCORES"}});
  if (!head.ok()) return head.status();
  JourneyPage page;
  page.total = (*head)[0].integer;
  const auto& ids = (*head)[1].elements;
  std::vector<std::vector<std::string>> reads;
  std::vector<int64_t> dues;
  for (size_t i = 0; i + 1 < ids.size(); i += 2) {
    reads.push_back({"HMGET", Key(part, "tp", ids[i].str), "tp", "status", "outcome", "ref",
                     "updated", "prev", "due"});
    double due = 0;
    (void)absl::SimpleAtod(ids[i + 1].str, &due);
    dues.push_back(static_cast<int64_t>(due));
  }
  if (reads.empty()) return page;
  auto replies = redis_.Pipeline(reads);
  if (!replies.ok()) return replies.status();
  for (size_t k = 0; k < replies->size(); ++k) {
    const auto& f = (*replies)[k].elements;
    v1::Touchpoint tp;
    if (f.size() != 7 || f[0].is_nil() || !tp.ParseFromString(f[0].str)) continue;  // expired
    int status = 0;
    int64_t updated = 0, prev = 0;
    if (absl::SimpleAtoi(f[1].str, &status) && v1::TouchpointStatus_IsValid(status)) {
      tp.set_status(static_cast<v1::TouchpointStatus>(status));
    }
    tp.set_outcome(f[2].str);
    tp.set_result_ref(f[3].str);
    if (absl::SimpleAtoi(f[4].str, &updated)) *tp.mutable_updated_at() = ToProto(FromUnixMillis(updated));
    // A moved one: its record's due time (read with `prev`, in one step), not the index's
    // (read a round trip earlier).
    double moved_to = 0;
    const bool moved = !f[6].is_nil() && absl::SimpleAtod(f[6].str, &moved_to);
    *tp.mutable_due_at() = ToProto(FromUnixMillis(moved ? static_cast<int64_t>(moved_to) : dues[k]));
    double p = 0;
    if (!f[5].is_nil() && absl::SimpleAtod(f[5].str, &p)) {
      prev = static_cast<int64_t>(p);
      *tp.mutable_previous_due_at() = ToProto(FromUnixMillis(prev));
    }
    page.touchpoints.push_back(std::move(tp));
  }
  return page;
}

absl::StatusOr<v1::Touchpoint> RedisJourneyStore::One(const std::string& customer_id,
                                                      const std::string& id) {
  // A journey is tens of touchpoints: read it and pick.
  auto journey = Journey(customer_id);
  if (!journey.ok()) return journey.status();
  for (auto& tp : *journey) {
    if (tp.id() == id) return std::move(tp);
  }
  return absl::NotFoundError(absl::StrCat("touchpoint_id: no such touchpoint in the customer's journey"));
}

absl::StatusOr<std::map<std::string, CustomerFacts>> RedisJourneyStore::Facts(
    const std::vector<std::string>& customers, const StageWindows& stages) {
  std::map<std::string, CustomerFacts> out;
  std::vector<std::vector<std::string>> reads;
  std::vector<std::string> order;
  for (const auto& c : customers) {
    if (!out.emplace(c, CustomerFacts{}).second) continue;
    out[c].customer_id = c;
    const int part = layout_.PartitionOf(c);
    reads.push_back({"HGETALL", Key(part, "customer", c)});
    reads.push_back({"HMGET", Key(part, "milestones", c), stages.signing_event, stages.handover_event});
    order.push_back(c);
  }
  if (reads.empty()) return out;
  auto replies = redis_.Pipeline(reads);
  if (!replies.ok()) return replies.status();
  for (size_t k = 0; k < order.size(); ++k) {
    CustomerFacts& f = out[order[k]];
    const auto& fields = (*replies)[2 * k].elements;
    for (size_t i = 0; i + 1 < fields.size(); i += 2) {
      const std::string& name = fields[i].str;
      const std::string& value = fields[i + 1].str;
      if (name == "tier") f.tier = value;
      else if (name == "segment") f.segment = value;
      else if (name == "profile") f.profile_type = value;
      else if (name == "tz") f.time_zone = value;
      else if (name == "project") f.project_id = value;
      else if (name == "unit") f.unit_id = value;
      else if (name == "birth") (void)(std::sscanf(value.c_str(), "%d-%d", &f.birth_month, &f.birth_day) == 2);
      else if (name.rfind("exit:", 0) == 0) f.exited.insert(name.substr(5));
    }
    const auto& m = (*replies)[2 * k + 1].elements;
    int64_t ms = 0;
    if (m.size() == 2 && !m[0].is_nil() && absl::SimpleAtoi(m[0].str, &ms)) f.signed_at = FromUnixMillis(ms);
    if (m.size() == 2 && !m[1].is_nil() && absl::SimpleAtoi(m[1].str, &ms)) f.handover_at = FromUnixMillis(ms);
  }
  return out;
}

RedisJourneyStore::Calls RedisJourneyStore::CustomerCalls(
    const std::vector<CustomerUpdate>& updates, TimePoint now) const {
  Calls calls;
  for (const auto& u : updates) {
    const int part = layout_.PartitionOf(u.customer_id);
    std::vector<std::string> args{u.customer_id, std::to_string(ExpireAt(now, now)),
                                  std::to_string(u.fields.size())};
    for (const auto& [k, v] : u.fields) {
      args.push_back(k);
      args.push_back(v);
    }
    for (const auto& [name, at] : u.milestones) {
      args.push_back(name);
      args.push_back(std::to_string(ToUnixMillis(at)));
    }
    calls.push_back(CustomerScript().Call(
        {Key(part, "customer", u.customer_id), Key(part, "milestones", u.customer_id),
         layout_.Prefix(part) + "customers", Key(part, "journey", u.customer_id),
         layout_.Prefix(part) + "birthdays"},
        args));
  }
  return calls;
}

absl::Status RedisJourneyStore::UpdateCustomers(const std::vector<CustomerUpdate>& updates,
                                                TimePoint now) {
  auto r = StoreSegment({}, updates, {}, {}, now);
  return r.ok() ? absl::OkStatus() : r.status();
}

absl::StatusOr<AmendResult> RedisJourneyStore::Amend(const Amendment& a, TimePoint now) {
  auto all = AmendAll({a}, now);
  if (!all.ok()) return all.status();
  return std::move(all->at(0));
}

RedisJourneyStore::Calls RedisJourneyStore::AmendCalls(const std::vector<Amendment>& all,
                                                       TimePoint now) const {
  Calls calls;
  for (const auto& a : all) {
    const int part = layout_.PartitionOf(a.customer_id);
    std::vector<std::string> args{Key(part, "tp", ""), a.event_type, a.reason, a.anchor,
                                  std::to_string(ToUnixMillis(now)),
                                  std::to_string(v1::TOUCHPOINT_STATUS_SCHEDULED),
                                  std::to_string(v1::TOUCHPOINT_STATUS_CANCELLED),
                                  std::to_string(ExpireAt(now, now))};
    for (const auto& [step, due] : a.moves) {
      args.push_back(step);
      args.push_back(std::to_string(ToUnixMillis(due)));
    }
    calls.push_back(AmendScript().Call(
        {Key(part, "journey", a.customer_id), layout_.DueKey(part), layout_.ClaimsKey(part)}, args));
  }
  return calls;
}

std::vector<AmendResult> RedisJourneyStore::AmendReplies(const std::vector<RedisReply>& replies,
                                                         size_t first, size_t count) {
  std::vector<AmendResult> out(count);
  for (size_t i = 0; i < count && first + i < replies.size(); ++i) {
    const auto& lists = replies[first + i].elements;
    if (lists.size() != 2) continue;
    for (const auto& e : lists[0].elements) out[i].cancelled_steps.push_back(e.str);
    for (const auto& e : lists[1].elements) out[i].moved_steps.push_back(e.str);
  }
  return out;
}

absl::StatusOr<std::vector<AmendResult>> RedisJourneyStore::AmendAll(
    const std::vector<Amendment>& all, TimePoint now) {
  auto r = StoreSegment(all, {}, {}, {}, now);
  if (!r.ok()) return r.status();
  return std::move(r->amended);
}

namespace {

std::string StatusName(int status) {
  std::string name = v1::TouchpointStatus_Name(static_cast<v1::TouchpointStatus>(status));
  const std::string prefix = "TOUCHPOINT_STATUS_";
  return name.rfind(prefix, 0) == 0 ? name.substr(prefix.size()) : name;
}

}  // namespace

absl::StatusOr<v1::Touchpoint> RedisJourneyStore::Cancel(const std::string& customer_id,
                                                         const std::string& id,
                                                         const std::string& reason, TimePoint now) {
  return Change(customer_id, id, reason, std::nullopt, now);
}

absl::StatusOr<v1::Touchpoint> RedisJourneyStore::Reschedule(const std::string& customer_id,
                                                             const std::string& id, TimePoint due,
                                                             const std::string& reason,
                                                             TimePoint now) {
  return Change(customer_id, id, reason, due, now);
}

absl::StatusOr<v1::Touchpoint> RedisJourneyStore::Change(const std::string& customer_id,
                                                         const std::string& id,
                                                         const std::string& reason,
                                                         std::optional<TimePoint> due,
                                                         TimePoint now) {
  const int part = layout_.PartitionOf(customer_id);
  auto r = redis_.Pipeline({ChangeScript().Call(
      {Key(part, "tp", id), Key(part, "journey", customer_id), layout_.DueKey(part),
       layout_.ClaimsKey(part)},
      {id, reason, std::to_string(ToUnixMillis(now)),
       std::to_string(v1::TOUCHPOINT_STATUS_SCHEDULED),
       std::to_string(v1::TOUCHPOINT_STATUS_CANCELLED), std::to_string(ExpireAt(now, now)),
       due ? std::to_string(ToUnixMillis(*due)) : ""})});
  if (!r.ok()) return r.status();
  const int64_t found = (*r)[0].integer;
  if (found == 0) {
    return absl::NotFoundError("touchpoint_id: no such touchpoint in the customer's journey");
  }
  if (found != v1::TOUCHPOINT_STATUS_SCHEDULED) {
    return absl::FailedPreconditionError(absl::StrCat(
        "the touchpoint is ", StatusName(static_cast<int>(found)), "; only a SCHEDULED one can change"));
  }
  return One(customer_id, id);
}

absl::StatusOr<std::pair<uint64_t, std::vector<std::string>>> RedisJourneyStore::ScanCustomers(
    int partition, uint64_t cursor, int count, bool with_birthday_only) {
  auto r = redis_.Command({"SSCAN", layout_.Prefix(partition) + (with_birthday_only ? "birthdays" : "customers"),
                           std::to_string(cursor),
                           "COUNT", std::to_string(count)});
  if (!r.ok()) return r.status();
  std::pair<uint64_t, std::vector<std::string>> out{0, {}};
  if (r->elements.size() != 2) return absl::InternalError("SSCAN: unexpected reply");
  (void)absl::SimpleAtoi(r->elements[0].str, &out.first);
  for (const auto& e : r->elements[1].elements) out.second.push_back(e.str);
  return out;
}

CustomerUpdate UpdateFrom(const Playbook& pb, const lifecycle::v1::LifecycleEvent& e) {
  CustomerUpdate u;
  u.customer_id = e.customer_id();
  if (!e.project_id().empty()) u.fields["project"] = e.project_id();
  if (!e.unit_id().empty()) u.fields["unit"] = e.unit_id();
  for (auto [attr, field] : {std::pair{"tier", "tier"}, std::pair{"profile", "profile"}}) {
    if (auto it = e.attributes().find(attr); it != e.attributes().end() && !it->second.empty()) {
      u.fields[field] = it->second;
    }
  }
  if (pb.IsJourneyExit(e.type())) u.fields["exit:" + e.type()] = std::to_string(e.occurred_at().seconds());
  const auto& stages = pb.stages();
  if (e.type() == stages.signing_event || e.type() == stages.handover_event) {
    u.milestones.emplace_back(e.type(), FromProto(e.occurred_at()));
  }
  return u;
}

CustomerUpdate UpdateFrom(const customer::v1::CustomerProfile& p) {
  CustomerFacts f;
  MergeProfile(p, &f);
  CustomerUpdate u;
  u.customer_id = p.customer_id();
  for (auto [field, value] : {std::pair{"tier", &f.tier}, std::pair{"segment", &f.segment},
                              std::pair{"profile", &f.profile_type}, std::pair{"tz", &f.time_zone}}) {
    if (!value->empty()) u.fields[field] = *value;
  }
  if (f.birth_month > 0) u.fields["birth"] = absl::StrFormat("%02d-%02d", f.birth_month, f.birth_day);
  return u;
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
