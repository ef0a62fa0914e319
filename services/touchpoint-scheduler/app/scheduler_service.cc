#include "touchpoint-scheduler/app/scheduler_service.h"

#include <memory>
#include <string>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "mot/common/gate.h"
#include "mot/common/log.h"
#include "mot/common/runtime.h"
#include "mot/common/topics.h"
#include "mot/common/validate.h"
#include "touchpoint-scheduler/domain/simulate.h"
#include "touchpoint-scheduler/domain/stage.h"

namespace mot::scheduler {

namespace {

// A manager's change done: counted by step, logged with who asked, answered.
grpc::Status Changed(absl::StatusOr<v1::Touchpoint> tp, const char* status, const std::string& who,
                     SchedulerMetrics& metrics, v1::Touchpoint* resp) {
  if (!tp.ok()) return ToGrpc(tp.status());
  metrics.Count(tp->step_id(), status);
  Log().info("touchpoint {} {} by {}", tp->id(), status, who);
  *resp = *std::move(tp);
  return grpc::Status::OK;
}

// "cancelled by manager-li as ops-console: the open day is called off": who asked, and
// the authenticated caller whose call it was when the gate knows one.
std::string ChangeNote(const char* what, const std::string& requested_by,
                       const grpc::ServerContextBase* ctx, const std::string& reason) {
  const std::string caller = CallerOf(ctx);
  return absl::StrCat(what, " by ", requested_by, caller.empty() ? "" : " as ", caller, ": ",
                      reason);
}

absl::Status RequireChange(const std::string& customer_id, const std::string& touchpoint_id,
                           const std::string& reason, const std::string& requested_by) {
  return RequireFields({{"customer_id", &customer_id},
                        {"touchpoint_id", &touchpoint_id},
                        {"reason", &reason},
                        {"requested_by", &requested_by}});
}

// "event." and the rule the event breaks: "event.customer_id is required".
grpc::Status InvalidEvent(const absl::Status& s) {
  const std::string message(s.message());
  const size_t space = message.find(' ');
  if (space == std::string::npos) return InvalidArgument("event." + message, "");
  return InvalidArgument("event." + message.substr(0, space), message.substr(space + 1));
}

}  // namespace

grpc::Status SchedulerGrpc::GetJourney(grpc::ServerContext* ctx, const v1::GetJourneyRequest* req,
                                       v1::GetJourneyResponse* resp) {
  if (req->customer_id().empty()) return InvalidArgument("customer_id", "is required");
  size_t size = 0;
  if (auto s = PageSize(req->page_size(), max_page_size_, &size); !s.ok()) return s;
  int64_t offset = 0;
  if (!req->page_token().empty() && (!absl::SimpleAtoi(req->page_token(), &offset) || offset < 0)) {
    return InvalidArgument("page_token", "is not one this service gave out");
  }
  const auto pb = playbook_.Get();
  auto facts = store_.Facts({req->customer_id()}, pb->stages());
  if (!facts.ok()) return ToGrpc(facts.status());
  const CustomerFacts& f = (*facts)[req->customer_id()];
  auto page = store_.Page(req->customer_id(), offset, size);
  if (!page.ok()) return ToGrpc(page.status());
  resp->set_customer_id(req->customer_id());
  resp->set_stage(DeriveStage(f.signed_at, f.handover_at, clock_.Now(), pb->stages()));
  resp->set_total(static_cast<int32_t>(page->total));
  for (auto& tp : page->touchpoints) *resp->add_touchpoints() = std::move(tp);
  const int64_t next = offset + static_cast<int64_t>(size);
  if (next < page->total) resp->set_next_page_token(std::to_string(next));
  return grpc::Status::OK;
}

grpc::Status SchedulerGrpc::GetStage(grpc::ServerContext* ctx, const v1::GetStageRequest* req,
                                     v1::GetStageResponse* resp) {
  if (req->customer_id().empty()) return InvalidArgument("customer_id", "is required");
  const auto pb = playbook_.Get();
  auto facts = store_.Facts({req->customer_id()}, pb->stages());
  if (!facts.ok()) return ToGrpc(facts.status());
  const CustomerFacts& f = (*facts)[req->customer_id()];
  const TimePoint at = req->has_at() ? FromProto(req->at()) : clock_.Now();
  resp->set_customer_id(req->customer_id());
  resp->set_stage(DeriveStage(f.signed_at, f.handover_at, at, pb->stages()));
  if (f.signed_at) *resp->mutable_signed_at() = ToProto(*f.signed_at);
  if (f.handover_at) *resp->mutable_handover_at() = ToProto(*f.handover_at);
  return grpc::Status::OK;
}

grpc::Status SchedulerGrpc::ExportCustomer(grpc::ServerContext*,
                                           const v1::ExportCustomerRequest* req,
                                           v1::ExportCustomerResponse* resp) {
  const std::string& id = req->customer_id();
  if (id.empty()) return InvalidArgument("customer_id", "is required");
  auto facts = store_.Facts({id}, playbook_.Get()->stages());
  if (!facts.ok()) return ToGrpc(facts.status());
  auto forgotten = store_.Forgotten({id});
  if (!forgotten.ok()) return ToGrpc(forgotten.status());
  auto journey = store_.Journey(id);
  if (!journey.ok()) return ToGrpc(journey.status());
  const CustomerFacts& f = (*facts)[id];
  resp->set_customer_id(id);
  resp->set_tier(f.tier);
  resp->set_segment(f.segment);
  resp->set_profile_type(f.profile_type);
  resp->set_time_zone(f.time_zone);
  resp->set_birth_month(f.birth_month);
  resp->set_birth_day(f.birth_day);
  resp->set_project_id(f.project_id);
  resp->set_unit_id(f.unit_id);
  if (f.signed_at) *resp->mutable_signed_at() = ToProto(*f.signed_at);
  if (f.handover_at) *resp->mutable_handover_at() = ToProto(*f.handover_at);
  for (const auto& e : f.exited) resp->add_exits(e);
  if (auto it = forgotten->find(id); it != forgotten->end())
    *resp->mutable_forgotten_at() = ToProto(it->second);
  for (auto& tp : *journey) *resp->add_touchpoints() = std::move(tp);
  return grpc::Status::OK;
}

grpc::Status SchedulerGrpc::CancelTouchpoint(grpc::ServerContext* ctx,
                                             const v1::CancelTouchpointRequest* req,
                                             v1::Touchpoint* resp) {
  if (auto s = RequireChange(req->customer_id(), req->touchpoint_id(), req->reason(),
                             req->requested_by());
      !s.ok()) {
    return ToGrpc(s);
  }
  auto tp =
      store_.Cancel(req->customer_id(), req->touchpoint_id(),
                    ChangeNote("cancelled", req->requested_by(), ctx, req->reason()), clock_.Now());
  return Changed(std::move(tp), "cancelled", req->requested_by(), metrics_, resp);
}

grpc::Status SchedulerGrpc::RescheduleTouchpoint(grpc::ServerContext* ctx,
                                                 const v1::RescheduleTouchpointRequest* req,
                                                 v1::Touchpoint* resp) {
  if (auto s = RequireChange(req->customer_id(), req->touchpoint_id(), req->reason(),
                             req->requested_by());
      !s.ok()) {
    return ToGrpc(s);
  }
  if (!req->has_due_at()) return InvalidArgument("due_at", "is required");
  const TimePoint now = clock_.Now();
  const TimePoint due = FromProto(req->due_at());
  if (due < now) return InvalidArgument("due_at", "is in the past");
  auto tp =
      store_.Reschedule(req->customer_id(), req->touchpoint_id(), due,
                        ChangeNote("rescheduled", req->requested_by(), ctx, req->reason()), now);
  return Changed(std::move(tp), "moved", req->requested_by(), metrics_, resp);
}

grpc::Status SchedulerGrpc::ValidatePlaybook(grpc::ServerContext* ctx,
                                             const v1::ValidatePlaybookRequest* req,
                                             v1::ValidatePlaybookResponse* resp) {
  if (req->playbook().empty()) return InvalidArgument("playbook", "is required");
  auto pb = Playbook::FromYaml(req->playbook(), req->file_name());
  if (pb.ok()) {
    // As a reload checks it: against the templates the scheduler was given.
    if (auto s = playbook_.Checked(*pb); !s.ok()) {
      pb = absl::InvalidArgumentError(
          absl::StrCat(req->file_name().empty() ? "" : req->file_name() + ": ", s.message()));
    }
  }
  resp->set_valid(pb.ok());
  if (!pb.ok()) {
    resp->set_error(std::string(pb.status().message()));
    return grpc::Status::OK;
  }
  resp->set_version(pb->version());
  resp->set_steps(static_cast<int32_t>(pb->steps().size()));
  return grpc::Status::OK;
}

grpc::Status SchedulerGrpc::SimulateJourney(grpc::ServerContext* ctx,
                                            const v1::SimulateJourneyRequest* req,
                                            v1::SimulateJourneyResponse* resp) {
  std::shared_ptr<const Playbook> pb = playbook_.Get();
  if (!req->playbook().empty()) {
    auto given = Playbook::FromYaml(req->playbook());
    if (!given.ok()) return InvalidArgument("playbook:", std::string(given.status().message()));
    pb = std::make_shared<const Playbook>(*std::move(given));
  }
  auto journey = SimulateRequest(*pb, *req);
  if (!journey.ok()) return ToGrpc(journey.status());
  resp->set_playbook_version(pb->version());
  for (auto& tp : *journey) *resp->add_touchpoints() = std::move(tp);
  return grpc::Status::OK;
}

grpc::Status SchedulerGrpc::IngestEvent(grpc::ServerContext* ctx, const v1::IngestEventRequest* req,
                                        v1::IngestEventResponse* resp) {
  lifecycle::v1::LifecycleEvent event = req->event();
  if (auto s = intake_.Check(event); !s.ok()) return InvalidEvent(s);
  // A message the broker can never take is INVALID_ARGUMENT (not retried); only a
  // broker that cannot take it now is UNAVAILABLE.
  if (auto s = intake_.Publish({event}, CallerOf(ctx)).front(); !s.ok()) return ToGrpc(s);
  resp->set_event_id(event.event_id());
  return grpc::Status::OK;
}
}  // namespace mot::scheduler
