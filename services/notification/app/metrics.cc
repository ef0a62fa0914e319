#include "notification/app/metrics.h"

#include "notification/domain/delivery_attempts.h"
#include "prometheus/counter.h"
#include "prometheus/histogram.h"
#include "prometheus/registry.h"

namespace mot::notification {

CommandMetrics::CommandMetrics(prometheus::Registry& registry,
                               const std::map<std::string, Provider*>& providers) {
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
                        .Help(
                            "Messages not sent when asked: deferred (quiet_hours), "
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
                      .Help(
                          "From a batch's requests to each provider's answers (the batch's "
                          "messages go out concurrently), by channel.")
                      .Register(registry);
  for (const auto& [channel, provider] : providers) {
    latency[provider] = &answers.Add({{"channel", channel}},
                                     prometheus::Histogram::BucketBoundaries{
                                         0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10});
  }
}

prometheus::Counter& CommandMetrics::For(const std::string& channel, bool delivered) {
  auto it = by_channel.find(channel);
  if (it == by_channel.end()) return *unknown_channel;
  return delivered ? *it->second.first : *it->second.second;
}

namespace {
prometheus::Family<prometheus::Counter>& OwnerRecords(prometheus::Registry& registry) {
  return prometheus::BuildCounter()
      .Name("mot_notification_owner_records_total")
      .Help(
          "Owners' contact records kept (sealed) from profiles, and erased when "
          "the owner was forgotten.")
      .Register(registry);
}
}  // namespace

OwnerMetrics::OwnerMetrics(prometheus::Registry& registry) : OwnerMetrics(OwnerRecords(registry)) {}

OwnerMetrics::OwnerMetrics(prometheus::Family<prometheus::Counter>& family)
    : kept(family.Add({{"change", "kept"}})), forgotten(family.Add({{"change", "forgotten"}})) {}

namespace {
prometheus::Family<prometheus::Counter>& Erasures(prometheus::Registry& registry) {
  return prometheus::BuildCounter()
      .Name("mot_notification_erasures_total")
      .Help(
          "What was erased when owners were forgotten: contact_record (the sealed "
          "profile), preferences, delivery (a record's provider answers), deferred_send "
          "(a command held for later).")
      .Register(registry);
}
}  // namespace

ErasureMetrics::ErasureMetrics(prometheus::Registry& registry)
    : ErasureMetrics(Erasures(registry)) {}

ErasureMetrics::ErasureMetrics(prometheus::Family<prometheus::Counter>& family)
    : contact_record(family.Add({{"what", "contact_record"}})),
      preferences(family.Add({{"what", "preferences"}})),
      delivery(family.Add({{"what", "delivery"}})),
      deferred_send(family.Add({{"what", "deferred_send"}})) {}

}  // namespace mot::notification
