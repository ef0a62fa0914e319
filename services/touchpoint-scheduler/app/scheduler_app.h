#pragma once

#include <atomic>
#include <memory>

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

// Declared once; handlers keep references (no Family::Add on the hot path but
// the per-service dispatched counter).
struct SchedulerMetrics {
  prometheus::Counter& events;
  prometheus::Counter& planned;
  std::map<std::string, prometheus::Counter*> dispatched;  // by service
  prometheus::Gauge& pending;
  prometheus::Histogram& lag;
};

// Consumes mot.lifecycle.v1: validates the event, records signing/handover
// milestones, and stores every touchpoint the playbook plans for it.
class LifecycleHandler {
 public:
  LifecycleHandler(const Playbook& playbook, JourneyStore& store, SchedulerMetrics& metrics)
      : playbook_(playbook), store_(store), metrics_(metrics) {}
  absl::Status Handle(const Incoming& in);

 private:
  const Playbook& playbook_;
  JourneyStore& store_;
  SchedulerMetrics& metrics_;
};

// Consumes the other services' domain events and moves touchpoints to DONE/FAILED.
class OutcomeHandler {
 public:
  OutcomeHandler(JourneyStore& store, const Clock& clock) : store_(store), clock_(clock) {}
  absl::Status Handle(const Incoming& in);

 private:
  JourneyStore& store_;
  const Clock& clock_;
};

struct DispatcherOptions {
  std::chrono::milliseconds tick{1000};
  std::chrono::milliseconds claim_lease{30000};
  int batch = 100;
};

// The timer wheel: every tick, claims the due touchpoints and sends their commands.
class Dispatcher {
 public:
  Dispatcher(JourneyStore& store, Publisher& publisher, const Clock& clock,
             DispatcherOptions options, SchedulerMetrics& metrics)
      : store_(store), publisher_(publisher), clock_(clock), options_(options),
        metrics_(metrics) {}
  // One pass; returns how many touchpoints it dispatched.
  absl::StatusOr<int> DispatchDue();
  void Run(const std::atomic<bool>& stop);

 private:
  JourneyStore& store_;
  Publisher& publisher_;
  const Clock& clock_;
  const DispatcherOptions options_;
  SchedulerMetrics& metrics_;
};

class SchedulerGrpc final : public v1::SchedulerService::Service {
 public:
  SchedulerGrpc(const Playbook& playbook, JourneyStore& store, Publisher& publisher,
                const Clock& clock)
      : playbook_(playbook), store_(store), publisher_(publisher), clock_(clock) {}
  grpc::Status GetJourney(grpc::ServerContext*, const v1::GetJourneyRequest* req,
                          v1::GetJourneyResponse* resp) override;
  grpc::Status IngestEvent(grpc::ServerContext*, const v1::IngestEventRequest* req,
                           v1::IngestEventResponse* resp) override;

 private:
  const Playbook& playbook_;
  JourneyStore& store_;
  Publisher& publisher_;
  const Clock& clock_;
};

std::unique_ptr<SchedulerMetrics> MakeSchedulerMetrics(prometheus::Registry& registry);

}  // namespace mot::scheduler
