#include "app/notification_app.h"

#include <future>

#include "absl/strings/str_join.h"
#include "absl/strings/str_cat.h"
#include "mot/common/codec.h"
#include "mot/common/validate.h"
#include "mot/lifecycle/v1/event.pb.h"
#include "mot/common/topics.h"
#include "mot/common/ids.h"
#include "mot/common/gate.h"
#include "mot/common/log.h"
#include "mot/common/runtime.h"
#include "nlohmann/json.hpp"
#include "prometheus/counter.h"
#include "prometheus/histogram.h"
#include "prometheus/registry.h"

namespace mot::notification {

namespace {
// Why a message is RETRYING, and why one FAILED after every channel.
constexpr char kProviderUnavailable[] = "provider_unavailable";
constexpr char kRateLimited[] = "rate_limited";
constexpr char kNextChannel[] = "next_channel";
constexpr char kEveryChannelFailed[] = "every_channel_failed";
}  // namespace

// Counters for every configured channel exist from the start (at 0), so rates and
// alerts work before the first failure; the hot path only looks them up.
struct CommandHandler::Metrics {
  std::map<std::string, std::pair<prometheus::Counter*, prometheus::Counter*>> by_channel;
  prometheus::Counter* unknown_channel;
  std::map<std::string, prometheus::Counter*> held;  // deferred or suppressed, by reason
  std::map<Provider*, prometheus::Histogram*> latency;  // a provider's answer, by channel

  Metrics(prometheus::Registry& registry, const std::map<std::string, Provider*>& providers) {
    auto& family = prometheus::BuildCounter()
                       .Name("mot_notification_deliveries_total")
                       .Help("Notification deliveries by channel and status.")
                       .Register(registry);
    for (const auto& [channel, _] : providers) {
      by_channel[channel] = {&family.Add({{"channel", channel}, {"status", "delivered"}}),
                             &family.Add({{"channel", channel}, {"status", "failed"}})};
    }
    unknown_channel = &family.Add({{"channel", "unconfigured"}, {"status", "failed"}});
    auto& decisions = prometheus::BuildCounter()
                          .Name("mot_notification_held_total")
                          .Help("Messages not sent when asked: deferred (quiet_hours), "
                                "suppressed (opted_out, frequency_cap, unreachable) or retrying "
                                "(provider_unavailable, rate_limited, next_channel).")
                          .Register(registry);
    held["quiet_hours"] = &decisions.Add({{"decision", "deferred"}, {"reason", "quiet_hours"}});
    for (const char* r : {"opted_out", "frequency_cap", "unreachable"}) {
      held[r] = &decisions.Add({{"decision", "suppressed"}, {"reason", r}});
    }
    for (const char* r : {kProviderUnavailable, kRateLimited, kNextChannel}) {
      held[r] = &decisions.Add({{"decision", "retrying"}, {"reason", r}});
    }
    auto& answers = prometheus::BuildHistogram()
                        .Name("mot_notification_provider_latency_seconds")
                        .Help("From a batch's requests to each provider's answers (the batch's "
                              "messages go out concurrently), by channel.")
                        .Register(registry);
    for (const auto& [channel, provider] : providers) {
      latency[provider] = &answers.Add(
          {{"channel", channel}},
          prometheus::Histogram::BucketBoundaries{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10});
    }
  }
  prometheus::Counter& For(const std::string& channel, bool delivered) {
    auto it = by_channel.find(channel);
    if (it == by_channel.end()) return *unknown_channel;
    return delivered ? *it->second.first : *it->second.second;
  }
};

CommandHandler::CommandHandler(const TemplateSet& templates,
                               std::map<std::string, Provider*> providers, RecordStore& store,
                               const Clock& clock,
                               prometheus::Registry& registry, Deciding deciding)
    : templates_(templates),
      providers_(std::move(providers)),
      deliveries_(store),
      clock_(clock),
      deciding_(deciding),
      metrics_(std::make_unique<Metrics>(registry, providers_)) {
  if (deciding_.routing != nullptr && deciding_.deferred != nullptr) {
    for (const auto& [channel, provider] : providers_) {
      const double rate = deciding_.routing->retry().RateOf(channel);
      buckets_.emplace(provider, TokenBucket(rate, rate));
    }
  }
}

CommandHandler::~CommandHandler() = default;

namespace {

// The owner's contact point named `field` (Provider::ContactPoint); empty when none.
std::string ContactOf(const std::optional<customer::v1::CustomerProfile>& profile,
                      const std::string& field) {
  if (!profile) return "";
  const auto& c = profile->contact();
  if (field == "mobile") return c.mobile();
  if (field == "email") return c.email();
  if (field == "wecom_user_id") return c.wecom_user_id();
  if (field == "app_device_token") return c.app_device_token();
  return "";
}

// What the routing rules know of an owner: the profile's segment, zone and
// preferences; the channels that reach them (a provider that needs no contact point
// of theirs, e.g. a group robot, unless the message is `personal`, or one whose
// contact point the profile has); the capped messages they were sent lately.
Owner OwnerOf(const std::optional<customer::v1::CustomerProfile>& profile,
              const std::map<std::string, Provider*>& providers, bool personal) {
  Owner o;
  for (const auto& [channel, provider] : providers) {
    const std::string field = provider->ContactPoint();
    if (field.empty() ? !personal : !ContactOf(profile, field).empty()) o.reachable.insert(channel);
  }
  if (!profile) return o;
  o.segment = profile->segment();
  o.time_zone = profile->time_zone();
  const auto& prefs = profile->preferences();
  o.preferred_channels.assign(prefs.preferred_channels().begin(), prefs.preferred_channels().end());
  o.opted_out_channels.insert(prefs.opted_out_channels().begin(), prefs.opted_out_channels().end());
  o.opted_out_categories.insert(prefs.opted_out_categories().begin(),
                                prefs.opted_out_categories().end());
  return o;
}

}  // namespace

void CommandHandler::HandleBatch(std::vector<Work>& batch) {
  struct Item {
    size_t at;  // in batch
    v1::SendNotificationCommand cmd;
    v1::Delivery delivery;
    bool fresh = false;    // handled now: decided or tried, and recorded
    bool replace = false;  // fresh, over its own record (DEFERRED or RETRYING, now due)
    bool resume = false;   // RETRYING and due: tried again on its channel, not decided again
    bool capped = false;   // counts toward the owner's frequency cap once sent
    bool dead = false;     // failed on every channel: dead-lettered once its event is out
    const Template* tpl = nullptr;
    std::string text, subject;  // rendered, when fresh
    std::optional<customer::v1::CustomerProfile> profile;
  };
  const TimePoint now = clock_.Now();
  // Failures wait on durable timers (else the consumer retries the message).
  const bool durable = deciding_.routing != nullptr && deciding_.deferred != nullptr;
  std::vector<Item> items;
  std::vector<std::string> ids;
  std::map<std::string, size_t> first;  // delivery id -> its first item in this batch
  std::vector<std::pair<size_t, size_t>> repeats;  // (at, item): the same command again
  for (size_t i = 0; i < batch.size(); ++i) {
    v1::SendNotificationCommand cmd;
    absl::Status s = DecodeMessage(batch[i].msg, &cmd);
    if (s.ok()) {
      // An owner's message, or a staff role's (an escalation).
      s = RequireFields({{"command_id", &cmd.command_id()},
                         {"customer_id", cmd.role().empty() ? &cmd.customer_id() : &cmd.role()},
                         {"template_id", &cmd.template_id()}});
    }
    if (s.ok() && cmd.has_requested_at()) s = CheckWithin(cmd.requested_at(), "requested_at", now, deciding_.times);
    if (!s.ok()) {
      batch[i].status = s;
      continue;
    }
    std::string id = DeterministicId("dl", {cmd.command_id()});
    if (auto it = first.find(id); it != first.end()) {
      repeats.push_back({i, it->second});  // handled once, by the first
      continue;
    }
    first[id] = items.size();
    ids.push_back(id);
    Item item;
    item.at = i;
    item.cmd = std::move(cmd);
    items.push_back(std::move(item));
  }
  auto existing = deliveries_.GetAll(ids);
  if (!existing.ok()) {
    for (auto& item : items) batch[item.at].status = existing.status();
    for (auto& [at, k] : repeats) batch[at].status = existing.status();
    return;
  }
  std::vector<size_t> to_look;  // owners' messages: their profiles looked up
  for (size_t k = 0; k < items.size(); ++k) {
    Item& item = items[k];
    if ((*existing)[k]) {
      item.delivery = std::move(*(*existing)[k]);
      const auto status = item.delivery.status();
      // Held and now due: decided again (quiet hours) or tried again (a retry); else
      // only the event again.
      if ((status != v1::DELIVERY_STATUS_DEFERRED && status != v1::DELIVERY_STATUS_RETRYING) ||
          FromProto(item.delivery.deferred_until()) > now) {
        continue;
      }
      item.replace = true;
      item.resume = status == v1::DELIVERY_STATUS_RETRYING;
    }
    const auto& cmd = item.cmd;
    item.tpl = templates_.Find(cmd.template_id());
    if (item.tpl == nullptr) {
      batch[item.at].status = absl::InvalidArgumentError(
          "template_id is unknown (not in the templates)");
      continue;
    }
    std::map<std::string, std::string> vars(cmd.variables().begin(), cmd.variables().end());
    auto text = Render(*item.tpl, vars);
    absl::StatusOr<std::string> subject =
        text.ok() ? Subject(*item.tpl, *text, vars) : text.status();
    if (!subject.ok()) {
      batch[item.at].status = subject.status();
      continue;
    }
    v1::Delivery& d = item.delivery;
    if (item.resume) {
      d.clear_status();
      d.clear_reason();
      d.clear_deferred_until();
    } else {
      d.Clear();
      d.set_id(ids[k]);
      d.set_customer_id(cmd.customer_id());
      d.set_role(cmd.role());
      d.set_template_id(cmd.template_id());
      d.set_channel(cmd.channel().empty() ? item.tpl->channel : cmd.channel());
      d.set_touchpoint_id(cmd.touchpoint_id());
      d.set_category(cmd.category());
      d.set_requested_by(cmd.requested_by());
    }
    item.text = std::move(*text);
    item.subject = std::move(*subject);
    item.fresh = true;
    if (deciding_.routing != nullptr && cmd.role().empty()) to_look.push_back(k);
  }
  std::vector<DeferredSends::Held> held;
  if (!to_look.empty()) {
    const Routing& routing = *deciding_.routing;
    std::vector<std::string> owners;
    std::set<std::string> capped_owners;  // of the messages decided now
    for (size_t k : to_look) {
      owners.push_back(items[k].cmd.customer_id());
      const CategoryRule* rule = routing.RuleFor(items[k].cmd.category());
      items[k].capped = rule != nullptr && rule->capped;
      if (items[k].capped && !items[k].resume) capped_owners.insert(items[k].cmd.customer_id());
    }
    auto profiles = deciding_.owners->GetAll(owners);
    absl::StatusOr<std::map<std::string, std::vector<TimePoint>>> recent =
        std::map<std::string, std::vector<TimePoint>>();
    if (profiles.ok() && !capped_owners.empty()) recent = deciding_.caps->Recent(capped_owners, now);
    const absl::Status looked = !profiles.ok() ? profiles.status() : recent.status();
    for (size_t j = 0; j < to_look.size(); ++j) {
      Item& item = items[to_look[j]];
      if (!looked.ok()) {  // Redis: the batch again later
        batch[item.at].status = looked;
        item.fresh = false;
        continue;
      }
      item.profile = std::move((*profiles)[j]);
      if (item.resume) continue;  // decided already: its channels are on the record
      Owner owner = OwnerOf(item.profile, providers_, item.tpl != nullptr && item.tpl->personal);
      owner.capped_sent = (*recent)[item.cmd.customer_id()];
      auto decision = Decide(routing, owner, item.cmd.category(), item.delivery.channel(), now);
      if (!decision.ok()) {
        batch[item.at].status = decision.status();
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
          held.push_back({d.id(), d.customer_id(), item.cmd.SerializeAsString(), decision->at});
          break;
        case Decision::kSend:
          d.set_channel(decision->channels.front());
          for (size_t c = 1; c < decision->channels.size(); ++c) {
            d.add_next_channels(decision->channels[c]);
          }
          // The batch's later capped messages for this owner count this one.
          if (item.capped) (*recent)[item.cmd.customer_id()].push_back(now);
          break;
      }
    }
  }
  // A message held to be tried again at `at`, under a key of its own.
  auto hold = [&](Item& item, TimePoint at, const char* reason) {
    v1::Delivery& d = item.delivery;
    d.set_status(v1::DELIVERY_STATUS_RETRYING);
    d.set_reason(reason);
    *d.mutable_deferred_until() = ToProto(at);
    held.push_back({absl::StrCat(d.id(), "/", absl::Hex(random_())), d.customer_id(),
                    item.cmd.SerializeAsString(), at});
  };
  // After a channel failed for good: the next one, or failed on every channel.
  auto next_channel = [&](Item& item) {
    v1::Delivery& d = item.delivery;
    if (d.next_channels_size() == 0) {
      d.set_status(v1::DELIVERY_STATUS_FAILED);
      d.set_reason(kEveryChannelFailed);
      item.dead = true;
      return;
    }
    d.set_channel(d.next_channels(0));
    d.mutable_next_channels()->erase(d.mutable_next_channels()->begin());
    d.set_attempt(0);
    hold(item, now, kNextChannel);
  };
  // What goes out, by provider.
  std::map<Provider*, std::vector<size_t>> sends;
  for (size_t k = 0; k < items.size(); ++k) {
    Item& item = items[k];
    v1::Delivery& d = item.delivery;
    if (!item.fresh || d.status() != v1::DELIVERY_STATUS_UNSPECIFIED) continue;
    auto provider = providers_.find(d.channel());
    if (provider != providers_.end()) {
      sends[provider->second].push_back(k);
      continue;
    }
    d.set_provider_response("no provider configured for channel " + d.channel());
    if (!durable) {
      d.set_status(v1::DELIVERY_STATUS_FAILED);
      continue;
    }
    d.add_tried(absl::StrCat(d.channel(), ": no provider configured"));
    next_channel(item);
  }
  // Over a provider's rate: held until its bucket has room for each, one after the
  // other at the rate (so a burst drains at the rate instead of all trying again at
  // once); those due within a pass of the held messages go on the next pass.
  for (auto& [provider, ks] : sends) {
    auto bucket = buckets_.find(provider);
    if (bucket == buckets_.end()) continue;
    const auto steady = TokenBucket::Steady::now();
    const size_t taken = bucket->second.Take(static_cast<int>(ks.size()), steady);
    if (taken == ks.size()) continue;
    const auto first = bucket->second.Wait(steady);
    const double rate = deciding_.routing->retry().RateOf(items[ks[taken]].delivery.channel());
    for (size_t j = taken; j < ks.size(); ++j) {
      const auto wait = first + std::chrono::milliseconds(static_cast<int64_t>((j - taken) * 1000 / rate));
      hold(items[ks[j]], wait > deciding_.deferred->tick() ? now + wait : now, kRateLimited);
    }
    ks.resize(taken);
  }
  // Every provider asked at once; each answers within its own timeout.
  std::vector<std::pair<Provider*, std::vector<size_t>>> groups;
  for (auto& [provider, ks] : sends) {
    if (!ks.empty()) groups.emplace_back(provider, std::move(ks));
  }
  auto ask = [&](size_t g) {
    Provider* provider = groups[g].first;
    std::vector<OutgoingMessage> messages;
    for (size_t k : groups[g].second) {
      const Item& item = items[k];
      const v1::Delivery& d = item.delivery;
      messages.push_back({d.id(), d.channel(), d.customer_id(), item.text,
                          ContactOf(item.profile, provider->ContactPoint()),
                          item.subject, item.tpl->sms_code.empty() ? item.tpl->id : item.tpl->sms_code,
                          {item.cmd.variables().begin(), item.cmd.variables().end()}});
    }
    const auto asked = std::chrono::steady_clock::now();
    auto results = provider->SendAll(messages);
    metrics_->latency.at(provider)->Observe(
        std::chrono::duration<double>(std::chrono::steady_clock::now() - asked).count());
    return results;
  };
  std::vector<std::future<std::vector<absl::StatusOr<std::string>>>> asking;
  for (size_t g = 1; g < groups.size(); ++g) asking.push_back(std::async(std::launch::async, ask, g));
  std::vector<std::vector<absl::StatusOr<std::string>>> results;
  if (!groups.empty()) results.push_back(ask(0));
  for (auto& f : asking) results.push_back(f.get());
  static const RetryPolicy kNoRouting;
  const RetryPolicy& policy = deciding_.routing != nullptr ? deciding_.routing->retry() : kNoRouting;
  std::uniform_real_distribution<double> jitter(0, 1);
  for (size_t g = 0; g < groups.size(); ++g) {
    for (size_t j = 0; j < groups[g].second.size(); ++j) {
      Item& item = items[groups[g].second[j]];
      v1::Delivery& d = item.delivery;
      const auto& sent = results[g][j];
      if (sent.ok()) {
        d.set_status(v1::DELIVERY_STATUS_DELIVERED);
        d.set_provider_response(*sent);
        continue;
      }
      const bool for_now = absl::IsUnavailable(sent.status());
      if (for_now && !durable) {
        batch[item.at].status = sent.status();  // retried by the consumer; nothing recorded
        item.fresh = false;
        continue;
      }
      d.set_provider_response(std::string(sent.status().message()));
      if (!durable) {
        d.set_status(v1::DELIVERY_STATUS_FAILED);
        continue;
      }
      d.add_tried(absl::StrCat(d.channel(), ": ", sent.status().message()));
      if (for_now) {
        d.set_attempt(d.attempt() + 1);
        if (d.attempt() < policy.attempts) {
          hold(item, NextAttempt(policy, d.attempt(), now, jitter(random_)), kProviderUnavailable);
          continue;
        }
      }
      next_channel(item);
    }
  }
  // Held messages: kept with their timers before their records say so.
  if (!held.empty()) {
    if (auto s = deciding_.deferred->Hold(held); !s.ok()) {
      for (auto& item : items) {
        const auto status = item.delivery.status();
        if (item.fresh &&
            (status == v1::DELIVERY_STATUS_DEFERRED || status == v1::DELIVERY_STATUS_RETRYING)) {
          batch[item.at].status = s;
          item.fresh = false;
        }
      }
    }
  }
  std::vector<NewRecord> records;
  std::vector<size_t> recorded, replaced;
  std::vector<std::pair<std::string, std::string>> capped_sent;
  for (size_t k = 0; k < items.size(); ++k) {
    Item& item = items[k];
    if (!item.fresh || !batch[item.at].status.ok()) continue;
    v1::Delivery& d = item.delivery;
    if (d.status() == v1::DELIVERY_STATUS_DELIVERED || d.status() == v1::DELIVERY_STATUS_FAILED) {
      *d.mutable_delivered_at() = ToProto(now);
    }
    if (item.capped && d.status() == v1::DELIVERY_STATUS_DELIVERED) {
      capped_sent.emplace_back(d.customer_id(), d.id());
    }
    if (item.replace) {
      replaced.push_back(k);
      continue;
    }
    records.push_back({d.id(), d.role().empty() ? d.customer_id() : "role:" + d.role(),
                       ToUnixMillis(now), d.SerializeAsString()});
    recorded.push_back(k);
  }
  absl::Status stored = deliveries_.InsertAll(records).status();
  for (size_t k : replaced) {
    if (auto s = deliveries_.Put(items[k].delivery.id(), items[k].delivery); !s.ok()) {
      batch[items[k].at].status = s;
    }
  }
  if (stored.ok() && !capped_sent.empty()) stored = deciding_.caps->Record(capped_sent, now);
  if (!stored.ok()) {
    // Sent but not recorded: the retry finds no record and sends again (a robot
    // takes no idempotency key; the X-Mot-Delivery-Id header lets a receiver tell).
    for (size_t k : recorded) batch[items[k].at].status = stored;
  }
  for (size_t k : recorded) Count(items[k].delivery, batch[items[k].at].status);
  for (size_t k : replaced) Count(items[k].delivery, batch[items[k].at].status);
  auto publish = [&](Work& w, const v1::Delivery& d) {
    v1::NotificationEvent event;
    *event.mutable_delivery() = d;
    w.status = w.out->Publish(kNotificationEventsTopic, d.customer_id(), event.SerializeAsString());
  };
  std::vector<bool> published(items.size(), false);
  for (size_t k = 0; k < items.size(); ++k) {
    Work& w = batch[items[k].at];
    if (!w.status.ok()) continue;
    publish(w, items[k].delivery);
    published[k] = w.status.ok();
    // Failed on every channel: its event is out; the command goes to the dead letters.
    if (published[k] && items[k].dead) {
      w.status = absl::InvalidArgumentError(
          absl::StrCat("delivery ", items[k].delivery.id(), " failed on every channel: ",
                       absl::StrJoin(items[k].delivery.tried(), "; ")));
    }
  }
  for (auto& [at, k] : repeats) {
    const Work& original = batch[items[k].at];
    if (published[k]) {
      publish(batch[at], items[k].delivery);
    } else {
      batch[at].status = absl::IsInvalidArgument(original.status)
                             ? original.status
                             : absl::AbortedError("its first copy in the batch is retried");
    }
  }
}

void CommandHandler::Count(const v1::Delivery& d, const absl::Status& recorded) {
  if (!recorded.ok()) return;
  if (d.status() == v1::DELIVERY_STATUS_DEFERRED) {
    metrics_->held.at("quiet_hours")->Increment();
  } else if (d.status() == v1::DELIVERY_STATUS_SUPPRESSED ||
             d.status() == v1::DELIVERY_STATUS_RETRYING) {
    if (auto it = metrics_->held.find(d.reason()); it != metrics_->held.end()) it->second->Increment();
  } else {
    metrics_->For(d.channel(), d.status() == v1::DELIVERY_STATUS_DELIVERED).Increment();
  }
  Log().info("delivery {} template={} channel={} -> {} {}", d.id(), d.template_id(), d.channel(),
             v1::DeliveryStatus_Name(d.status()), d.provider_response().empty() ? d.reason() : d.provider_response());
}

namespace {

grpc::Status Invalid(const std::string& what) {
  return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, what);
}

std::string Known(const std::set<std::string>& names) { return absl::StrJoin(names, ", "); }

// Every channel and category the preferences name is one channels.yaml knows.
grpc::Status CheckPreferences(const Routing& routing, const customer::v1::Preferences& p) {
  for (const auto* list : {&p.opted_out_channels(), &p.preferred_channels()}) {
    for (const auto& c : *list) {
      if (!routing.channels().count(c)) {
        // The caller's value is not echoed; the channels that are, are named.
        return Invalid(absl::StrCat("preferences.",
                                    list == &p.preferred_channels() ? "preferred_channels"
                                                                    : "opted_out_channels",
                                    ": a channel is not one of channels.yaml's (", Known(routing.channels()),
                                    ")"));
      }
    }
  }
  for (const auto& c : p.opted_out_categories()) {
    if (routing.Category(c) == nullptr) {
      return Invalid("preferences.opted_out_categories: a category is not one of channels.yaml's");
    }
  }
  return grpc::Status::OK;
}

}  // namespace

grpc::Status NotificationGrpc::Send(grpc::ServerContext* ctx, const v1::SendRequest* req,
                                    v1::SendResponse* resp) {
  if (auto s = Expired(ctx, "Send"); !s.ok()) return s;
  v1::SendNotificationCommand cmd = req->command();
  cmd.set_requested_by(CallerOf(ctx));
  const bool to_role = !cmd.role().empty();
  if (cmd.command_id().empty()) return Invalid("command.command_id is required");
  if (!to_role && cmd.customer_id().empty()) return Invalid("command.customer_id (or command.role) is required");
  if (to_role && !cmd.customer_id().empty()) return Invalid("command.customer_id and command.role: one, not both");
  if (cmd.template_id().empty()) return Invalid("command.template_id is required");
  const Template* tpl = parts_.templates.Find(cmd.template_id());
  if (tpl == nullptr) return Invalid("command.template_id is unknown (not in the templates)");
  std::map<std::string, std::string> vars(cmd.variables().begin(), cmd.variables().end());
  if (auto text = Render(*tpl, vars); !text.ok()) {
    return Invalid(absl::StrCat("command.variables: ", text.status().message()));
  }
  if (!cmd.category().empty() && parts_.routing.Category(cmd.category()) == nullptr) {
    return Invalid("command.category: not one of channels.yaml's categories");
  }
  if (!cmd.channel().empty() && !parts_.routing.channels().count(cmd.channel())) {
    return Invalid("command.channel: not one of channels.yaml's channels");
  }
  const std::string key = to_role ? "role:" + cmd.role() : cmd.customer_id();
  if (auto s = parts_.out.Publish(kNotificationCommandsTopic, key, cmd.SerializeAsString()); !s.ok()) {
    return ToGrpc(s);
  }
  resp->set_delivery_id(DeterministicId("dl", {cmd.command_id()}));
  return grpc::Status::OK;
}

grpc::Status NotificationGrpc::ListDeliveries(grpc::ServerContext* ctx,
                                              const v1::ListDeliveriesRequest* req,
                                              v1::ListDeliveriesResponse* resp) {
  if (auto s = Expired(ctx, "ListDeliveries"); !s.ok()) return s;
  if (req->customer_id().empty()) return Invalid("customer_id is required");
  if (req->page_size() < 0) return Invalid("page_size must not be negative");
  const size_t limit = req->page_size() == 0 ? parts_.max_page_size
                                             : std::min(req->page_size(), parts_.max_page_size);
  auto cursor = PageCursor::Parse(req->page_token());
  if (!cursor) return Invalid("page_token is not one this service gave out");
  auto entries = parts_.store.PageByCustomer(req->customer_id(), *cursor, limit);
  if (!entries.ok()) return ToGrpc(entries.status());
  std::vector<std::string> ids;
  for (const auto& [id, _] : *entries) ids.push_back(id);
  auto found = deliveries_.GetAll(ids);
  if (!found.ok()) return ToGrpc(found.status());
  PageCursor at = *cursor;
  for (size_t i = 0; i < entries->size(); ++i) {
    at.Pass((*entries)[i].second);
    if ((*found)[i]) *resp->add_deliveries() = std::move(*(*found)[i]);
  }
  if (entries->size() == limit) resp->set_next_page_token(at.Token());
  return grpc::Status::OK;
}

grpc::Status NotificationGrpc::GetPreferences(grpc::ServerContext* ctx,
                                              const v1::GetPreferencesRequest* req,
                                              v1::GetPreferencesResponse* resp) {
  if (auto s = Expired(ctx, "GetPreferences"); !s.ok()) return s;
  if (req->customer_id().empty()) return Invalid("customer_id is required");
  auto prefs = parts_.owners.Preferences(req->customer_id());
  if (!prefs.ok()) return ToGrpc(prefs.status());
  *resp->mutable_preferences() = std::move(prefs->first);
  resp->set_source(prefs->second);
  return grpc::Status::OK;
}

grpc::Status NotificationGrpc::SetPreferences(grpc::ServerContext* ctx,
                                              const v1::SetPreferencesRequest* req,
                                              v1::SetPreferencesResponse* resp) {
  if (auto s = Expired(ctx, "SetPreferences"); !s.ok()) return s;
  if (req->customer_id().empty()) return Invalid("customer_id is required");
  if (auto s = CheckPreferences(parts_.routing, req->preferences()); !s.ok()) return s;
  customer::v1::Preferences prefs = req->preferences();
  prefs.set_updated_by(CallerOf(ctx));
  if (auto s = parts_.owners.SetPreferences(req->customer_id(), prefs); !s.ok()) {
    return ToGrpc(s);
  }
  *resp->mutable_preferences() = std::move(prefs);
  return grpc::Status::OK;
}

namespace {
constexpr char kCustomerForgotten[] = "customer_forgotten";
std::string OwnerKey(const std::string& customer_id) { return "owner:" + customer_id; }
}  // namespace

absl::Status OwnerBook::Put(const customer::v1::CustomerProfile& profile) {
  return store_.Put(OwnerKey(profile.customer_id()),
                    vault_.Seal(profile.customer_id(), profile.SerializeAsString()));
}

absl::StatusOr<std::optional<customer::v1::CustomerProfile>> OwnerBook::Get(
    const std::string& customer_id) {
  auto all = GetAll({customer_id});
  if (!all.ok()) return all.status();
  return std::move((*all)[0]);
}

namespace {
std::string PrefsKey(const std::string& customer_id) { return "prefs:" + customer_id; }
}  // namespace

absl::StatusOr<std::vector<std::optional<customer::v1::CustomerProfile>>> OwnerBook::GetAll(
    const std::vector<std::string>& customer_ids) {
  std::vector<std::string> keys;
  for (const auto& c : customer_ids) keys.push_back(OwnerKey(c));
  for (const auto& c : customer_ids) keys.push_back(PrefsKey(c));
  auto sealed = store_.GetAll(keys);
  if (!sealed.ok()) return sealed.status();
  const size_t n = customer_ids.size();
  std::vector<std::optional<customer::v1::CustomerProfile>> out(n);
  for (size_t i = 0; i < n; ++i) {
    if ((*sealed)[i]) {
      auto plain = vault_.Open(customer_ids[i], *(*sealed)[i]);
      if (!plain.ok()) return plain.status();
      customer::v1::CustomerProfile profile;
      if (!profile.ParseFromString(*plain)) {
        return absl::DataLossError("an owner record opened but is not a profile");
      }
      out[i] = std::move(profile);
    }
    if ((*sealed)[n + i]) {
      auto plain = vault_.Open(PrefsKey(customer_ids[i]), *(*sealed)[n + i]);
      if (!plain.ok()) return plain.status();
      if (!out[i]) {
        out[i].emplace();
        out[i]->set_customer_id(customer_ids[i]);
      }
      if (!out[i]->mutable_preferences()->ParseFromString(*plain)) {
        return absl::DataLossError("a preferences record opened but is not preferences");
      }
    }
  }
  return out;
}

absl::Status OwnerBook::SetPreferences(const std::string& customer_id,
                                       const customer::v1::Preferences& prefs) {
  return store_.Put(PrefsKey(customer_id), vault_.Seal(PrefsKey(customer_id), prefs.SerializeAsString()));
}

absl::StatusOr<std::pair<customer::v1::Preferences, std::string>> OwnerBook::Preferences(
    const std::string& customer_id) {
  auto sealed = store_.Get(PrefsKey(customer_id));
  if (!sealed.ok()) return sealed.status();
  std::pair<customer::v1::Preferences, std::string> out;
  if (*sealed) {
    auto plain = vault_.Open(PrefsKey(customer_id), **sealed);
    if (!plain.ok()) return plain.status();
    if (!out.first.ParseFromString(*plain)) {
      return absl::DataLossError("a preferences record opened but is not preferences");
    }
    out.second = "api";
    return out;
  }
  auto profile = Get(customer_id);
  if (!profile.ok()) return profile.status();
  if (*profile) {
    out.first = (*profile)->preferences();
    out.second = "profile";
  } else {
    out.second = "none";
  }
  return out;
}

absl::Status OwnerBook::Forget(const std::string& customer_id) {
  return store_.Erase({OwnerKey(customer_id), PrefsKey(customer_id)});
}

struct OwnerHandler::Metrics {
  prometheus::Counter& kept;
  prometheus::Counter& forgotten;
  explicit Metrics(prometheus::Family<prometheus::Counter>& family)
      : kept(family.Add({{"change", "kept"}})), forgotten(family.Add({{"change", "forgotten"}})) {}
};

OwnerHandler::OwnerHandler(OwnerBook& book, prometheus::Registry& registry)
    : book_(book),
      metrics_(std::make_unique<Metrics>(
          prometheus::BuildCounter()
              .Name("mot_notification_owner_records_total")
              .Help("Owners' contact records kept (sealed) from profiles, and erased when "
                    "the owner was forgotten.")
              .Register(registry))) {}

OwnerHandler::~OwnerHandler() = default;

void OwnerHandler::HandleBatch(std::vector<Work>& batch) {
  for (auto& w : batch) {
    if (w.msg.topic == kCustomerTopic) {
      customer::v1::CustomerProfile profile;
      w.status = DecodeMessage(w.msg, &profile);
      if (w.status.ok() && profile.customer_id().empty()) {
        w.status = absl::InvalidArgumentError("customer_id is required");
      }
      if (w.status.ok()) w.status = book_.Put(profile);
      if (w.status.ok()) metrics_->kept.Increment();
    } else {
      // The scheduler owns this topic's dead letters: an event that does not decode is
      // dead-lettered once, by it, and passes here.
      lifecycle::v1::LifecycleEvent event;
      if (!DecodeMessage(w.msg, &event).ok() || event.type() != kCustomerForgotten) continue;
      if (event.customer_id().empty()) {
        w.status = absl::InvalidArgumentError("customer_id is required");
        continue;
      }
      w.status = book_.Forget(event.customer_id());
      if (w.status.ok()) metrics_->forgotten.Increment();
    }
    if (!w.status.ok() && !absl::IsInvalidArgument(w.status)) return;  // the rest again later
  }
}

namespace {
std::string CappedKey(const std::string& owner) { return "mot:notification:capped:" + owner; }
}  // namespace

absl::StatusOr<std::map<std::string, std::vector<TimePoint>>> CapLedger::Recent(
    const std::set<std::string>& owners, TimePoint now) {
  std::vector<std::vector<std::string>> cmds;
  std::vector<std::string> order(owners.begin(), owners.end());
  const std::string since = std::to_string(ToUnixMillis(now - window_));
  for (const auto& o : order) {
    cmds.push_back({"ZRANGEBYSCORE", CappedKey(o), "(" + since, "+inf", "WITHSCORES"});
  }
  auto replies = redis_.Pipeline(cmds);
  if (!replies.ok()) return replies.status();
  std::map<std::string, std::vector<TimePoint>> out;
  for (size_t i = 0; i < order.size(); ++i) {
    auto& times = out[order[i]];
    const auto& els = (*replies)[i].elements;
    for (size_t k = 1; k < els.size(); k += 2) {
      times.push_back(FromUnixMillis(std::stoll(els[k].str)));
    }
  }
  return out;
}

absl::Status CapLedger::Record(const std::vector<std::pair<std::string, std::string>>& sent,
                               TimePoint at) {
  if (sent.empty()) return absl::OkStatus();
  std::vector<std::vector<std::string>> cmds;
  const std::string score = std::to_string(ToUnixMillis(at));
  const std::string old = std::to_string(ToUnixMillis(at - window_));
  const std::string ttl = std::to_string(
      std::chrono::duration_cast<std::chrono::seconds>(window_).count() + 86400);
  for (const auto& [owner, delivery] : sent) {
    cmds.push_back({"ZADD", CappedKey(owner), score, delivery});
    cmds.push_back({"ZREMRANGEBYSCORE", CappedKey(owner), "-inf", old});
    cmds.push_back({"EXPIRE", CappedKey(owner), ttl});
  }
  auto replies = redis_.Pipeline(cmds);
  return replies.ok() ? absl::OkStatus() : replies.status();
}

namespace {
std::string DeferredKey(const std::string& delivery_id) { return "deferred:" + delivery_id; }
}  // namespace

absl::Status DeferredSends::Hold(const std::vector<Held>& held) {
  std::vector<std::pair<std::string, std::string>> commands;
  std::vector<RedisTimers::Timer> timers;
  for (const auto& h : held) {
    commands.emplace_back(DeferredKey(h.key), h.command);
    timers.push_back({timers_.layout().PartitionOf(h.customer_id), h.key, h.at});
  }
  if (auto s = store_.PutAll(commands); !s.ok()) return s;
  return timers_.Arm(timers);
}

absl::StatusOr<int> DeferredSends::Pass() {
  std::vector<int> partitions;
  for (int p = 0; p < timers_.layout().partitions; ++p) partitions.push_back(p);
  const std::string token = absl::StrCat(replica_, ":", ++claims_);
  auto claimed = timers_.ClaimAll(partitions, clock_.Now(), std::chrono::minutes(1), 500, token);
  if (!claimed.ok()) return claimed.status();
  int published = 0;
  for (size_t p = 0; p < partitions.size(); ++p) {
    const auto& ids = (*claimed)[p];
    if (ids.empty()) continue;
    std::vector<std::string> keys;
    for (const auto& id : ids) keys.push_back(DeferredKey(id));
    auto commands = store_.GetAll(keys);
    if (!commands.ok()) return commands.status();
    std::vector<OutMessage> again;
    for (const auto& c : *commands) {
      if (!c) continue;  // nothing kept: the timer alone goes
      v1::SendNotificationCommand cmd;
      if (!cmd.ParseFromString(*c)) continue;
      again.push_back({kNotificationCommandsTopic, cmd.customer_id(), *c, {}});
    }
    for (const auto& s : out_.PublishAll(again)) {
      if (!s.ok()) return s;  // claimed again once the lease ends
    }
    if (auto done = timers_.Complete(partitions[p], ids, token); !done.ok()) return done.status();
    store_.Erase(keys).IgnoreError();  // one left behind has no timer: never sent again
    published += static_cast<int>(again.size());
    if (ids.size() == 500) alarm_.Ring();
  }
  return published;
}

void DeferredSends::Run(const std::atomic<bool>& stop) {
  while (!stop.load()) {
    alarm_.Reset();
    if (auto pass = Pass(); !pass.ok()) {
      Log().warn("deferred sends pass failed, again in {} ms: {}", tick_.count(),
                 pass.status().message());
    }
    alarm_.Wait(tick_, stop);
  }
}

}  // namespace mot::notification
