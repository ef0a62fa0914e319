#include "app/scheduler_app.h"

#include <thread>

#include "mot/common/codec.h"
#include "mot/common/log.h"
#include "mot/common/runtime.h"
#include "prometheus/counter.h"
#include "prometheus/gauge.h"
#include "prometheus/histogram.h"
#include "prometheus/registry.h"

namespace mot::scheduler {


std::unique_ptr<SchedulerMetrics> MakeSchedulerMetrics(prometheus::Registry& r) {
  auto& dispatched = prometheus::BuildCounter()
                         .Name("mot_scheduler_touchpoints_dispatched_total")
                         .Help("Touchpoint commands sent to the owning service.")
                         .Register(r);
  std::map<std::string, prometheus::Counter*> by_service;
  for (const auto& service : ActionServices()) {
    by_service[service] = &dispatched.Add({{"service", service}});
  }
  return std::unique_ptr<SchedulerMetrics>(new SchedulerMetrics{
      prometheus::BuildCounter()
          .Name("mot_scheduler_events_total")
          .Help("Lifecycle events accepted.")
          .Register(r)
          .Add({}),
      prometheus::BuildCounter()
          .Name("mot_scheduler_touchpoints_planned_total")
          .Help("Touchpoints planned from lifecycle events (redeliveries included).")
          .Register(r)
          .Add({}),
      std::move(by_service),
      prometheus::BuildGauge()
          .Name("mot_scheduler_pending_timers")
          .Help("Touchpoints scheduled and not yet dispatched.")
          .Register(r)
          .Add({}),
      prometheus::BuildHistogram()
          .Name("mot_scheduler_dispatch_lag_seconds")
          .Help("Time from a touchpoint's due time to its dispatch.")
          .Register(r)
          .Add({}, prometheus::Histogram::BucketBoundaries{0.1, 0.5, 1, 2, 5, 10, 30, 60, 300,
                                                           3600, 86400, 604800})});
}

absl::Status LifecycleHandler::Handle(const Incoming& in) {
  lifecycle::v1::LifecycleEvent event;
  if (auto s = DecodeMessage(in, &event); !s.ok()) return s;
  if (auto s = ValidateEvent(event); !s.ok()) return s;
  const auto& stages = playbook_.stages();
  if (event.type() == stages.signing_event || event.type() == stages.handover_event) {
    auto s = store_.RecordMilestone(event.customer_id(), event.type(),
                                    FromProto(event.occurred_at()));
    if (!s.ok()) return s;
  }
  auto planned = Plan(playbook_, event);
  for (const auto& p : planned) {
    if (auto s = store_.Schedule(p); !s.ok()) return s;
  }
  metrics_.events.Increment();
  metrics_.planned.Increment(static_cast<double>(planned.size()));
  Log().info("event {} type={} planned {} touchpoints", event.event_id(), event.type(),
             planned.size());
  return absl::OkStatus();
}

absl::Status OutcomeHandler::Handle(const Incoming& in) {
  std::optional<Outcome> outcome;
  if (in.topic == kTicketEventsTopic) {
    ticketing::v1::TicketEvent e;
    if (auto s = DecodeMessage(in, &e); !s.ok()) return s;
    outcome = OutcomeOf(e);
  } else if (in.topic == kNotificationEventsTopic) {
    notification::v1::NotificationEvent e;
    if (auto s = DecodeMessage(in, &e); !s.ok()) return s;
    outcome = OutcomeOf(e);
  } else if (in.topic == kSurveyEventsTopic) {
    survey::v1::SurveyEvent e;
    if (auto s = DecodeMessage(in, &e); !s.ok()) return s;
    outcome = OutcomeOf(e);
  }
  if (!outcome) return absl::OkStatus();
  return store_.Advance(*outcome, clock_.Now());
}

absl::StatusOr<int> Dispatcher::DispatchDue() {
  const TimePoint now = clock_.Now();
  auto due = store_.Due(now, options_.batch);
  if (!due.ok()) return due.status();
  int sent = 0;
  for (const auto& id : *due) {
    auto claimed = store_.Claim(id, options_.claim_lease);
    if (!claimed.ok()) return claimed.status();
    if (!claimed->has_value()) continue;  // another replica has it
    const PlannedTouchpoint& p = **claimed;
    if (auto s = publisher_.Publish(p.topic, p.key, p.payload); !s.ok()) {
      (void)store_.Release(id);
      return s;
    }
    if (auto s = store_.Dispatched(id, now); !s.ok()) return s;
    if (auto it = metrics_.dispatched.find(p.touchpoint.service());
        it != metrics_.dispatched.end()) {
      it->second->Increment();
    }
    metrics_.lag.Observe(
        std::chrono::duration<double>(now - FromProto(p.touchpoint.due_at())).count());
    ++sent;
  }
  if (auto pending = store_.PendingTimers(); pending.ok()) {
    metrics_.pending.Set(static_cast<double>(*pending));
  }
  return sent;
}

void Dispatcher::Run(const std::atomic<bool>& stop) {
  bool failing = false;  // log the first failure and the recovery, not every tick
  while (!stop.load()) {
    auto sent = DispatchDue();
    if (!sent.ok() && !failing) {
      Log().warn("dispatch failing, retrying every tick: {}", sent.status().message());
    } else if (sent.ok() && failing) {
      Log().info("dispatch recovered");
    }
    failing = !sent.ok();
    if (sent.ok() && *sent == options_.batch) continue;  // more may be due right now
    for (auto waited = std::chrono::milliseconds(0); waited < options_.tick && !stop.load();
         waited += std::chrono::milliseconds(50)) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  }
}

grpc::Status SchedulerGrpc::GetJourney(grpc::ServerContext*, const v1::GetJourneyRequest* req,
                                       v1::GetJourneyResponse* resp) {
  if (req->customer_id().empty()) {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "customer_id is required");
  }
  const auto& stages = playbook_.stages();
  auto signed_at = store_.Milestone(req->customer_id(), stages.signing_event);
  if (!signed_at.ok()) return ToGrpc(signed_at.status());
  auto handover_at = store_.Milestone(req->customer_id(), stages.handover_event);
  if (!handover_at.ok()) return ToGrpc(handover_at.status());
  auto journey = store_.Journey(req->customer_id());
  if (!journey.ok()) return ToGrpc(journey.status());
  resp->set_customer_id(req->customer_id());
  resp->set_stage(DeriveStage(*signed_at, *handover_at, clock_.Now(), stages));
  for (auto& tp : *journey) *resp->add_touchpoints() = std::move(tp);
  return grpc::Status::OK;
}

grpc::Status SchedulerGrpc::IngestEvent(grpc::ServerContext*, const v1::IngestEventRequest* req,
                                        v1::IngestEventResponse* resp) {
  lifecycle::v1::LifecycleEvent event = req->event();
  if (!event.has_occurred_at()) *event.mutable_occurred_at() = ToProto(clock_.Now());
  if (auto s = ValidateEvent(event); !s.ok()) {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                        "event." + std::string(s.message()));
  }
  auto s = publisher_.Publish(kLifecycleTopic, event.customer_id(), event.SerializeAsString(),
                              {{"content-type", "application/protobuf"}});
  if (!s.ok()) return ToGrpc(s);
  resp->set_event_id(event.event_id());
  return grpc::Status::OK;
}

}  // namespace mot::scheduler
