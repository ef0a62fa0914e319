#pragma once

#include <map>
#include <string>
#include <utility>

#include "notification/app/provider.h"
#include "prometheus/counter.h"
#include "prometheus/family.h"
#include "prometheus/histogram.h"
#include "prometheus/registry.h"

namespace mot::notification {

// The command consumer's handles, made once: counters for every configured channel
// exist from the start (at 0), so rates and alerts work before the first failure; the
// hot path only looks them up.
struct CommandMetrics {
  std::map<std::string, std::pair<prometheus::Counter*, prometheus::Counter*>> by_channel;
  prometheus::Counter* unknown_channel;
  std::map<std::string, prometheus::Counter*> held;     // deferred or suppressed, by reason
  std::map<Provider*, prometheus::Histogram*> latency;  // a provider's answer, by channel

  CommandMetrics(prometheus::Registry& registry, const std::map<std::string, Provider*>& providers);
  // The deliveries counter of `channel` (delivered or failed).
  prometheus::Counter& For(const std::string& channel, bool delivered);
};

// The owner consumer's handles, made once.
struct OwnerMetrics {
  prometheus::Counter& kept;
  prometheus::Counter& forgotten;
  explicit OwnerMetrics(prometheus::Registry& registry);

 private:
  explicit OwnerMetrics(prometheus::Family<prometheus::Counter>& family);
};

// The eraser's handles, made once: what it erased when an owner was forgotten.
struct ErasureMetrics {
  prometheus::Counter& contact_record;  // the sealed profile
  prometheus::Counter& preferences;     // the preferences set through the API
  prometheus::Counter& delivery;        // a delivery's record, its answers erased
  prometheus::Counter& deferred_send;   // a command held for later, dropped
  explicit ErasureMetrics(prometheus::Registry& registry);

 private:
  explicit ErasureMetrics(prometheus::Family<prometheus::Counter>& family);
};

}  // namespace mot::notification
