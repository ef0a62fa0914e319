#include "app/notification_app.h"

#include <curl/curl.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "mot/common/codec.h"
#include "mot/common/validate.h"
#include "mot/lifecycle/v1/event.pb.h"
#include "mot/common/topics.h"
#include "mot/common/ids.h"
#include "mot/common/log.h"
#include "mot/common/runtime.h"
#include "nlohmann/json.hpp"
#include "prometheus/counter.h"
#include "prometheus/histogram.h"
#include "prometheus/registry.h"

namespace mot::notification {
namespace {

size_t CollectBody(char* data, size_t size, size_t n, void* out) {
  static_cast<std::string*>(out)->append(data, size * n);
  return size * n;
}

struct CurlDeleter {
  void operator()(CURL* c) const { curl_easy_cleanup(c); }
};
struct SlistDeleter {
  void operator()(curl_slist* l) const { curl_slist_free_all(l); }
};

}  // namespace

WebhookProvider::WebhookProvider(std::string url, std::chrono::milliseconds timeout,
                                 int connections, std::string sign_secret)
    : url_(std::move(url)), sign_secret_(std::move(sign_secret)), timeout_(timeout) {
  curl_global_init(CURL_GLOBAL_DEFAULT);
  CURLM* multi = curl_multi_init();
  if (multi == nullptr) throw std::runtime_error("webhook: cannot create a curl multi handle");
  curl_multi_setopt(multi, CURLMOPT_MAX_HOST_CONNECTIONS, static_cast<long>(connections));
  curl_multi_setopt(multi, CURLMOPT_MAXCONNECTS, static_cast<long>(connections));
  multi_ = multi;
}

WebhookProvider::~WebhookProvider() { curl_multi_cleanup(static_cast<CURLM*>(multi_)); }

std::string WebhookProvider::SignedUrl(int64_t unix_ms) const {
  if (sign_secret_.empty()) return url_;
  const std::string stamp = std::to_string(unix_ms);
  const std::string to_sign = stamp + "\n" + sign_secret_;
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int mac_len = 0;
  HMAC(EVP_sha256(), sign_secret_.data(), static_cast<int>(sign_secret_.size()),
       reinterpret_cast<const unsigned char*>(to_sign.data()), to_sign.size(), mac, &mac_len);
  const std::string sign =
      absl::Base64Escape(std::string(reinterpret_cast<const char*>(mac), mac_len));
  std::unique_ptr<char, decltype(&curl_free)> escaped(
      curl_easy_escape(nullptr, sign.c_str(), static_cast<int>(sign.size())), &curl_free);
  return absl::StrCat(url_, url_.find('?') == std::string::npos ? "?" : "&", "timestamp=", stamp,
                      "&sign=", escaped ? escaped.get() : "");
}

absl::StatusOr<std::string> WebhookProvider::Send(const OutgoingMessage& message) {
  return SendAll({message})[0];
}

namespace {

// One POST of a batch.
struct Post {
  std::unique_ptr<CURL, CurlDeleter> curl;
  std::unique_ptr<curl_slist, SlistDeleter> headers;
  std::string body;
  std::string response;
};

// The robot's answer: OK, a refusal for good, or worth a retry.
absl::StatusOr<std::string> Answer(CURLcode rc, CURL* curl, const std::string& response) {
  if (rc != CURLE_OK) {
    return absl::UnavailableError(absl::StrCat("webhook: ", curl_easy_strerror(rc)));
  }
  long http = 0;
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &http);
  if (http >= 500 || http == 429) {
    return absl::UnavailableError(absl::StrCat("webhook answered HTTP ", http));
  }
  if (http >= 300) {
    return absl::FailedPreconditionError(absl::StrCat("webhook refused: HTTP ", http));
  }
  // Robots answer 200 with {"errcode":N,"errmsg":"..."}; N != 0 is a refusal.
  auto json = nlohmann::json::parse(response, nullptr, false);
  if (json.is_object() && json.contains("errcode") && json["errcode"].is_number() &&
      json["errcode"].get<int>() != 0) {
    return absl::FailedPreconditionError(
        absl::StrCat("webhook refused: HTTP ", http, " errcode ", json["errcode"].get<int>()));
  }
  return absl::StrCat("HTTP ", http);
}

}  // namespace

std::vector<absl::StatusOr<std::string>> WebhookProvider::SendAll(
    const std::vector<OutgoingMessage>& messages) {
  auto* multi = static_cast<CURLM*>(multi_);
  std::vector<absl::StatusOr<std::string>> out(messages.size(),
                                               absl::UnavailableError("webhook: not sent"));
  std::vector<Post> posts(messages.size());
  std::map<CURL*, size_t> index;
  const std::string url = SignedUrl(std::chrono::duration_cast<std::chrono::milliseconds>(
                                        std::chrono::system_clock::now().time_since_epoch())
                                        .count());
  for (size_t i = 0; i < messages.size(); ++i) {
    Post& p = posts[i];
    p.curl.reset(curl_easy_init());
    if (!p.curl) {
      out[i] = absl::UnavailableError("webhook: cannot create a curl handle");
      continue;
    }
    p.body = nlohmann::json{{"msgtype", "text"}, {"text", {{"content", messages[i].text}}}}.dump();
    p.headers.reset(curl_slist_append(nullptr, "Content-Type: application/json; charset=utf-8"));
    p.headers.reset(curl_slist_append(
        p.headers.release(), ("X-Mot-Delivery-Id: " + messages[i].delivery_id).c_str()));
    // No "Expect: 100-continue" round trip before a body.
    p.headers.reset(curl_slist_append(p.headers.release(), "Expect:"));
    CURL* c = p.curl.get();
    curl_easy_setopt(c, CURLOPT_URL, url.c_str());
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, p.body.c_str());
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, static_cast<long>(p.body.size()));
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, p.headers.get());
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, static_cast<long>(timeout_.count()));
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_TCP_NODELAY, 1L);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, CollectBody);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &p.response);
    if (curl_multi_add_handle(multi, c) != CURLM_OK) {
      out[i] = absl::UnavailableError("webhook: cannot start the request");
      continue;
    }
    index[c] = i;
  }
  int running = 0;
  do {
    if (curl_multi_perform(multi, &running) != CURLM_OK) break;
    int queued = 0;
    while (CURLMsg* msg = curl_multi_info_read(multi, &queued)) {
      if (msg->msg != CURLMSG_DONE) continue;
      const size_t i = index.at(msg->easy_handle);
      out[i] = Answer(msg->data.result, msg->easy_handle, posts[i].response);
    }
    if (running == 0) break;
    // Up to libcurl's own next deadline: a request queued for a free connection is
    // started by a timer, not by socket activity (waiting a fixed 100 ms instead made
    // the p99 of this leg 140 ms in tools/bench).
    long wait_ms = -1;
    curl_multi_timeout(multi, &wait_ms);
    if (wait_ms < 0 || wait_ms > 100) wait_ms = 100;
    if (wait_ms > 0) curl_multi_poll(multi, nullptr, 0, static_cast<int>(wait_ms), nullptr);
  } while (running > 0);
  for (const auto& [c, i] : index) curl_multi_remove_handle(multi, c);
  return out;
}

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
                          .Help("Owners' messages not sent when asked: deferred (quiet_hours) or "
                                "suppressed (opted_out, frequency_cap, unreachable).")
                          .Register(registry);
    held["quiet_hours"] = &decisions.Add({{"decision", "deferred"}, {"reason", "quiet_hours"}});
    for (const char* r : {"opted_out", "frequency_cap", "unreachable"}) {
      held[r] = &decisions.Add({{"decision", "suppressed"}, {"reason", r}});
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
      metrics_(std::make_unique<Metrics>(registry, providers_)) {}

CommandHandler::~CommandHandler() = default;

namespace {

// What the routing rules know of an owner: the profile's segment, zone and
// preferences; the channels that reach them (a provider that needs no contact point
// of theirs, e.g. a group robot); the capped messages they were sent lately.
Owner OwnerOf(const std::optional<customer::v1::CustomerProfile>& profile,
              const std::map<std::string, Provider*>& providers) {
  Owner o;
  for (const auto& [channel, provider] : providers) {
    if (!provider->NeedsContactPoint()) o.reachable.insert(channel);
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
    bool fresh = false;    // not delivered before: decided, sent and recorded now
    bool replace = false;  // fresh, over its own DEFERRED record (its quiet hours ended)
    bool capped = false;   // counts toward the owner's frequency cap once sent
    std::string text;      // rendered, when fresh
  };
  const TimePoint now = clock_.Now();
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
    if (!s.ok()) {
      batch[i].status = s;
      continue;
    }
    std::string id = DeterministicId("dl", {cmd.command_id()});
    if (auto it = first.find(id); it != first.end()) {
      repeats.push_back({i, it->second});  // delivered once, by the first
      continue;
    }
    first[id] = items.size();
    ids.push_back(id);
    items.push_back({i, std::move(cmd), {}, false, false, false, {}});
  }
  auto existing = deliveries_.GetAll(ids);
  if (!existing.ok()) {
    for (auto& item : items) batch[item.at].status = existing.status();
    for (auto& [at, k] : repeats) batch[at].status = existing.status();
    return;
  }
  std::vector<size_t> to_decide;  // owners' messages the routing rules decide
  for (size_t k = 0; k < items.size(); ++k) {
    Item& item = items[k];
    if ((*existing)[k]) {
      item.delivery = std::move(*(*existing)[k]);
      // Held for quiet hours that have ended: decided again; else only the event again.
      if (item.delivery.status() != v1::DELIVERY_STATUS_DEFERRED ||
          FromProto(item.delivery.deferred_until()) > now) {
        continue;
      }
      item.replace = true;
    }
    const auto& cmd = item.cmd;
    const Template* tpl = templates_.Find(cmd.template_id());
    if (tpl == nullptr) {
      batch[item.at].status = absl::InvalidArgumentError(
          absl::StrCat("template_id '", cmd.template_id(), "' is unknown"));
      continue;
    }
    std::map<std::string, std::string> vars(cmd.variables().begin(), cmd.variables().end());
    auto text = Render(*tpl, vars);
    if (!text.ok()) {
      batch[item.at].status = text.status();
      continue;
    }
    v1::Delivery& d = item.delivery;
    d.Clear();
    d.set_id(ids[k]);
    d.set_customer_id(cmd.customer_id());
    d.set_role(cmd.role());
    d.set_template_id(cmd.template_id());
    d.set_channel(cmd.channel().empty() ? tpl->channel : cmd.channel());
    d.set_touchpoint_id(cmd.touchpoint_id());
    d.set_category(cmd.category());
    item.text = std::move(*text);
    item.fresh = true;
    if (deciding_.routing != nullptr && cmd.role().empty()) to_decide.push_back(k);
  }
  std::vector<DeferredSends::Held> held;
  if (!to_decide.empty()) {
    const Routing& routing = *deciding_.routing;
    std::vector<std::string> owners;
    std::set<std::string> capped_owners;
    for (size_t k : to_decide) {
      owners.push_back(items[k].cmd.customer_id());
      const CategoryRule* rule = routing.RuleFor(items[k].cmd.category());
      items[k].capped = rule != nullptr && rule->capped;
      if (items[k].capped) capped_owners.insert(items[k].cmd.customer_id());
    }
    auto profiles = deciding_.owners->GetAll(owners);
    absl::StatusOr<std::map<std::string, std::vector<TimePoint>>> recent =
        std::map<std::string, std::vector<TimePoint>>();
    if (profiles.ok() && !capped_owners.empty()) recent = deciding_.caps->Recent(capped_owners, now);
    const absl::Status looked = !profiles.ok() ? profiles.status() : recent.status();
    for (size_t j = 0; j < to_decide.size(); ++j) {
      Item& item = items[to_decide[j]];
      if (!looked.ok()) {  // Redis: the batch again later
        batch[item.at].status = looked;
        item.fresh = false;
        continue;
      }
      Owner owner = OwnerOf((*profiles)[j], providers_);
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
          // The batch's later capped messages for this owner count this one.
          if (item.capped) (*recent)[item.cmd.customer_id()].push_back(now);
          break;
      }
    }
  }
  // What goes out, by provider.
  std::map<Provider*, std::vector<size_t>> sends;
  for (size_t k = 0; k < items.size(); ++k) {
    Item& item = items[k];
    v1::Delivery& d = item.delivery;
    if (!item.fresh || d.status() != v1::DELIVERY_STATUS_UNSPECIFIED) continue;
    auto provider = providers_.find(d.channel());
    if (provider == providers_.end()) {
      d.set_status(v1::DELIVERY_STATUS_FAILED);
      d.set_provider_response("no provider configured for channel " + d.channel());
    } else {
      sends[provider->second].push_back(k);
    }
  }
  for (const auto& [provider, ks] : sends) {
    std::vector<OutgoingMessage> messages;
    for (size_t k : ks) {
      const v1::Delivery& d = items[k].delivery;
      messages.push_back({d.id(), d.channel(), items[k].text});
    }
    const auto asked = std::chrono::steady_clock::now();
    auto results = provider->SendAll(messages);
    metrics_->latency.at(provider)->Observe(
        std::chrono::duration<double>(std::chrono::steady_clock::now() - asked).count());
    for (size_t j = 0; j < ks.size(); ++j) {
      Item& item = items[ks[j]];
      const auto& sent = results[j];
      if (!sent.ok() && absl::IsUnavailable(sent.status())) {
        batch[item.at].status = sent.status();  // retried; nothing recorded
        item.fresh = false;
        continue;
      }
      item.delivery.set_status(sent.ok() ? v1::DELIVERY_STATUS_DELIVERED
                                         : v1::DELIVERY_STATUS_FAILED);
      item.delivery.set_provider_response(sent.ok() ? *sent
                                                    : std::string(sent.status().message()));
    }
  }
  // Held messages: kept with their timers before their records say so.
  if (!held.empty()) {
    if (auto s = deciding_.deferred->Hold(held); !s.ok()) {
      for (auto& item : items) {
        if (item.fresh && item.delivery.status() == v1::DELIVERY_STATUS_DEFERRED) {
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
  for (auto& item : items) {
    if (batch[item.at].status.ok()) publish(batch[item.at], item.delivery);
  }
  for (auto& [at, k] : repeats) {
    const Work& original = batch[items[k].at];
    if (original.status.ok()) {
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
  } else if (d.status() == v1::DELIVERY_STATUS_SUPPRESSED) {
    if (auto it = metrics_->held.find(d.reason()); it != metrics_->held.end()) it->second->Increment();
  } else {
    metrics_->For(d.channel(), d.status() == v1::DELIVERY_STATUS_DELIVERED).Increment();
  }
  Log().info("delivery {} template={} channel={} -> {} {}", d.id(), d.template_id(), d.channel(),
             v1::DeliveryStatus_Name(d.status()), d.provider_response().empty() ? d.reason() : d.provider_response());
}

grpc::Status NotificationGrpc::ListDeliveries(grpc::ServerContext*,
                                              const v1::ListDeliveriesRequest* req,
                                              v1::ListDeliveriesResponse* resp) {
  if (req->customer_id().empty()) {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "customer_id is required");
  }
  auto list = deliveries_.ListByCustomer(req->customer_id(), max_page_size_);
  if (!list.ok()) return ToGrpc(list.status());
  for (auto& d : *list) *resp->add_deliveries() = std::move(d);
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

absl::StatusOr<std::vector<std::optional<customer::v1::CustomerProfile>>> OwnerBook::GetAll(
    const std::vector<std::string>& customer_ids) {
  std::vector<std::string> keys;
  for (const auto& c : customer_ids) keys.push_back(OwnerKey(c));
  auto sealed = store_.GetAll(keys);
  if (!sealed.ok()) return sealed.status();
  std::vector<std::optional<customer::v1::CustomerProfile>> out(customer_ids.size());
  for (size_t i = 0; i < customer_ids.size(); ++i) {
    if (!(*sealed)[i]) continue;
    auto plain = vault_.Open(customer_ids[i], *(*sealed)[i]);
    if (!plain.ok()) return plain.status();
    customer::v1::CustomerProfile profile;
    if (!profile.ParseFromString(*plain)) {
      return absl::DataLossError("an owner record opened but is not a profile");
    }
    out[i] = std::move(profile);
  }
  return out;
}

absl::Status OwnerBook::Forget(const std::string& customer_id) {
  return store_.Erase({OwnerKey(customer_id)});
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
    commands.emplace_back(DeferredKey(h.delivery_id), h.command);
    timers.push_back({timers_.layout().PartitionOf(h.customer_id), h.delivery_id, h.at});
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
