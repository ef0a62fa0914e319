#pragma once

#include <atomic>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <map>
#include <set>
#include <memory>
#include <vector>

#include "app/journey_store.h"
#include "domain/playbook.h"
#include "mot/common/alarm.h"
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

// The playbook in force, replaced at run time by a valid new one only.
class LivePlaybook {
 public:
  // `text`: the file's text `initial` was read from.
  explicit LivePlaybook(Playbook initial, std::string path = "", std::string text = "");
  std::shared_ptr<const Playbook> Get() const;
  // Reads the file again: a valid playbook replaces the one in force; a broken one
  // is refused with the error naming the file, step and field (the old one stays).
  // Whether it changed (a different text).
  absl::StatusOr<bool> Reload();
  const std::string& path() const { return path_; }

 private:
  const std::string path_;
  mutable std::mutex mu_;
  std::shared_ptr<const Playbook> current_;
  std::string text_;  // the text in force (or last refused), to notice a change
};

// Declared once; handlers keep references.
struct SchedulerMetrics {
  // Touchpoints by step and what became of them: planned, fired, moved, cancelled, failed.
  prometheus::Family<prometheus::Counter>& touchpoints;
  prometheus::Family<prometheus::Counter>& reloads;  // by result: ok, refused
  prometheus::Family<prometheus::Gauge>& playbook;   // 1 for the version in force
  prometheus::Counter& profiles;
  prometheus::Counter& calendar_planned;
  void Count(const std::string& step, const char* status, double n = 1) {
    touchpoints.Add({{"step", step}, {"status", status}}).Increment(n);
  }
  prometheus::Counter& events;
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
  LifecycleHandler(const LivePlaybook& playbook, JourneyStore& store, const Clock& clock,
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
  // Plans decoded events, each of the batch's message at its index (sets its status).
  void HandleEvents(const Playbook& playbook,
                    std::vector<std::pair<size_t, lifecycle::v1::LifecycleEvent>>& events,
                    std::vector<Work>& batch, TimePoint now);

 private:
  struct Planned {
    std::vector<size_t> events;  // indexes into the batch
    std::vector<size_t> owner;   // per touchpoint, its event's index into the batch
    std::vector<PlannedTouchpoint> touchpoints;
    std::vector<CustomerUpdate> updates;
    std::vector<Amendment> amendments;  // made before the touchpoints are stored
    std::set<std::string> customers;
  };
  // Stores what the events of `segment` planned and sends what is due now.
  absl::Status Store(Planned& segment, std::vector<Work>& batch, TimePoint now);

  const LivePlaybook& playbook_;
  JourneyStore& store_;
  const Clock& clock_;
  const PlanningLimits limits_;
  SchedulerMetrics& metrics_;
  std::function<void(TimePoint)> planned_;
};

// Consumes mot.customer.v1: keeps what the scheduler plans with of each profile.
class ProfileHandler {
 public:
  ProfileHandler(JourneyStore& store, const Clock& clock, SchedulerMetrics& metrics)
      : store_(store), clock_(clock), metrics_(metrics) {}
  void HandleBatch(std::vector<Work>& batch);

 private:
  JourneyStore& store_;
  const Clock& clock_;
  SchedulerMetrics& metrics_;
};

// InvalidArgument naming the field of a profile that is wrong.
absl::Status ValidateProfile(const customer::v1::CustomerProfile& profile);

struct CalendarOptions {
  std::chrono::milliseconds interval{std::chrono::hours(1)};
  int batch = 500;  // customers per round trip
  // The partitions this replica plans for (its dispatcher's); empty: all.
  std::vector<int> partitions;
};

// Plans the calendar steps (festivals, birthdays) for every customer on the dates
// within the playbook's plan_ahead, a batch of customers at a time on its own
// thread, so event processing never waits for it. Deterministic ids make every
// pass idempotent: each owner gets each date's touchpoint once.
class CalendarPlanner {
 public:
  CalendarPlanner(const LivePlaybook& playbook, JourneyStore& store, const Clock& clock,
                  CalendarOptions options, SchedulerMetrics& metrics,
                  std::function<void(TimePoint earliest_due)> planned = nullptr)
      : playbook_(playbook),
        store_(store),
        clock_(clock),
        options_(options),
        metrics_(metrics),
        planned_(std::move(planned)) {}
  // One pass over every customer; the touchpoints stored (new or not).
  absl::StatusOr<int64_t> Pass(const std::atomic<bool>* stop = nullptr);
  // A pass at start, every interval, and when woken.
  void Run(const std::atomic<bool>& stop);
  void Wake();

 private:
  const LivePlaybook& playbook_;
  JourneyStore& store_;
  const Clock& clock_;
  const CalendarOptions options_;
  SchedulerMetrics& metrics_;
  std::function<void(TimePoint)> planned_;
  Alarm alarm_;
};

// Every `interval`, and at once on SIGHUP (blocked in every thread by the caller),
// reloads the playbook file when its text changed; then calls `reloaded`.
void WatchPlaybook(LivePlaybook& playbook, std::chrono::milliseconds interval,
                   SchedulerMetrics& metrics, const std::function<void()>& reloaded,
                   const std::atomic<bool>& stop);

// Consumes the other services' domain events and moves touchpoints to DONE/FAILED
// (a batch in one round trip).
// With a playbook and a LifecycleHandler, the domain events that trigger a step
// (TriggerOf: ticket.resolved, survey.detractor ...) are planned too.
class OutcomeHandler {
 public:
  OutcomeHandler(JourneyStore& store, const Clock& clock, const LivePlaybook* playbook = nullptr,
                 LifecycleHandler* triggers = nullptr)
      : store_(store), clock_(clock), playbook_(playbook), triggers_(triggers) {}
  void HandleBatch(std::vector<Work>& batch);
  absl::Status Handle(const Incoming& in) { return HandleOne(*this, in, none_); }
  absl::Status Handle(const Incoming& in, Publisher& out) { return HandleOne(*this, in, out); }

 private:
  NoPublisher none_;
  JourneyStore& store_;
  const Clock& clock_;
  const LivePlaybook* playbook_;
  LifecycleHandler* triggers_;
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
  Alarm alarm_;
};

class SchedulerGrpc final : public v1::SchedulerService::Service {
 public:
  SchedulerGrpc(const LivePlaybook& playbook, JourneyStore& store, Publisher& publisher,
                const Clock& clock, PlanningLimits limits, SchedulerMetrics& metrics)
      : playbook_(playbook),
        store_(store),
        publisher_(publisher),
        clock_(clock),
        limits_(limits),
        metrics_(metrics) {}
  grpc::Status GetJourney(grpc::ServerContext*, const v1::GetJourneyRequest* req,
                          v1::GetJourneyResponse* resp) override;
  grpc::Status GetStage(grpc::ServerContext*, const v1::GetStageRequest* req,
                        v1::GetStageResponse* resp) override;
  grpc::Status CancelTouchpoint(grpc::ServerContext*, const v1::CancelTouchpointRequest* req,
                                v1::Touchpoint* resp) override;
  grpc::Status RescheduleTouchpoint(grpc::ServerContext*,
                                    const v1::RescheduleTouchpointRequest* req,
                                    v1::Touchpoint* resp) override;
  grpc::Status ValidatePlaybook(grpc::ServerContext*, const v1::ValidatePlaybookRequest* req,
                                v1::ValidatePlaybookResponse* resp) override;
  grpc::Status SimulateJourney(grpc::ServerContext*, const v1::SimulateJourneyRequest* req,
                               v1::SimulateJourneyResponse* resp) override;
  grpc::Status IngestEvent(grpc::ServerContext*, const v1::IngestEventRequest* req,
                           v1::IngestEventResponse* resp) override;

 private:
  const LivePlaybook& playbook_;
  JourneyStore& store_;
  Publisher& publisher_;
  const Clock& clock_;
  const PlanningLimits limits_;
  SchedulerMetrics& metrics_;
};

// The simulation a SimulateJourney request asks for; InvalidArgument naming the
// field that is wrong.
absl::StatusOr<std::vector<v1::Touchpoint>> SimulateRequest(const Playbook& playbook,
                                                             const v1::SimulateJourneyRequest& req);

std::unique_ptr<SchedulerMetrics> MakeSchedulerMetrics(prometheus::Registry& registry);

}  // namespace mot::scheduler
