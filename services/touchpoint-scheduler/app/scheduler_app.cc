#include "app/scheduler_app.h"

#include "app/cloudevents.h"

#include <random>
#include <thread>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "mot/common/codec.h"
#include "mot/common/topics.h"
#include "mot/common/log.h"
#include "mot/common/runtime.h"

namespace mot::scheduler {
namespace {

const char* FailureLabel(DispatchFailure f) {
  switch (f) {
    case DispatchFailure::kRejected:
      return "rejected";  // the broker or producer refuses the command for good
    case DispatchFailure::kMissing:
      return "missing";  // the stored touchpoint or command is gone or unreadable
    case DispatchFailure::kUnavailable:
      return "unavailable";  // the broker could not take it now; retried with backoff
    case DispatchFailure::kLeaseLost:
      return "lease_lost";  // settled after the claim ran out
    case DispatchFailure::kStore:
      return "store";  // Redis failed during a pass
  }
  return "store";
}

std::string RandomReplicaId() {
  std::random_device rd;
  return absl::StrFormat("%08x%08x", rd(), rd());
}

}  // namespace

std::unique_ptr<SchedulerMetrics> MakeSchedulerMetrics(prometheus::Registry& r) {
  auto& dispatched = prometheus::BuildCounter()
                         .Name("mot_scheduler_touchpoints_dispatched_total")
                         .Help("Touchpoint commands sent to the owning service.")
                         .Register(r);
  std::map<std::string, prometheus::Counter*> by_service;
  for (const auto& service : ActionServices()) {
    by_service[service] = &dispatched.Add({{"service", service}});
  }
  auto& failures = prometheus::BuildCounter()
                       .Name("mot_scheduler_dispatch_failures_total")
                       .Help("Due touchpoints not dispatched, by reason (rejected and missing "
                             "ones are FAILED; unavailable ones are retried).")
                       .Register(r);
  std::map<DispatchFailure, prometheus::Counter*> by_reason;
  for (auto f : {DispatchFailure::kRejected, DispatchFailure::kMissing,
                 DispatchFailure::kUnavailable, DispatchFailure::kLeaseLost,
                 DispatchFailure::kStore}) {
    by_reason[f] = &failures.Add({{"reason", FailureLabel(f)}});
  }
  return std::unique_ptr<SchedulerMetrics>(new SchedulerMetrics{
      prometheus::BuildCounter()
          .Name("mot_scheduler_events_total")
          .Help("Lifecycle events accepted.")
          .Register(r)
          .Add({}),
      prometheus::BuildCounter()
          .Name("mot_scheduler_events_ignored_total")
          .Help("Lifecycle events of a type neither the catalogue nor the playbook knows: "
                "counted, not planned.")
          .Register(r)
          .Add({}),
      prometheus::BuildCounter()
          .Name("mot_scheduler_touchpoints_planned_total")
          .Help("Touchpoints planned from lifecycle events (redeliveries included).")
          .Register(r)
          .Add({}),
      std::move(by_service), std::move(by_reason),
      prometheus::BuildGauge()
          .Name("mot_scheduler_pending_timers")
          .Help("Touchpoint timers armed (scheduled, not yet dispatched), all partitions.")
          .Register(r)
          .Add({}),
      prometheus::BuildGauge()
          .Name("mot_scheduler_oldest_due_timer_age_seconds")
          .Help("How long the oldest due, unclaimed timer has been due (0 when none is).")
          .Register(r)
          .Add({}),
      prometheus::BuildHistogram()
          .Name("mot_scheduler_dispatch_lag_seconds")
          .Help("Time from a touchpoint's due time to its dispatch.")
          .Register(r)
          .Add({}, prometheus::Histogram::BucketBoundaries{0.1, 0.5, 1, 2, 5, 10, 30, 60, 300,
                                                           3600, 86400, 604800})});
}

std::string CommandTopic(const std::string& service) {
  if (service == "notification") return kNotificationCommandsTopic;
  if (service == "survey") return kSurveyCommandsTopic;
  if (service == "ticketing") return kTicketingCommandsTopic;
  return "";
}

absl::Status CheckPlanned(const std::vector<PlannedTouchpoint>& planned,
                          const PlanningLimits& limits) {
  for (const auto& p : planned) {
    if (p.payload.size() > limits.max_command_bytes) {
      return absl::InvalidArgumentError(absl::StrCat(
          "step '", p.touchpoint.step_id(), "': its command would be ", p.payload.size(),
          " bytes, over the limit of ", limits.max_command_bytes,
          " (MOT_SCHEDULER_MAX_COMMAND_BYTES)"));
    }
  }
  return absl::OkStatus();
}

void LifecycleHandler::HandleBatch(std::vector<Work>& batch) {
  const TimePoint now = clock_.Now();
  const auto& stages = playbook_.stages();
  std::vector<size_t> valid;
  std::vector<size_t> owner;  // per planned touchpoint, its event's index in batch
  std::vector<PlannedTouchpoint> planned;
  std::vector<MilestoneRecord> milestones;
  for (size_t i = 0; i < batch.size(); ++i) {
    lifecycle::v1::LifecycleEvent event;
    absl::Status s = DecodeLifecycleEvent(batch[i].msg, &event);
    if (s.ok()) s = ValidateEvent(event, now, limits_.window);
    if (s.ok() && !playbook_.Knows(event.type())) {
      metrics_.ignored.Increment();
      Log().info("event {} of unknown type '{}' ignored", event.event_id(), event.type());
      continue;
    }
    std::vector<PlannedTouchpoint> plan;
    if (s.ok()) {
      plan = Plan(playbook_, event);
      s = CheckPlanned(plan, limits_);
    }
    if (!s.ok()) {
      batch[i].status = s;
      continue;
    }
    if (event.type() == stages.signing_event || event.type() == stages.handover_event) {
      milestones.push_back({event.customer_id(), event.type(), FromProto(event.occurred_at())});
    }
    Log().info("event {} type={} planned {} touchpoints", event.event_id(), event.type(),
               plan.size());
    valid.push_back(i);
    owner.insert(owner.end(), plan.size(), i);
    std::move(plan.begin(), plan.end(), std::back_inserter(planned));
  }
  std::vector<bool> send_now(planned.size());
  for (size_t k = 0; k < planned.size(); ++k) {
    const auto& tp = planned[k].touchpoint;
    send_now[k] = FromProto(tp.due_at()) <= now && !CommandTopic(tp.service()).empty();
  }
  const absl::Status stored = store_.RecordMilestones(milestones, now);
  const absl::StatusOr<std::vector<bool>> sends =
      stored.ok() ? store_.ScheduleOrSend(planned, send_now, now)
                  : absl::StatusOr<std::vector<bool>>(stored);
  if (!sends.ok()) {
    for (size_t i : valid) batch[i].status = sends.status();
    return;
  }
  metrics_.events.Increment(static_cast<double>(valid.size()));
  metrics_.planned.Increment(static_cast<double>(planned.size()));
  TimePoint earliest = TimePoint::max();  // of those armed
  for (size_t k = 0; k < planned.size(); ++k) {
    const auto& tp = planned[k].touchpoint;
    if (!(*sends)[k]) {
      if (!send_now[k]) earliest = std::min(earliest, FromProto(tp.due_at()));
      continue;
    }
    // Keyed by customer, like the dispatcher's sends.
    Work& w = batch[owner[k]];
    absl::Status sent = w.out->Publish(CommandTopic(tp.service()), tp.customer_id(),
                                       planned[k].payload);
    if (!sent.ok() && w.status.ok()) w.status = sent;
    if (auto it = metrics_.dispatched.find(tp.service()); it != metrics_.dispatched.end()) {
      it->second->Increment();
    }
    metrics_.lag.Observe(std::chrono::duration<double>(now - FromProto(tp.due_at())).count());
  }
  if (planned_ && earliest != TimePoint::max()) planned_(earliest);
}

void OutcomeHandler::HandleBatch(std::vector<Work>& batch) {
  std::vector<Outcome> outcomes;
  std::vector<size_t> with_outcome;
  for (size_t i = 0; i < batch.size(); ++i) {
    const Incoming& in = batch[i].msg;
    std::optional<Outcome> outcome;
    absl::Status s;
    if (in.topic == kTicketEventsTopic) {
      ticketing::v1::TicketEvent e;
      s = DecodeMessage(in, &e);
      if (s.ok()) outcome = OutcomeOf(e);
    } else if (in.topic == kNotificationEventsTopic) {
      notification::v1::NotificationEvent e;
      s = DecodeMessage(in, &e);
      if (s.ok()) outcome = OutcomeOf(e);
    } else if (in.topic == kSurveyEventsTopic) {
      survey::v1::SurveyEvent e;
      s = DecodeMessage(in, &e);
      if (s.ok()) outcome = OutcomeOf(e);
    }
    batch[i].status = s;
    if (outcome) {
      outcomes.push_back(std::move(*outcome));
      with_outcome.push_back(i);
    }
  }
  if (auto s = store_.AdvanceAll(outcomes, clock_.Now()); !s.ok()) {
    for (size_t i : with_outcome) batch[i].status = s;
  }
}

absl::StatusOr<std::vector<int>> ParsePartitions(const std::string& text, int count) {
  std::vector<int> out;
  if (text.empty() || text == "all") {
    for (int p = 0; p < count; ++p) out.push_back(p);
    return out;
  }
  for (absl::string_view part : absl::StrSplit(text, ',')) {
    std::vector<absl::string_view> range = absl::StrSplit(part, '-');
    int lo = 0, hi = 0;
    if (range.size() > 2 || !absl::SimpleAtoi(range[0], &lo) ||
        !absl::SimpleAtoi(range.back(), &hi) || lo < 0 || hi < lo || hi >= count) {
      return absl::InvalidArgumentError(absl::StrCat(
          "'", part, "' is not a partition or range of partitions 0..", count - 1));
    }
    for (int p = lo; p <= hi; ++p) out.push_back(p);
  }
  return out;
}

Dispatcher::Dispatcher(JourneyStore& store, Publisher& publisher, const Clock& clock,
                       DispatcherOptions options, SchedulerMetrics& metrics)
    : store_(store),
      publisher_(publisher),
      clock_(clock),
      options_(std::move(options)),
      metrics_(metrics),
      replica_(RandomReplicaId()) {
  partitions_ = options_.partitions;
  if (partitions_.empty()) {
    for (int p = 0; p < store_.partitions(); ++p) partitions_.push_back(p);
  }
}

void Dispatcher::Fail(DispatchFailure why, double n) {
  if (n > 0) metrics_.failures.at(why)->Increment(n);
}

absl::StatusOr<Dispatcher::Pass> Dispatcher::DispatchClaimed(TimePoint now) {
  const std::string token = absl::StrCat(replica_, ":", ++claims_);
  auto claimed =
      store_.ClaimDueAll(partitions_, now, options_.claim_lease, options_.batch, token);
  if (!claimed.ok()) return claimed.status();
  Pass pass;
  std::map<int, int> per_partition;
  for (const auto& c : *claimed) {
    pass.more = pass.more || ++per_partition[c.partition] == options_.batch;
  }
  if (claimed->empty()) return pass;

  std::vector<Settlement> settle(claimed->size());
  std::vector<OutMessage> out;
  std::vector<size_t> sent;  // index into claimed of each message in `out`
  for (size_t i = 0; i < claimed->size(); ++i) {
    const auto& c = (*claimed)[i];
    settle[i] = Settlement{c.partition, c.id, c.token, Settlement::Kind::kDrop, "", {}};
    if (c.status != v1::TOUCHPOINT_STATUS_SCHEDULED) continue;  // cancelled, or gone
    if (!c.planned) {
      settle[i].kind = Settlement::Kind::kFailed;
      settle[i].reason = "the stored command is missing or unreadable";
      Fail(DispatchFailure::kMissing);
      Log().error("touchpoint {} failed for good: {}", c.id, settle[i].reason);
      continue;
    }
    const auto& tp = c.planned->touchpoint;
    const std::string topic = CommandTopic(tp.service());
    if (topic.empty()) {
      settle[i].kind = Settlement::Kind::kFailed;
      settle[i].reason = absl::StrCat("no command topic for service '", tp.service(), "'");
      Fail(DispatchFailure::kRejected);
      Log().error("touchpoint {} failed for good: {}", c.id, settle[i].reason);
      continue;
    }
    out.push_back({topic, tp.customer_id(), c.planned->payload, {}});  // keyed by customer
    sent.push_back(i);
  }
  const auto results = publisher_.PublishAll(out);
  for (size_t k = 0; k < sent.size(); ++k) {
    const auto& c = (*claimed)[sent[k]];
    Settlement& s = settle[sent[k]];
    const absl::Status& r = results[k];
    if (r.ok()) {
      s.kind = Settlement::Kind::kDispatched;
    } else if (absl::IsInvalidArgument(r)) {
      s.kind = Settlement::Kind::kFailed;
      s.reason = absl::StrCat("not dispatched: ", r.message());
      Fail(DispatchFailure::kRejected);
      Log().error("touchpoint {} failed for good: {}", c.id, r.message());
    } else {
      auto backoff = options_.retry_initial * (int64_t{1} << std::min(c.attempts, 20));
      s.kind = Settlement::Kind::kRetry;
      s.reason = std::string(r.message());
      s.retry_at = now + std::min<std::chrono::milliseconds>(backoff, options_.retry_max);
      Fail(DispatchFailure::kUnavailable);
      Log().warn("touchpoint {} not dispatched (attempt {}), again at {}: {}", c.id, c.attempts + 1,
                 FormatTime(s.retry_at), r.message());
    }
  }
  auto held = store_.Settle(settle, now);
  if (!held.ok()) {
    Log().warn("{} claimed touchpoints not settled (their leases run out, then they are due "
               "again): {}", settle.size(), held.status().message());
    return held.status();
  }
  for (size_t k = 0; k < sent.size(); ++k) {
    const size_t i = sent[k];
    if (settle[i].kind != Settlement::Kind::kDispatched) continue;
    if (!(*held)[i]) {
      // Sent, but the lease ran out first: another replica may send it again (the
      // owning service's idempotency absorbs that); it is not counted here.
      Fail(DispatchFailure::kLeaseLost);
      Log().warn("touchpoint {} sent after its claim ran out", (*claimed)[i].id);
      continue;
    }
    const auto& tp = (*claimed)[i].planned->touchpoint;
    if (auto it = metrics_.dispatched.find(tp.service()); it != metrics_.dispatched.end()) {
      it->second->Increment();
    }
    metrics_.lag.Observe(std::chrono::duration<double>(now - FromProto(tp.due_at())).count());
    ++pass.dispatched;
  }
  return pass;
}

absl::StatusOr<Dispatcher::Pass> Dispatcher::DispatchDue() {
  const TimePoint now = clock_.Now();
  auto pass = DispatchClaimed(now);
  if (!pass.ok()) Fail(DispatchFailure::kStore);
  // The gauges, once a tick (passes come faster when woken).
  const auto wall = std::chrono::steady_clock::now();
  if (wall - stats_at_ < options_.tick) return pass;
  stats_at_ = wall;
  if (auto stats = store_.Timers(); stats.ok()) {
    metrics_.pending.Set(static_cast<double>(stats->armed));
    const double age = stats->earliest && *stats->earliest <= now
                           ? std::chrono::duration<double>(now - *stats->earliest).count()
                           : 0.0;
    metrics_.oldest_due_age.Set(age);
  }
  return pass;
}

void Dispatcher::Planned(TimePoint due) {
  if (due > clock_.Now() + options_.tick) return;
  {
    std::lock_guard lock(wake_mu_);
    woken_ = true;
  }
  wake_cv_.notify_one();
}

void Dispatcher::Run(const std::atomic<bool>& stop) {
  bool failing = false;  // log the first failure and the recovery, not every tick
  while (!stop.load()) {
    {
      std::lock_guard lock(wake_mu_);
      woken_ = false;  // what was planned before this pass, this pass sees
    }
    auto pass = DispatchDue();
    if (!pass.ok() && !failing) {
      Log().warn("dispatch failing, retrying every tick: {}", pass.status().message());
    } else if (pass.ok() && failing) {
      Log().info("dispatch recovered");
    }
    failing = !pass.ok();
    if (pass.ok() && pass->more) continue;  // more are due right now
    // The tick is how often the wheel looks, not a due time: due times come from the
    // clock. Woken by what was just planned due, it looks at once.
    const auto until = std::chrono::steady_clock::now() + options_.tick;
    std::unique_lock lock(wake_mu_);
    while (!woken_ && !stop.load() && std::chrono::steady_clock::now() < until) {
      wake_cv_.wait_for(lock, std::min<std::chrono::steady_clock::duration>(
                                  std::chrono::milliseconds(50),
                                  until - std::chrono::steady_clock::now()));
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
  const TimePoint now = clock_.Now();
  if (!event.has_occurred_at()) *event.mutable_occurred_at() = ToProto(now);
  absl::Status s = ValidateEvent(event, now, limits_.window);
  if (s.ok()) s = CheckPlanned(Plan(playbook_, event), limits_);
  if (!s.ok()) {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "event." + std::string(s.message()));
  }
  // A message the broker can never take is INVALID_ARGUMENT (not retried); only a
  // broker that cannot take it now is UNAVAILABLE.
  s = publisher_.Publish(kLifecycleTopic, event.customer_id(), event.SerializeAsString(),
                         {{"content-type", "application/protobuf"}});
  if (!s.ok()) return ToGrpc(s);
  resp->set_event_id(event.event_id());
  return grpc::Status::OK;
}

}  // namespace mot::scheduler
