#include "touchpoint-scheduler/app/journey_scripts.h"

#include <string>

#include "mot/common/timers.h"

namespace mot::scheduler {
namespace {

// Keeps `key` at least until ARGV-given time `at` (never shortens it).
constexpr char kExtendLua[] = R"(
local function extend(key, at)
  local cur = redis.call('PEXPIRETIME', key)
  if cur == -1 or (cur >= 0 and cur < tonumber(at)) then redis.call('PEXPIREAT', key, at) end
end
)";

}  // namespace

// One customer's touchpoints, stored once each: an existing record (any status) is
// left alone. A new one is armed, or (send flag "1": due already, its command sent by
// the caller) stored DISPATCHED without its command, or (flag "2": past its lateness)
// stored SKIPPED with the reason in place of the command, never armed. KEYS journey,
// due, milestones, tp...; ARGV SCHEDULED, the journey's expire_at, DISPATCHED, now, a
// dispatched record's expire_at, SKIPPED, then per touchpoint: id, due, tp, payload
// (the reason, when skipped), send, step, anchor, exits. Returns per touchpoint 1 where
// the caller sends (stored DISPATCHED now, or found DISPATCHED and marked), else 0.
const RedisScript& ScheduleScript() {
  static const RedisScript s(std::string(kTimerLua) + kExtendLua + R"(
local out, armed, listed = {}, {}, {}
for i = 4, #KEYS do
  local b = 6 + (i - 4) * 8
  local id, due, send = ARGV[b + 1], ARGV[b + 2], ARGV[b + 5]
  -- A stored record has a status: set it only on a new one (one call, not a read and a write).
  local status = send == '1' and ARGV[3] or (send == '2' and ARGV[6] or ARGV[1])
  if redis.call('HSETNX', KEYS[i], 'status', status) == 0 then
    out[#out + 1] = (send == '1' and redis.call('HGET', KEYS[i], 'status') == ARGV[3]) and 1 or 0
  else
    -- One write of the rest; empty anchor and exits are not stored.
    local fields = {'tp', ARGV[b + 3], 'step', ARGV[b + 6]}
    if ARGV[b + 7] ~= '' then fields[#fields + 1] = 'anchor'; fields[#fields + 1] = ARGV[b + 7] end
    if ARGV[b + 8] ~= ',' then fields[#fields + 1] = 'exits'; fields[#fields + 1] = ARGV[b + 8] end
    if send ~= '0' then
      fields[#fields + 1] = 'updated'
      fields[#fields + 1] = ARGV[4]
      if send == '2' then fields[#fields + 1] = 'outcome'; fields[#fields + 1] = ARGV[b + 4] end
      redis.call('HSET', KEYS[i], unpack(fields))
      redis.call('PEXPIREAT', KEYS[i], ARGV[5])
      out[#out + 1] = send == '1' and 1 or 0
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
// the event type (every one, for event type '*') are cancelled; those anchored on the
// moved date whose step is listed move. KEYS journey, due, claims; ARGV tp key prefix, event type,
// reason, anchor, now, SCHEDULED, CANCELLED, a finished record's expire_at, then step, due pairs.
// Returns {cancelled steps}, {moved steps}.
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
    if ARGV[2] == '*' or (f[4] and string.find(f[4], exit, 1, true)) then
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

// KEYS customer, milestones, customers, journey, birthdays, forgotten; ARGV id,
// expire_at, 'forget' or '', as_of, n fields, then field, value pairs, then milestone
// name, at pairs. A forgetting erases the record and milestones, takes the customer
// off the lists and leaves the tombstone (the first one's time); a forgotten
// customer's update is written only when its as_of is later than the tombstone (a
// profile of an owner who came back), which it lifts. Returns 1 when written.
const RedisScript& CustomerScript() {
  static const RedisScript s(std::string(kExtendLua) + R"(
local tomb = redis.call('HGET', KEYS[6], ARGV[1])
if ARGV[3] == 'forget' then
  redis.call('DEL', KEYS[1], KEYS[2])
  redis.call('SREM', KEYS[3], ARGV[1])
  redis.call('SREM', KEYS[5], ARGV[1])
  if not tomb then redis.call('HSET', KEYS[6], ARGV[1], ARGV[4]) end
  return 1
end
if tomb then
  if tonumber(ARGV[4]) <= tonumber(tomb) then return 0 end
  redis.call('HDEL', KEYS[6], ARGV[1])
end
local n = tonumber(ARGV[5])
if n > 0 then redis.call('HSET', KEYS[1], unpack(ARGV, 6, 5 + 2 * n)) end
if #ARGV > 5 + 2 * n then redis.call('HSET', KEYS[2], unpack(ARGV, 6 + 2 * n)) end
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
}  // namespace mot::scheduler
