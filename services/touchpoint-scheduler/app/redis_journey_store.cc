#include "touchpoint-scheduler/app/redis_journey_store.h"

#include <algorithm>
#include <map>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "touchpoint-scheduler/app/journey_scripts.h"

namespace mot::scheduler {
namespace {

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
      reads.push_back(
          {"HMGET", Key(c.partition, "tp", c.id), "tp", "payload", "status", "attempts"});
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
    if (f.size() == 4 && absl::SimpleAtoi(f[2].str, &status) &&
        v1::TouchpointStatus_IsValid(status)) {
      c.status = static_cast<v1::TouchpointStatus>(status);
    }
    if (f.size() == 4 && !f[3].is_nil()) (void)absl::SimpleAtoi(f[3].str, &c.attempts);
    PlannedTouchpoint p;
    if (f.size() == 4 && !f[0].is_nil() && !f[1].is_nil() &&
        p.touchpoint.ParseFromString(f[0].str)) {
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

absl::StatusOr<JourneyPage> RedisJourneyStore::Page(const std::string& customer_id, int64_t offset,
                                                    int64_t limit) {
  const int part = layout_.PartitionOf(customer_id);
  const std::string journey = Key(part, "journey", customer_id);
  auto head =
      redis_.Pipeline({{"ZCARD", journey},
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
    if (absl::SimpleAtoi(f[4].str, &updated))
      *tp.mutable_updated_at() = ToProto(FromUnixMillis(updated));
    // A moved one: its record's due time (read with `prev`, in one step), not the index's
    // (read a round trip earlier).
    double moved_to = 0;
    const bool moved = !f[6].is_nil() && absl::SimpleAtod(f[6].str, &moved_to);
    *tp.mutable_due_at() =
        ToProto(FromUnixMillis(moved ? static_cast<int64_t>(moved_to) : dues[k]));
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
  return absl::NotFoundError(
      absl::StrCat("touchpoint_id: no such touchpoint in the customer's journey"));
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
    reads.push_back(
        {"HMGET", Key(part, "milestones", c), stages.signing_event, stages.handover_event});
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
      // The customer hash's text fields, by their names there.
      static const std::map<std::string, std::string CustomerFacts::*> kText = {
          {"tier", &CustomerFacts::tier},
          {"segment", &CustomerFacts::segment},
          {"profile", &CustomerFacts::profile_type},
          {"tz", &CustomerFacts::time_zone},
          {"project", &CustomerFacts::project_id},
          {"unit", &CustomerFacts::unit_id}};
      if (auto field = kText.find(name); field != kText.end())
        f.*(field->second) = value;
      else if (name == "birth")
        (void)(std::sscanf(value.c_str(), "%d-%d", &f.birth_month, &f.birth_day) == 2);
      else if (name.rfind("exit:", 0) == 0)
        f.exited.insert(name.substr(5));
    }
    const auto& m = (*replies)[2 * k + 1].elements;
    int64_t ms = 0;
    if (m.size() == 2 && !m[0].is_nil() && absl::SimpleAtoi(m[0].str, &ms))
      f.signed_at = FromUnixMillis(ms);
    if (m.size() == 2 && !m[1].is_nil() && absl::SimpleAtoi(m[1].str, &ms))
      f.handover_at = FromUnixMillis(ms);
  }
  return out;
}

absl::StatusOr<std::map<std::string, TimePoint>> RedisJourneyStore::Forgotten(
    const std::vector<std::string>& customers) {
  // One HMGET of each partition's tombstones.
  std::map<int, std::vector<std::string>> by_partition;
  for (const auto& c : customers) by_partition[layout_.PartitionOf(c)].push_back(c);
  std::vector<std::vector<std::string>> reads;
  for (const auto& [part, ids] : by_partition) {
    std::vector<std::string> cmd{"HMGET", layout_.Prefix(part) + "forgotten"};
    cmd.insert(cmd.end(), ids.begin(), ids.end());
    reads.push_back(std::move(cmd));
  }
  std::map<std::string, TimePoint> out;
  if (reads.empty()) return out;
  auto replies = redis_.Pipeline(reads);
  if (!replies.ok()) return replies.status();
  size_t k = 0;
  for (const auto& [part, ids] : by_partition) {
    const auto& at = (*replies)[k++].elements;
    for (size_t i = 0; i < ids.size() && i < at.size(); ++i) {
      int64_t ms = 0;
      if (!at[i].is_nil() && absl::SimpleAtoi(at[i].str, &ms)) out[ids[i]] = FromUnixMillis(ms);
    }
  }
  return out;
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
    return absl::FailedPreconditionError(absl::StrCat("the touchpoint is ",
                                                      StatusName(static_cast<int>(found)),
                                                      "; only a SCHEDULED one can change"));
  }
  return One(customer_id, id);
}

absl::StatusOr<std::pair<uint64_t, std::vector<std::string>>> RedisJourneyStore::ScanCustomers(
    int partition, uint64_t cursor, int count, bool with_birthday_only) {
  auto r = redis_.Command(
      {"SSCAN", layout_.Prefix(partition) + (with_birthday_only ? "birthdays" : "customers"),
       std::to_string(cursor), "COUNT", std::to_string(count)});
  if (!r.ok()) return r.status();
  std::pair<uint64_t, std::vector<std::string>> out{0, {}};
  if (r->elements.size() != 2) return absl::InternalError("SSCAN: unexpected reply");
  (void)absl::SimpleAtoi(r->elements[0].str, &out.first);
  for (const auto& e : r->elements[1].elements) out.second.push_back(e.str);
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
