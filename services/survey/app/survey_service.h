#pragma once

#include <chrono>
#include <cstddef>

#include "mot/common/served.h"
#include "mot/survey/v1/survey.grpc.pb.h"
#include "survey/app/kpi.h"
#include "survey/app/responses.h"
#include "survey/domain/catalogue.h"

namespace mot::survey {

// The gRPC API: instances by owner; responses (SubmitResponse: checked, once, counted
// into the running tallies of the project, stage and month in the same Redis script
// that completes the instance, so a response counts exactly once); scores.
class SurveyGrpc final : public Served<v1::SurveyService> {
 public:
  struct Parts {
    // SubmitResponse takes answers as the survey page does: through the same Responses.
    Responses& responses;
    RedisRecordStore& store;
    RedisClient& redis;
    const SurveyCatalogue& catalogue;
    int max_page_size;
    // The KPI's event counts.
    KpiCounter& kpi;
    // ExportCustomer: how many of an owner's instances (MOT_SURVEY_OWNER_SURVEYS_MAX),
    // and how long they are kept (MOT_SURVEY_RETENTION).
    size_t max_owner_instances;
    std::chrono::milliseconds retention;
  };
  explicit SurveyGrpc(Parts parts) : parts_(parts), instances_(parts.store) {}
  grpc::Status ListSurveyInstances(grpc::ServerContext*, const v1::ListSurveyInstancesRequest* req,
                                   v1::ListSurveyInstancesResponse* resp) override;
  grpc::Status GetSurveyInstance(grpc::ServerContext*, const v1::GetSurveyInstanceRequest* req,
                                 v1::GetSurveyInstanceResponse* resp) override;
  grpc::Status SubmitResponse(grpc::ServerContext*, const v1::SubmitResponseRequest* req,
                              v1::SubmitResponseResponse* resp) override;
  // The instance as this caller may see it: the link (which lets its holder answer as
  // the owner) only for callers with the agent scope.
  static v1::SurveyInstance Shown(const grpc::ServerContextBase* ctx, v1::SurveyInstance instance);
  grpc::Status GetScores(grpc::ServerContext*, const v1::GetScoresRequest* req,
                         v1::GetScoresResponse* resp) override;
  grpc::Status GetKpi(grpc::ServerContext*, const v1::GetKpiRequest* req,
                      v1::GetKpiResponse* resp) override;
  // A subject-access request (the manager scope): customer_export.h.
  grpc::Status ExportCustomer(grpc::ServerContext* ctx, const v1::ExportCustomerRequest* req,
                              v1::ExportCustomerResponse* resp) override;

 private:
  // The tallies of `project` for `month` (YYYY-MM), every stage or one, merged.
  absl::StatusOr<Tally> TallyFor(const std::string& project, const std::string& month,
                                 const std::string& stage);
  Parts parts_;
  ProtoStore<v1::SurveyInstance> instances_;
};

}  // namespace mot::survey
