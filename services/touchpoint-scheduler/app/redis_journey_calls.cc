#include "touchpoint-scheduler/app/redis_journey_store.h"

// The script calls of RedisJourneyStore's ScheduleOrSend, AmendAll and
// UpdateCustomers (the arguments journey_scripts.cc documents), and what their
// replies mean.
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "touchpoint-scheduler/app/journey_scripts.h"

namespace mot::scheduler {

RedisJourneyStore::Calls RedisJourneyStore::ScheduleCalls(
    const std::vector<PlannedTouchpoint>& planned, const std::vector<bool>& send_now, TimePoint now,
    std::vector<std::vector<size_t>>* order) const {
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
    std::vector<std::string> args{std::to_string(v1::TOUCHPOINT_STATUS_SCHEDULED),
                                  "",
                                  std::to_string(v1::TOUCHPOINT_STATUS_DISPATCHED),
                                  std::to_string(ToUnixMillis(now)),
                                  std::to_string(ExpireAt(now, now)),
                                  std::to_string(v1::TOUCHPOINT_STATUS_SKIPPED)};
    int64_t expire_at = 0;
    for (size_t i : indexes) {
      const auto& tp = planned[i].touchpoint;
      const TimePoint due = FromProto(tp.due_at());
      expire_at = std::max(expire_at, ExpireAt(due, now));
      keys.push_back(Key(part, "tp", tp.id()));
      std::string exits = ",";
      for (const auto& e : tp.exit_on()) absl::StrAppend(&exits, e, ",");
      const bool skipped = tp.status() == v1::TOUCHPOINT_STATUS_SKIPPED;
      for (std::string a : {tp.id(), std::to_string(ToUnixMillis(due)), tp.SerializeAsString(),
                            skipped ? tp.outcome() : planned[i].payload,
                            std::string(skipped       ? "2"
                                        : send_now[i] ? "1"
                                                      : "0"),
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

RedisJourneyStore::Calls RedisJourneyStore::CustomerCalls(
    const std::vector<CustomerUpdate>& updates, TimePoint now) const {
  Calls calls;
  for (const auto& u : updates) {
    const int part = layout_.PartitionOf(u.customer_id);
    std::vector<std::string> args{u.customer_id, std::to_string(ExpireAt(now, now)),
                                  u.forget ? "forget" : "", std::to_string(ToUnixMillis(u.as_of)),
                                  std::to_string(u.fields.size())};
    // A forgetting carries no fields or milestones (Forgetting), and the script ignores
    // them if it did.
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
         layout_.Prefix(part) + "birthdays", layout_.Prefix(part) + "forgotten"},
        args));
  }
  return calls;
}

RedisJourneyStore::Calls RedisJourneyStore::AmendCalls(const std::vector<Amendment>& all,
                                                       TimePoint now) const {
  Calls calls;
  for (const auto& a : all) {
    const int part = layout_.PartitionOf(a.customer_id);
    std::vector<std::string> args{Key(part, "tp", ""),
                                  a.every ? "*" : a.event_type,
                                  a.reason,
                                  a.anchor,
                                  std::to_string(ToUnixMillis(now)),
                                  std::to_string(v1::TOUCHPOINT_STATUS_SCHEDULED),
                                  std::to_string(v1::TOUCHPOINT_STATUS_CANCELLED),
                                  std::to_string(ExpireAt(now, now))};
    for (const auto& [step, due] : a.moves) {
      args.push_back(step);
      args.push_back(std::to_string(ToUnixMillis(due)));
    }
    calls.push_back(AmendScript().Call(
        {Key(part, "journey", a.customer_id), layout_.DueKey(part), layout_.ClaimsKey(part)},
        args));
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

}  // namespace mot::scheduler
