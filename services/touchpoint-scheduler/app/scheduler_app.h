#pragma once

#include <atomic>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <map>
#include <memory>
#include <vector>

#include "app/journey_store.h"
#include "domain/playbook.h"
#include "mot/common/clock.h"
#include "mot/common/kafka.h"
#include "mot/scheduler/v1/scheduler.grpc.pb.h"

#include "prometheus/counter.h"
#include "prometheus/gauge.h"
#include "prometheus/histogram.h"
#include "prometheus/registry.h"

namespace mot::scheduler {

// Why a dispatch did not go through (the label of mot_scheduler_dispatch_failures_total).
enum class DispatchFailure { kRejected, kMissing, kUnavailable, kLeaseLost, kStore };

// Declared once; handlers keep references.
struct SchedulerMetrics {
  prometheus::Counter& events;
  prometheus::Counter& ignored;
  prometheus::Counter& planned;
  std::map<std::string, prometheus::Counter*> dispatched;  // by service
  std::map<DispatchFailure, prometheus::Counter*> failures;  // by reason
  prometheus::Gauge& pending;
  prometheus::Gauge& oldest_due_age;
  prometheus::Histogram& lag;
};

// What the scheduler accepts from publishers.
struct PlanningLimits {
  EventWindow window;
  // The largest command the scheduler stores and sends; more is refused when planned.
  size_t max_command_bytes = 900'000;
};

// The command topic of the service a touchpoint acts through; empty for none.
std::string CommandTopic(const std::string& service);

// InvalidArgument naming the step whose command is over the limit.
absl::Status CheckPlanned(const std::vector<PlannedTouchpoint>& planned,
                          const PlanningLimits& limits);

// Consumes mot.lifecycle.v1: validates the event, records signing/handover
// milestones, and stores every touchpoint the playbook plans for it (a batch of
// events in two round trips). A touchpoint already due is stored DISPATCHED and its
// command published with the event's handling (no timer: the event's offset is
// stored once the command is acknowledged); the others are armed, and `planned`
// hears of the earliest due time among them.
class LifecycleHandler {
 public:
  LifecycleHandler(const Playbook& playbook, JourneyStore& store, const Clock& clock,
                   PlanningLimits limits, SchedulerMetrics& metrics,
                   std::function<void(TimePoint earliest_due)> planned = nullptr)
      : playbook_(playbook),
        store_(store),
        clock_(clock),
        limits_(limits),
        metrics_(metrics),
        planned_(std::move(planned)) {}
  void HandleBatch(std::vector<Work>& batch);
  absl::Status Handle(const Incoming& in, Publisher& out) { return HandleOne(*this, in, out); }

 private:
  const Playbook& playbook_;
  JourneyStore& store_;
  const Clock& clock_;
  const PlanningLimits limits_;
  SchedulerMetrics& metrics_;
  std::function<void(TimePoint)> planned_;
};

// Consumes the other services' domain events and moves touchpoints to DONE/FAILED
// (a batch in one round trip).
class OutcomeHandler {
 public:
  OutcomeHandler(JourneyStore& store, const Clock& clock) : store_(store), clock_(clock) {}
  void HandleBatch(std::vector<Work>& batch);
  absl::Status Handle(const Incoming& in) { return HandleOne(*this, in, none_); }

 private:
  NoPublisher none_;
  JourneyStore& store_;
  const Clock& clock_;
};

struct DispatcherOptions {
  std::chrono::milliseconds tick{1000};
  // Longer than the producer's delivery timeout: a claim outlives a slow publish.
  std::chrono::milliseconds claim_lease{60000};
  int batch = 100;
  // A touchpoint whose command could not be sent (broker down) tries again after
  // retry_initial, doubling up to retry_max.
  std::chrono::milliseconds retry_initial{1000};
  std::chrono::milliseconds retry_max{std::chrono::minutes(10)};
  // The timer partitions this replica serves; empty: all.
  std::vector<int> partitions;
};

// "0-3,7" -> {0,1,2,3,7}, each below `count`; "" or "all" -> every partition.
absl::StatusOr<std::vector<int>> ParsePartitions(const std::string& text, int count);

// The timer wheel: every tick (and when woken), claims due touchpoints of all its
// partitions in batches, sends their commands together, and settles each: dispatched, failed for
// good (FAILED with the reason; the others go on), or retried later with backoff.
class Dispatcher {
 public:
  Dispatcher(JourneyStore& store, Publisher& publisher, const Clock& clock,
             DispatcherOptions options, SchedulerMetrics& metrics);
  // One pass over this replica's partitions; how many touchpoints it dispatched and
  // whether a partition had more due than one batch.
  struct Pass {
    int dispatched = 0;
    bool more = false;
  };
  absl::StatusOr<Pass> DispatchDue();
  // Passes every tick, and at once when woken.
  void Run(const std::atomic<bool>& stop);
  // A touchpoint due at `due` was stored: if that is before the next tick, the next
  // pass starts now (a welcome goes out in milliseconds, not at the next tick).
  void Planned(TimePoint due);

 private:
  // Claims what is due on every partition of this replica at once, sends it together
  // and settles it.
  absl::StatusOr<Pass> DispatchClaimed(TimePoint now);
  void Fail(DispatchFailure why, double n = 1);

  JourneyStore& store_;
  Publisher& publisher_;
  const Clock& clock_;
  const DispatcherOptions options_;
  SchedulerMetrics& metrics_;
  std::vector<int> partitions_;
  const std::string replica_;  // random: claim tokens are replica:sequence
  uint64_t claims_ = 0;
  std::chrono::steady_clock::time_point stats_at_{};  // when the gauges were last read
  std::mutex wake_mu_;
  std::condition_variable wake_cv_;
  bool woken_ = false;
};

class SchedulerGrpc final : public v1::SchedulerService::Service {
 public:
  SchedulerGrpc(const Playbook& playbook, JourneyStore& store, Publisher& publisher,
                const Clock& clock, PlanningLimits limits)
      : playbook_(playbook), store_(store), publisher_(publisher), clock_(clock), limits_(limits) {}
  grpc::Status GetJourney(grpc::ServerContext*, const v1::GetJourneyRequest* req,
                          v1::GetJourneyResponse* resp) override;
  grpc::Status IngestEvent(grpc::ServerContext*, const v1::IngestEventRequest* req,
                           v1::IngestEventResponse* resp) override;

 private:
  const Playbook& playbook_;
  JourneyStore& store_;
  Publisher& publisher_;
  const Clock& clock_;
  const PlanningLimits limits_;
};

std::unique_ptr<SchedulerMetrics> MakeSchedulerMetrics(prometheus::Registry& registry);

}  // namespace mot::scheduler
