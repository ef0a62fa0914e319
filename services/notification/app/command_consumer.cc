#include "notification/app/command_consumer.h"

#include <future>

#include "mot/common/codec.h"
#include "mot/common/ids.h"
#include "mot/common/log.h"
#include "mot/common/topics.h"
#include "mot/common/validate.h"
#include "notification/app/owner_view.h"
#include "prometheus/counter.h"
#include "prometheus/histogram.h"

namespace mot::notification {

// One command of a batch, as the stages see it.
struct CommandHandler::Item {
  size_t at;  // in batch
  v1::SendNotificationCommand cmd;
  v1::Delivery delivery;
  bool fresh = false;    // handled now: decided or tried, and recorded
  bool replace = false;  // fresh, over its own record (DEFERRED or RETRYING, now due)
  bool resume = false;   // RETRYING and due: tried again on its channel, not decided again
  bool capped = false;   // counts toward the owner's frequency cap once sent
  bool dead = false;     // failed (on every channel, or unsendable): dead-lettered once told
  const Template* tpl = nullptr;
  std::string text, subject;  // rendered, when fresh
  std::optional<customer::v1::CustomerProfile> profile;
};

// A batch between its stages.
struct CommandHandler::Batch {
  std::vector<Work>& works;
  const TimePoint now;
  std::vector<Item> items;
  std::vector<std::string> ids;
  std::map<std::string, size_t> first;             // delivery id -> its first item in this batch
  std::vector<std::pair<size_t, size_t>> repeats;  // (at, item): the same command again
  std::vector<size_t> to_look;                     // owners' messages: their profiles looked up
  std::map<std::string, std::vector<TimePoint>> recent;  // capped messages sent, by owner
  std::vector<DeferredSends::Held> held;
  std::map<Provider*, std::vector<size_t>> sends;  // what goes out, by provider
  std::vector<std::pair<Provider*, std::vector<size_t>>> groups;
  std::vector<std::vector<absl::StatusOr<std::string>>> results;  // by group
  std::vector<bool> published;
  absl::Status& status(const Item& item) { return works[item.at].status; }
};

CommandHandler::CommandHandler(const TemplateSet& templates,
                               std::map<std::string, Provider*> providers, RecordStore& store,
                               const Clock& clock, prometheus::Registry& registry,
                               Deciding deciding)
    : templates_(templates),
      providers_(std::move(providers)),
      store_(store),
      deliveries_(store),
      clock_(clock),
      deciding_(deciding),
      metrics_(registry, providers_) {
  for (const auto& [channel, provider] : providers_) {
    const double rate = deciding_.routing.retry().RateOf(channel);
    buckets_.emplace(provider, TokenBucket(rate, rate));
  }
}

CommandHandler::~CommandHandler() = default;

void CommandHandler::HandleBatch(std::vector<Work>& batch) {
  Batch b{batch, clock_.Now()};
  Decode(b);
  if (!LoadRecords(b)) return;
  Render(b);
  LoadOwners(b);
  Decide(b);
  Route(b);
  Throttle(b);
  Send(b);
  Settle(b);
  Hold(b);
  Record(b);
  Retain(b);
  Publish(b);
}

// Each command checked and named by its delivery id; the same command again in the
// batch is handled once, by the first.
void CommandHandler::Decode(Batch& b) {
  for (size_t i = 0; i < b.works.size(); ++i) {
    v1::SendNotificationCommand cmd;
    absl::Status s = DecodeMessage(b.works[i].msg, &cmd);
    if (s.ok()) {
      // An owner's message, or a staff role's (an escalation).
      s = RequireFields({{"command_id", &cmd.command_id()},
                         {"customer_id", cmd.role().empty() ? &cmd.customer_id() : &cmd.role()},
                         {"template_id", &cmd.template_id()}});
    }
    if (s.ok() && cmd.has_requested_at())
      s = CheckWithin(cmd.requested_at(), "requested_at", b.now, deciding_.times);
    if (!s.ok()) {
      b.works[i].status = s;
      continue;
    }
    std::string id = DeterministicId("dl", {cmd.command_id()});
    if (auto it = b.first.find(id); it != b.first.end()) {
      b.repeats.push_back({i, it->second});  // handled once, by the first
      continue;
    }
    b.first[id] = b.items.size();
    b.ids.push_back(id);
    Item item;
    item.at = i;
    item.cmd = std::move(cmd);
    b.items.push_back(std::move(item));
  }
}

// The records of the batch's deliveries; false (the batch again later) when Redis fails.
bool CommandHandler::LoadRecords(Batch& b) {
  auto existing = deliveries_.GetAll(b.ids);
  if (!existing.ok()) {
    for (auto& item : b.items) b.status(item) = existing.status();
    for (auto& [at, k] : b.repeats) b.works[at].status = existing.status();
    return false;
  }
  for (size_t k = 0; k < b.items.size(); ++k) {
    Item& item = b.items[k];
    if (!(*existing)[k]) {
      item.fresh = true;
      continue;
    }
    item.delivery = std::move(*(*existing)[k]);
    const auto status = item.delivery.status();
    // Held and now due: decided again (quiet hours) or tried again (a retry); else
    // only the event again.
    if ((status != v1::DELIVERY_STATUS_DEFERRED && status != v1::DELIVERY_STATUS_RETRYING) ||
        FromProto(item.delivery.deferred_until()) > b.now) {
      continue;
    }
    item.fresh = item.replace = true;
    item.resume = status == v1::DELIVERY_STATUS_RETRYING;
  }
  return true;
}

// The template rendered and the delivery started (or resumed) for each fresh item.
void CommandHandler::Render(Batch& b) {
  for (size_t k = 0; k < b.items.size(); ++k) {
    Item& item = b.items[k];
    if (!item.fresh) continue;
    item.fresh = false;
    const auto& cmd = item.cmd;
    item.tpl = templates_.Find(cmd.template_id());
    std::map<std::string, std::string> vars(cmd.variables().begin(), cmd.variables().end());
    absl::StatusOr<std::string> text =
        item.tpl == nullptr
            ? absl::InvalidArgumentError("template_id is unknown (not in the templates)")
            : notification::Render(*item.tpl, vars);
    absl::StatusOr<std::string> subject =
        text.ok() ? Subject(*item.tpl, *text, vars) : text.status();
    v1::Delivery& d = item.delivery;
    if (item.resume) {
      d.clear_status();
      d.clear_reason();
      d.clear_deferred_until();
    } else {
      d.Clear();
      d.set_id(b.ids[k]);
      d.set_customer_id(cmd.customer_id());
      d.set_role(cmd.role());
      d.set_template_id(cmd.template_id());
      d.set_channel(cmd.channel().empty() && item.tpl != nullptr ? item.tpl->channel
                                                                 : cmd.channel());
      d.set_touchpoint_id(cmd.touchpoint_id());
      d.set_category(cmd.category());
      d.set_requested_by(cmd.requested_by());
    }
    item.fresh = true;
    if (!subject.ok()) {
      // It can never be sent: FAILED with the reason (its touchpoint too), recorded and
      // told, then dead-lettered.
      d.set_status(v1::DELIVERY_STATUS_FAILED);
      d.set_reason(std::string(subject.status().message()));
      item.dead = true;
      continue;
    }
    item.text = std::move(*text);
    item.subject = std::move(*subject);
    if (cmd.role().empty()) b.to_look.push_back(k);
  }
}

// The owners' profiles and, for the capped messages decided now, what the cap's ledger
// says they were sent lately; on a failure (Redis) those items go again later.
void CommandHandler::LoadOwners(Batch& b) {
  if (b.to_look.empty()) return;
  std::vector<std::string> owners;
  std::set<std::string> capped_owners;  // of the messages decided now
  for (size_t k : b.to_look) {
    Item& item = b.items[k];
    owners.push_back(item.cmd.customer_id());
    const CategoryRule* rule = deciding_.routing.RuleFor(item.cmd.category());
    item.capped = rule != nullptr && rule->capped;
    if (item.capped && !item.resume) capped_owners.insert(item.cmd.customer_id());
  }
  auto profiles = deciding_.owners.GetAll(owners);
  absl::StatusOr<std::map<std::string, std::vector<TimePoint>>> recent =
      std::map<std::string, std::vector<TimePoint>>();
  if (profiles.ok() && !capped_owners.empty()) recent = deciding_.caps.Recent(capped_owners, b.now);
  const absl::Status looked = !profiles.ok() ? profiles.status() : recent.status();
  for (size_t j = 0; j < b.to_look.size(); ++j) {
    Item& item = b.items[b.to_look[j]];
    if (!looked.ok()) {  // Redis: the batch again later
      b.status(item) = looked;
      item.fresh = false;
      continue;
    }
    item.profile = std::move((*profiles)[j]);
  }
  if (looked.ok()) b.recent = *std::move(recent);
}

// Routing's Decide for each owner's message decided now: send (on which channels),
// defer (quiet hours) or suppress.
void CommandHandler::Decide(Batch& b) {
  for (size_t k : b.to_look) {
    Item& item = b.items[k];
    if (!item.fresh || item.resume) continue;  // resumed: its channels are on the record
    Owner owner = OwnerOf(item.profile, providers_, item.tpl != nullptr && item.tpl->personal);
    owner.capped_sent = b.recent[item.cmd.customer_id()];
    auto decision = notification::Decide(deciding_.routing, owner, item.cmd.category(),
                                         item.delivery.channel(), b.now);
    if (!decision.ok()) {
      b.status(item) = decision.status();
      item.fresh = false;
      continue;
    }
    v1::Delivery& d = item.delivery;
    switch (decision->kind) {
      case Decision::kSuppress:
        d.set_status(v1::DELIVERY_STATUS_SUPPRESSED);
        d.set_reason(decision->reason);
        break;
      case Decision::kDefer:
        d.set_status(v1::DELIVERY_STATUS_DEFERRED);
        *d.mutable_deferred_until() = ToProto(decision->at);
        b.held.push_back({d.id(), d.customer_id(), item.cmd.SerializeAsString(), decision->at});
        break;
      case Decision::kSend:
        d.set_channel(decision->channels.front());
        for (size_t c = 1; c < decision->channels.size(); ++c)
          d.add_next_channels(decision->channels[c]);
        // The batch's later capped messages for this owner count this one.
        if (item.capped) b.recent[item.cmd.customer_id()].push_back(b.now);
        break;
    }
  }
}

void CommandHandler::Apply(Batch& b, Item& item, AttemptOutcome outcome) {
  item.delivery = std::move(outcome.delivery);
  v1::Delivery& d = item.delivery;
  switch (outcome.kind) {
    case AttemptOutcome::kDelivered:
      break;
    case AttemptOutcome::kRetry:
    case AttemptOutcome::kNextChannel:
      // Held to be tried again at `at`, under its own key (its n-th hold).
      d.set_holds(d.holds() + 1);
      b.held.push_back(
          {HeldCommands::RetryKey(d), d.customer_id(), item.cmd.SerializeAsString(), outcome.at});
      break;
    case AttemptOutcome::kFailed:
      item.dead = true;
      break;
  }
}

// What goes out, by provider; a channel without one moves to the next.
void CommandHandler::Route(Batch& b) {
  for (size_t k = 0; k < b.items.size(); ++k) {
    Item& item = b.items[k];
    if (!item.fresh || item.delivery.status() != v1::DELIVERY_STATUS_UNSPECIFIED) continue;
    auto provider = providers_.find(item.delivery.channel());
    if (provider != providers_.end()) {
      b.sends[provider->second].push_back(k);
      continue;
    }
    Apply(b, item, WithoutProvider(std::move(item.delivery), b.now));
  }
}

// Over a provider's rate: held until its bucket has room for each, one after the
// other at the rate; those due within a pass of the held messages go on the next pass.
void CommandHandler::Throttle(Batch& b) {
  for (auto& [provider, ks] : b.sends) {
    TokenBucket& bucket = buckets_.at(provider);
    const auto steady = TokenBucket::Steady::now();
    const size_t taken = bucket.Take(static_cast<int>(ks.size()), steady);
    if (taken == ks.size()) continue;
    const auto first = bucket.Wait(steady);
    const double rate = deciding_.routing.retry().RateOf(b.items[ks[taken]].delivery.channel());
    for (size_t j = taken; j < ks.size(); ++j) {
      Item& item = b.items[ks[j]];
      const TimePoint at = RateLimitedAt(b.now, first, j - taken, rate, deciding_.deferred.tick());
      Apply(b, item, RateLimited(std::move(item.delivery), at));
    }
    ks.resize(taken);
  }
}

// Every provider asked at once; each answers within its own timeout.
void CommandHandler::Send(Batch& b) {
  for (auto& [provider, ks] : b.sends) {
    if (!ks.empty()) b.groups.emplace_back(provider, std::move(ks));
  }
  auto ask = [&](size_t g) {
    Provider* provider = b.groups[g].first;
    std::vector<OutgoingMessage> messages;
    for (size_t k : b.groups[g].second) {
      const Item& item = b.items[k];
      const v1::Delivery& d = item.delivery;
      messages.push_back({d.id(),
                          d.channel(),
                          d.customer_id(),
                          item.text,
                          ContactOf(item.profile, provider->ContactPoint()),
                          item.subject,
                          item.tpl->sms_code.empty() ? item.tpl->id : item.tpl->sms_code,
                          {item.cmd.variables().begin(), item.cmd.variables().end()}});
    }
    const auto asked = std::chrono::steady_clock::now();
    auto results = provider->SendAll(messages);
    metrics_.latency.at(provider)->Observe(
        std::chrono::duration<double>(std::chrono::steady_clock::now() - asked).count());
    return results;
  };
  std::vector<std::future<std::vector<absl::StatusOr<std::string>>>> asking;
  for (size_t g = 1; g < b.groups.size(); ++g)
    asking.push_back(std::async(std::launch::async, ask, g));
  if (!b.groups.empty()) b.results.push_back(ask(0));
  for (auto& f : asking) b.results.push_back(f.get());
}

// Each answer settled: delivered, tried again on the channel, the next channel or failed.
void CommandHandler::Settle(Batch& b) {
  const RetryPolicy& policy = deciding_.routing.retry();
  std::uniform_real_distribution<double> jitter(0, 1);
  for (size_t g = 0; g < b.groups.size(); ++g) {
    for (size_t j = 0; j < b.groups[g].second.size(); ++j) {
      Item& item = b.items[b.groups[g].second[j]];
      const auto& sent = b.results[g][j];
      const double random = sent.ok() ? 0 : jitter(random_);
      Apply(b, item, AfterAttempt(std::move(item.delivery), sent, policy, b.now, random));
    }
  }
}

// Held messages: kept with their timers before their records say so.
void CommandHandler::Hold(Batch& b) {
  if (b.held.empty()) return;
  auto s = deciding_.deferred.Hold(b.held);
  if (s.ok()) return;
  for (auto& item : b.items) {
    const auto status = item.delivery.status();
    if (item.fresh &&
        (status == v1::DELIVERY_STATUS_DEFERRED || status == v1::DELIVERY_STATUS_RETRYING)) {
      b.status(item) = s;
      item.fresh = false;
    }
  }
}

// The deliveries recorded (new ones in one round trip, resumed ones over their
// records) and the capped ones sent written to the cap's ledger.
void CommandHandler::Record(Batch& b) {
  std::vector<NewRecord> records;
  std::vector<size_t> recorded, replaced;
  std::vector<std::pair<std::string, std::string>> capped_sent;
  for (size_t k = 0; k < b.items.size(); ++k) {
    Item& item = b.items[k];
    if (!item.fresh || !b.status(item).ok()) continue;
    v1::Delivery& d = item.delivery;
    notification::Settle(d, b.now);
    if (item.capped && d.status() == v1::DELIVERY_STATUS_DELIVERED)
      capped_sent.emplace_back(d.customer_id(), d.id());
    if (item.replace) {
      replaced.push_back(k);
      continue;
    }
    records.push_back({d.id(), d.role().empty() ? d.customer_id() : "role:" + d.role(),
                       ToUnixMillis(b.now), d.SerializeAsString()});
    recorded.push_back(k);
  }
  absl::Status stored = deliveries_.InsertAll(records).status();
  for (size_t k : replaced) {
    if (auto s = deliveries_.Put(b.items[k].delivery.id(), b.items[k].delivery); !s.ok())
      b.status(b.items[k]) = s;
  }
  if (stored.ok() && !capped_sent.empty()) stored = deciding_.caps.Record(capped_sent, b.now);
  if (!stored.ok()) {
    // Sent but not recorded: the retry finds no record and sends again (a robot
    // takes no idempotency key; the X-Mot-Delivery-Id header lets a receiver tell).
    for (size_t k : recorded) b.status(b.items[k]) = stored;
  }
  for (size_t k : recorded) Count(b.items[k].delivery, b.status(b.items[k]));
  for (size_t k : replaced) Count(b.items[k].delivery, b.status(b.items[k]));
}

// Each settled delivery's record expires its retention after it settled; a repeat's
// again (the same time), should its first expiry have failed.
void CommandHandler::Retain(Batch& b) {
  std::vector<std::pair<std::string, int64_t>> at;
  std::vector<size_t> ks;
  for (size_t k = 0; k < b.items.size(); ++k) {
    const Item& item = b.items[k];
    const auto until = RetainedUntil(item.delivery, deciding_.retention);
    if (!b.status(item).ok() || !until) continue;
    at.emplace_back(item.delivery.id(), ToUnixMillis(*until));
    ks.push_back(k);
  }
  if (auto s = store_.ExpireAt(at); !s.ok()) {
    for (size_t k : ks) b.status(b.items[k]) = s;
  }
}

// Each event on mot.notification.v1 (a repeat's too); a delivery failed on every
// channel dead-lettered once its event is out.
void CommandHandler::Publish(Batch& b) {
  auto publish = [&](Work& w, const v1::Delivery& d) {
    v1::NotificationEvent event;
    *event.mutable_delivery() = d;
    w.status = w.out->Publish(kNotificationEventsTopic, d.customer_id(), event.SerializeAsString());
  };
  b.published.assign(b.items.size(), false);
  for (size_t k = 0; k < b.items.size(); ++k) {
    Work& w = b.works[b.items[k].at];
    if (!w.status.ok()) continue;
    publish(w, b.items[k].delivery);
    b.published[k] = w.status.ok();
    // Failed on every channel: its event is out; the command goes to the dead letters.
    if (b.published[k] && b.items[k].dead) {
      const v1::Delivery& d = b.items[k].delivery;
      w.status =
          absl::InvalidArgumentError(d.tried_size() > 0 ? EveryChannelFailed(d) : d.reason());
    }
  }
  for (auto& [at, k] : b.repeats) {
    const Work& original = b.works[b.items[k].at];
    if (b.published[k]) {
      publish(b.works[at], b.items[k].delivery);
    } else {
      b.works[at].status = absl::IsInvalidArgument(original.status)
                               ? original.status
                               : absl::AbortedError("its first copy in the batch is retried");
    }
  }
}

void CommandHandler::Count(const v1::Delivery& d, const absl::Status& recorded) {
  if (!recorded.ok()) return;
  if (d.status() == v1::DELIVERY_STATUS_DEFERRED) {
    metrics_.held.at("quiet_hours")->Increment();
  } else if (d.status() == v1::DELIVERY_STATUS_SUPPRESSED ||
             d.status() == v1::DELIVERY_STATUS_RETRYING) {
    if (auto it = metrics_.held.find(d.reason()); it != metrics_.held.end())
      it->second->Increment();
  } else {
    metrics_.For(d.channel(), d.status() == v1::DELIVERY_STATUS_DELIVERED).Increment();
  }
  Log().info("delivery {} template={} channel={} -> {} {}", d.id(), d.template_id(), d.channel(),
             v1::DeliveryStatus_Name(d.status()),
             d.provider_response().empty() ? d.reason() : d.provider_response());
}

}  // namespace mot::notification
