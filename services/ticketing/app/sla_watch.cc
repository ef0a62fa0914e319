#include "ticketing/app/sla_watch.h"

#include <chrono>
#include <optional>

#include "absl/strings/str_cat.h"
#include "mot/common/log.h"
#include "ticketing/domain/ticket_messages.h"

namespace mot::ticketing {
namespace {

std::vector<int> AllPartitions(const TimerLayout& layout) {
  std::vector<int> out;
  for (int p = 0; p < layout.partitions; ++p) out.push_back(p);
  return out;
}

// The ticket with the alerts of `review` recorded, and the messages they send.
v1::Ticket WithAlerts(const SlaPolicy& policy, const v1::Ticket& ticket, const SlaReview& review,
                      std::vector<OutMessage>* messages) {
  v1::Ticket out = ticket;
  for (const auto& a : review.raise) {
    *out.add_alerts() = a;
    for (auto& m : MessagesOfAlert(policy, out, a)) messages->push_back(std::move(m));
  }
  return out;
}

absl::Status FirstFailure(const std::vector<absl::Status>& sent) {
  for (const auto& s : sent) {
    if (!s.ok()) return s;
  }
  return absl::OkStatus();
}

}  // namespace

SlaWatch::SlaWatch(RecordStore& store, Timers& timers, IndexStore& index, Publisher& publisher,
                   const Clock& clock, const SlaPolicy& policy, ClaimOptions options,
                   TicketingMetrics& metrics)
    : records_(store),
      timers_(timers),
      index_(index),
      publisher_(publisher),
      clock_(clock),
      policy_(policy),
      metrics_(metrics),
      partitions_(AllPartitions(timers.layout())),
      loop_("sla watch", options, [this](const std::string& token) { return PassAs(token); }) {}

absl::Status SlaWatch::Watch(const std::vector<v1::Ticket>& tickets) {
  const TimePoint now = clock_.Now();
  std::vector<Timers::Timer> arm;
  bool due_now = false;
  for (const auto& t : tickets) {
    auto review = Review(policy_, t, now);
    std::optional<TimePoint> at = review.raise.empty() ? review.next : now;
    if (!at) continue;  // nothing ahead: a timer armed before finds nothing and goes
    due_now |= *at <= now;
    arm.push_back({timers_.layout().PartitionOf(t.id()), t.id(), *at});
  }
  auto s = timers_.Rearm(arm);
  if (s.ok() && due_now) loop_.Ring();
  return s;
}

void SlaWatch::Raised(const v1::Ticket& ticket, const std::vector<v1::SlaAlert>& alerts) {
  metrics_.CountAlerts(ticket, alerts);
  for (const auto& a : alerts) {
    const char* what = a.kind() == v1::SLA_ALERT_KIND_WARNING    ? "warning"
                       : a.kind() == v1::SLA_ALERT_KIND_BREACHED ? "breached"
                                                                 : "risk";
    Log().info("ticket {} sla {} milestone={} role={} level={}", ticket.id(), what, a.milestone(),
               a.role(), a.level());
  }
}

absl::StatusOr<ClaimLoop::Passed> SlaWatch::PassAs(const std::string& token) {
  const TimePoint now = clock_.Now();
  const auto& options = loop_.options();
  auto claimed = timers_.ClaimAll(partitions_, now, options.lease, options.batch, token);
  if (!claimed.ok()) return claimed.status();
  ClaimLoop::Passed passed;
  std::vector<std::pair<int, std::string>> all;
  for (size_t p = 0; p < partitions_.size(); ++p) {
    // A full batch somewhere: more may be due; the loop goes on at once.
    passed.more |= (*claimed)[p].size() == static_cast<size_t>(options.batch);
    for (auto& id : (*claimed)[p]) all.emplace_back(partitions_[p], std::move(id));
  }
  if (all.empty()) return passed;
  auto raised = SettleAll(all, token, now);
  if (!raised.ok()) return raised.status();
  passed.settled = *raised;
  return passed;
}

absl::StatusOr<int> SlaWatch::SettleAll(const std::vector<std::pair<int, std::string>>& claimed,
                                        const std::string& token, TimePoint now) {
  std::vector<std::string> ids;
  for (const auto& [_, id] : claimed) ids.push_back(id);
  auto stored = records_.GetAll(ids);
  if (!stored.ok()) return stored.status();
  // What each ticket's SLA asks for now; the alerts of all of them sent together.
  struct Item {
    v1::Ticket before, after;
    SlaReview review;
    bool gone = false;
  };
  std::vector<Item> items(claimed.size());
  std::vector<OutMessage> messages;
  for (size_t i = 0; i < claimed.size(); ++i) {
    Item& it = items[i];
    if (!(*stored)[i] || !it.before.ParseFromString(*(*stored)[i])) {
      it.gone = true;
      continue;
    }
    it.review = Review(policy_, it.before, now);
    it.after = WithAlerts(policy_, it.before, it.review, &messages);
  }
  // Sent before recorded: a crash between sends them again (the role's message once:
  // its command id is the alert's); recorded, they are never raised again.
  if (auto s = FirstFailure(publisher_.PublishAll(messages)); !s.ok()) {
    return s;  // the claims lapse and a later pass tries again
  }
  int raised = 0;
  std::vector<IndexStore::Op> ops;
  absl::Status first_error;
  for (size_t i = 0; i < claimed.size(); ++i) {
    const auto& [partition, id] = claimed[i];
    Item& it = items[i];
    std::optional<TimePoint> next = it.gone ? std::nullopt : it.review.next;
    if (!it.gone && !it.review.raise.empty()) {
      auto replaced = records_.Replace(id, *(*stored)[i], it.after.SerializeAsString());
      if (!replaced.ok()) return replaced.status();
      if (!*replaced) {  // changed meanwhile: on its own, read again
        auto n = Settle(partition, id, token, now);
        if (n.ok())
          raised += *n;
        else if (first_error.ok())
          first_error = n.status();
        continue;
      }
      for (auto& op : IndexOps(it.before, it.after)) ops.push_back(std::move(op));
      Raised(it.before, it.review.raise);
      raised += static_cast<int>(it.review.raise.size());
    }
    // Not held any more (a change rearmed it, or the lease ran out and another pass
    // took it): left to whoever holds it now.
    auto settled = timers_.Settle(partition, id, token, next);
    if (!settled.ok()) return settled.status();
  }
  if (auto s = index_.Apply(ops); !s.ok()) return s;
  if (!first_error.ok()) return first_error;
  return raised;
}

absl::StatusOr<int> SlaWatch::Settle(int partition, const std::string& id, const std::string& token,
                                     TimePoint now) {
  constexpr int kAttempts = 5;
  for (int attempt = 0; attempt < kAttempts; ++attempt) {
    auto stored = records_.Get(id);
    if (!stored.ok()) return stored.status();
    v1::Ticket ticket;
    if (!stored->has_value() || !ticket.ParseFromString(**stored)) {
      auto gone = timers_.Settle(partition, id, token, std::nullopt);
      return gone.ok() ? absl::StatusOr<int>(0) : gone.status();
    }
    const auto review = Review(policy_, ticket, now);
    if (!review.raise.empty()) {
      std::vector<OutMessage> messages;
      const v1::Ticket next = WithAlerts(policy_, ticket, review, &messages);
      if (auto s = FirstFailure(publisher_.PublishAll(messages)); !s.ok()) return s;
      auto replaced = records_.Replace(id, **stored, next.SerializeAsString());
      if (!replaced.ok()) return replaced.status();
      if (!*replaced) continue;  // changed meanwhile: review it again
      if (auto s = index_.Apply(IndexOps(ticket, next)); !s.ok()) return s;
      Raised(ticket, review.raise);
    }
    auto settled = timers_.Settle(partition, id, token, review.next);
    if (!settled.ok()) return settled.status();
    return static_cast<int>(review.raise.size());
  }
  return absl::AbortedError(absl::StrCat("ticket ", id, " kept changing"));
}

void SlaWatch::CountOpen() {
  std::vector<std::string> kinds = policy_.Kinds(), keys;
  for (const auto& kind : kinds) keys.push_back(index::Open(kind));
  auto sizes = index_.Sizes(keys, true);
  if (!sizes.ok()) return;
  for (size_t i = 0; i < kinds.size(); ++i)
    metrics_.SetOpen(kinds[i], static_cast<double>((*sizes)[i]));
}

void SlaWatch::Run(const std::atomic<bool>& stop) {
  auto counted = std::chrono::steady_clock::time_point{};
  loop_.Run(stop, [&] {
    if (std::chrono::steady_clock::now() - counted > std::chrono::seconds(10)) {
      CountOpen();
      counted = std::chrono::steady_clock::now();
    }
  });
}

}  // namespace mot::ticketing
