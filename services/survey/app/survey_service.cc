#include "survey/app/survey_service.h"

#include "absl/time/civil_time.h"
#include "mot/common/gate.h"
#include "mot/common/runtime.h"
#include "survey/app/customer_export.h"
#include "survey/app/survey_records.h"

namespace mot::survey {

v1::SurveyInstance SurveyGrpc::Shown(const grpc::ServerContextBase* ctx,
                                     v1::SurveyInstance instance) {
  if (!CallerHas(ctx, Scope::kAgent)) instance.clear_link();
  return instance;
}

grpc::Status SurveyGrpc::SubmitResponse(grpc::ServerContext* ctx,
                                        const v1::SubmitResponseRequest* req,
                                        v1::SubmitResponseResponse* resp) {
  auto done =
      parts_.responses.Submit(req->instance_id(), req->answers(), req->actor(), CallerOf(ctx));
  if (!done.ok()) return ToGrpc(done.status());
  *resp->mutable_instance() = Shown(ctx, std::move(done->instance));
  *resp->mutable_response() = std::move(done->response);
  return grpc::Status::OK;
}

grpc::Status SurveyGrpc::GetSurveyInstance(grpc::ServerContext* ctx,
                                           const v1::GetSurveyInstanceRequest* req,
                                           v1::GetSurveyInstanceResponse* resp) {
  if (req->instance_id().empty()) return InvalidArgument("instance_id", "is required");
  auto instance = instances_.Get(req->instance_id());
  if (!instance.ok()) return ToGrpc(instance.status());
  if (!*instance)
    return grpc::Status(grpc::StatusCode::NOT_FOUND, "no survey instance " + req->instance_id());
  auto response = parts_.responses.ResponseOf(req->instance_id());
  if (!response.ok()) return ToGrpc(response.status());
  if (const SurveyDefinition* def = parts_.catalogue.Find((*instance)->survey_id())) {
    for (const auto& q : def->questions) *resp->add_questions() = QuestionToProto(q);
  }
  *resp->mutable_instance() = Shown(ctx, std::move(**instance));
  if (*response) *resp->mutable_response() = std::move(**response);
  return grpc::Status::OK;
}

absl::StatusOr<Tally> SurveyGrpc::TallyFor(const std::string& project, const std::string& month,
                                           const std::string& stage) {
  std::vector<std::vector<std::string>> cmds;
  for (const auto& s : parts_.catalogue.Stages()) {
    if (!stage.empty() && s != stage) continue;
    cmds.push_back({"HGETALL", TallyKey(project, s, month)});
  }
  auto replies = parts_.redis.Pipeline(cmds);
  if (!replies.ok()) return replies.status();
  Tally all;
  for (const auto& reply : *replies) all.Merge(TallyOfReply(reply));
  return all;
}

namespace {

// INVALID_ARGUMENT naming the field, or OK.
grpc::Status CheckProjectMonth(const std::string& project, const std::string& month) {
  if (project.empty()) return InvalidArgument("project_id", "is required");
  absl::CivilMonth m;
  if (!absl::ParseCivilTime(month, &m)) {
    return InvalidArgument("month:", "expected YYYY-MM, e.g. 2026-11");
  }
  return grpc::Status::OK;
}

}  // namespace

grpc::Status SurveyGrpc::GetScores(grpc::ServerContext* ctx, const v1::GetScoresRequest* req,
                                   v1::GetScoresResponse* resp) {
  if (auto s = CheckProjectMonth(req->project_id(), req->month()); !s.ok()) return s;
  if (!req->stage().empty() && !parts_.catalogue.Stages().count(req->stage())) {
    return InvalidArgument("stage:", "no survey's stage");
  }
  auto all = TallyFor(req->project_id(), req->month(), req->stage());
  if (!all.ok()) return ToGrpc(all.status());
  const Scores s = ScoresOf(*all);
  resp->set_responses(s.responses);
  if (s.csat_mean) resp->set_csat_mean(*s.csat_mean);
  if (s.csat_satisfied) resp->set_csat_satisfied(*s.csat_satisfied);
  if (s.nps) resp->set_nps(*s.nps);
  for (const auto& [d, g] : s.gap) (*resp->mutable_gap())[d] = g;
  if (s.overall_gap) resp->set_overall_gap(*s.overall_gap);
  return grpc::Status::OK;
}

grpc::Status SurveyGrpc::GetKpi(grpc::ServerContext* ctx, const v1::GetKpiRequest* req,
                                v1::GetKpiResponse* resp) {
  if (auto s = CheckProjectMonth(req->project_id(), req->month()); !s.ok()) return s;
  auto all = TallyFor(req->project_id(), req->month(), "");
  if (!all.ok()) return ToGrpc(all.status());
  auto counts = parts_.kpi.CountsOf(req->project_id(), req->month());
  if (!counts.ok()) return ToGrpc(counts.status());
  const Scores scores = ScoresOf(*all);
  const KpiInputs in = KpiInputsOf(*counts, scores.csat_satisfied);
  if (auto k = Kpi(parts_.catalogue.kpi_weights(), in)) resp->set_kpi(*k);
  if (in.satisfaction) resp->set_satisfaction(*in.satisfaction);
  if (in.repurchase) resp->set_repurchase(*in.repurchase);
  if (in.complaint_resolution) resp->set_complaint_resolution(*in.complaint_resolution);
  if (in.community_activity) resp->set_community_activity(*in.community_activity);
  resp->set_responses(scores.responses);
  resp->set_owners(counts->owners);
  resp->set_bought_again(counts->bought_again);
  resp->set_active_owners(counts->active);
  resp->set_complaints_opened(counts->complaints_opened);
  resp->set_complaints_resolved(counts->complaints_resolved);
  return grpc::Status::OK;
}

grpc::Status SurveyGrpc::ListSurveyInstances(grpc::ServerContext* ctx,
                                             const v1::ListSurveyInstancesRequest* req,
                                             v1::ListSurveyInstancesResponse* resp) {
  if (req->customer_id().empty()) {
    return InvalidArgument("customer_id", "is required");
  }
  auto list = instances_.ListByCustomer(req->customer_id(), parts_.max_page_size);
  if (!list.ok()) return ToGrpc(list.status());
  for (auto& s : *list) *resp->add_instances() = Shown(ctx, std::move(s));
  return grpc::Status::OK;
}

}  // namespace mot::survey

namespace mot::survey {

grpc::Status SurveyGrpc::ExportCustomer(grpc::ServerContext* ctx,
                                        const v1::ExportCustomerRequest* req,
                                        v1::ExportCustomerResponse* resp) {
  if (req->customer_id().empty()) return InvalidArgument("customer_id", "is required");
  auto exported = mot::survey::ExportCustomer(parts_.store, req->customer_id(),
                                              parts_.max_owner_instances, parts_.retention);
  if (!exported.ok()) return ToGrpc(exported.status());
  for (auto& survey : *exported->mutable_surveys()) {
    *survey.mutable_instance() = Shown(ctx, std::move(*survey.mutable_instance()));
  }
  *resp = std::move(*exported);
  return grpc::Status::OK;
}

}  // namespace mot::survey
