#include "app/journey_store.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace mot::scheduler {
namespace {

constexpr char kDueKey[] = "mot:scheduler:due";

std::string K(const char* kind, const std::string& id) {
  return absl::StrCat("mot:scheduler:", kind, ":", id);
}

// Moves status forward only; KEYS[1] state hash; ARGV status, outcome, ref, updated.
constexpr char kAdvanceScript[] = R"(
local cur = tonumber(redis.call('HGET', KEYS[1], 'status') or '0')
if tonumber(ARGV[1]) > cur then
  redis.call('HSET', KEYS[1], 'status', ARGV[1], 'outcome', ARGV[2], 'ref', ARGV[3], 'updated', ARGV[4])
  return 1
end
return 0)";

absl::Status Ok(const absl::StatusOr<RedisReply>& r) { return r.ok() ? absl::OkStatus() : r.status(); }

}  // namespace

absl::Status RedisJourneyStore::Schedule(const PlannedTouchpoint& p) {
  const auto& tp = p.touchpoint;
  const std::string due = std::to_string(ToUnixMillis(FromProto(tp.due_at())));
  auto replies = redis_.Pipeline({
      {"HSET", K("cmd", tp.id()), "topic", p.topic, "key", p.key, "payload", p.payload},
      {"SET", K("tp", tp.id()), tp.SerializeAsString(), "NX"},
      {"ZADD", K("journey", tp.customer_id()), due, tp.id()},
      {"HSETNX", K("state", tp.id()), "status", std::to_string(v1::TOUCHPOINT_STATUS_SCHEDULED)},
      {"HGET", K("state", tp.id()), "status"},
  });
  if (!replies.ok()) return replies.status();
  if ((*replies)[4].str != std::to_string(v1::TOUCHPOINT_STATUS_SCHEDULED)) {
    return absl::OkStatus();  // already dispatched: a redelivered event arms nothing
  }
  return Ok(redis_.Command({"ZADD", kDueKey, due, tp.id()}));
}

absl::StatusOr<std::vector<std::string>> RedisJourneyStore::Due(TimePoint now, size_t limit) {
  auto r = redis_.Command({"ZRANGEBYSCORE", kDueKey, "-inf", std::to_string(ToUnixMillis(now)),
                           "LIMIT", "0", std::to_string(limit)});
  if (!r.ok()) return r.status();
  std::vector<std::string> ids;
  for (auto& e : r->elements) ids.push_back(std::move(e.str));
  return ids;
}

absl::StatusOr<std::optional<PlannedTouchpoint>> RedisJourneyStore::Claim(
    const std::string& id, std::chrono::milliseconds lease) {
  auto claimed = redis_.Command(
      {"SET", K("claim", id), "1", "NX", "PX", std::to_string(lease.count())});
  if (!claimed.ok()) return claimed.status();
  if (claimed->is_nil()) return std::optional<PlannedTouchpoint>();
  auto replies = redis_.Pipeline({{"HMGET", K("cmd", id), "topic", "key", "payload"},
                                  {"GET", K("tp", id)}});
  if (!replies.ok()) return replies.status();
  const auto& cmd = (*replies)[0].elements;
  PlannedTouchpoint p;
  if (cmd.size() != 3 || cmd[0].is_nil() || (*replies)[1].is_nil() ||
      !p.touchpoint.ParseFromString((*replies)[1].str)) {
    return absl::DataLossError(absl::StrCat("touchpoint ", id, " has no stored command"));
  }
  p.topic = cmd[0].str;
  p.key = cmd[1].str;
  p.payload = cmd[2].str;
  return std::optional<PlannedTouchpoint>(std::move(p));
}

absl::Status RedisJourneyStore::Dispatched(const std::string& id, TimePoint now) {
  auto advanced = Advance(Outcome{id, v1::TOUCHPOINT_STATUS_DISPATCHED, "", ""}, now);
  if (!advanced.ok()) return advanced;
  auto r = redis_.Pipeline({{"ZREM", kDueKey, id}, {"DEL", K("claim", id)}});
  return r.ok() ? absl::OkStatus() : r.status();
}

absl::Status RedisJourneyStore::Release(const std::string& id) {
  return Ok(redis_.Command({"DEL", K("claim", id)}));
}

absl::Status RedisJourneyStore::Advance(const Outcome& o, TimePoint now) {
  return Ok(redis_.Command({"EVAL", kAdvanceScript, "1", K("state", o.touchpoint_id),
                            std::to_string(o.status), o.summary, o.ref,
                            std::to_string(ToUnixMillis(now))}));
}

absl::Status RedisJourneyStore::RecordMilestone(const std::string& customer_id,
                                                const std::string& name, TimePoint at) {
  return Ok(redis_.Command({"HSET", K("milestones", customer_id), name,
                            std::to_string(ToUnixMillis(at))}));
}

absl::StatusOr<std::optional<TimePoint>> RedisJourneyStore::Milestone(
    const std::string& customer_id, const std::string& name) {
  auto r = redis_.Command({"HGET", K("milestones", customer_id), name});
  if (!r.ok()) return r.status();
  int64_t ms = 0;
  if (r->is_nil() || !absl::SimpleAtoi(r->str, &ms)) return std::optional<TimePoint>();
  return std::optional<TimePoint>(FromUnixMillis(ms));
}

absl::StatusOr<std::vector<v1::Touchpoint>> RedisJourneyStore::Journey(
    const std::string& customer_id) {
  auto ids = redis_.Command({"ZRANGE", K("journey", customer_id), "0", "-1"});
  if (!ids.ok()) return ids.status();
  std::vector<std::vector<std::string>> cmds;
  for (const auto& id : ids->elements) {
    cmds.push_back({"GET", K("tp", id.str)});
    cmds.push_back({"HMGET", K("state", id.str), "status", "outcome", "ref", "updated"});
  }
  std::vector<v1::Touchpoint> out;
  if (cmds.empty()) return out;
  auto replies = redis_.Pipeline(cmds);
  if (!replies.ok()) return replies.status();
  for (size_t i = 0; i + 1 < replies->size(); i += 2) {
    v1::Touchpoint tp;
    if ((*replies)[i].is_nil() || !tp.ParseFromString((*replies)[i].str)) continue;
    const auto& state = (*replies)[i + 1].elements;
    int status = 0;
    int64_t updated = 0;
    if (state.size() == 4 && absl::SimpleAtoi(state[0].str, &status) &&
        v1::TouchpointStatus_IsValid(status)) {
      tp.set_status(static_cast<v1::TouchpointStatus>(status));
      tp.set_outcome(state[1].str);
      tp.set_result_ref(state[2].str);
      if (absl::SimpleAtoi(state[3].str, &updated)) {
        *tp.mutable_updated_at() = ToProto(FromUnixMillis(updated));
      }
    }
    out.push_back(std::move(tp));
  }
  return out;
}

absl::StatusOr<int64_t> RedisJourneyStore::PendingTimers() {
  auto r = redis_.Command({"ZCARD", kDueKey});
  if (!r.ok()) return r.status();
  return r->integer;
}

}  // namespace mot::scheduler
