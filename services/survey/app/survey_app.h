#pragma once

#include "domain/catalogue.h"
#include "mot/common/kafka.h"
#include "mot/common/record_store.h"
#include "mot/common/redis.h"
#include "mot/survey/v1/survey.grpc.pb.h"

namespace mot::survey {

// Consumes CreateSurveyCommand: creates the instance once (idempotent by command
// id), then publishes SurveyEvent CREATED on mot.survey.v1. Survey fatigue first
// (the catalogue's `fatigue`, over the owner's instances): a survey within the window
// of another is recorded SUPPRESSED with the reason (event SUPPRESSED), unless it ranks
// higher than open ones there, which are then SUPPRESSED (withdrawn) for it.
class CommandHandler {
 public:
  CommandHandler(const SurveyCatalogue& catalogue, RecordStore& store, const Clock& clock)
      : catalogue_(catalogue), instances_(store), clock_(clock) {}
  // Publishes the event through `out`.
  absl::Status Handle(const Incoming& in, Publisher& out);

 private:
  const SurveyCatalogue& catalogue_;
  ProtoStore<v1::SurveyInstance> instances_;
  const Clock& clock_;
};

// The gRPC API: instances by owner; responses (SubmitResponse: checked, once, counted
// into the running tallies of the project, stage and month in the same Redis script
// that completes the instance, so a response counts exactly once); scores.
class SurveyGrpc final : public v1::SurveyService::Service {
 public:
  struct Parts {
    RedisRecordStore& store;
    RedisClient& redis;
    const SurveyCatalogue& catalogue;
    Publisher& out;
    const Clock& clock;
    int max_page_size;
  };
  explicit SurveyGrpc(Parts parts) : parts_(parts), instances_(parts.store) {}
  grpc::Status ListSurveyInstances(grpc::ServerContext*, const v1::ListSurveyInstancesRequest* req,
                                   v1::ListSurveyInstancesResponse* resp) override;
  grpc::Status SubmitResponse(grpc::ServerContext*, const v1::SubmitResponseRequest* req,
                              v1::SubmitResponseResponse* resp) override;
  grpc::Status GetScores(grpc::ServerContext*, const v1::GetScoresRequest* req,
                         v1::GetScoresResponse* resp) override;

 private:
  // Publishes COMPLETED, and DETRACTOR for a detractor's response.
  absl::Status Announce(const v1::SurveyInstance& instance, const v1::SurveyResponse& response);
  Parts parts_;
  ProtoStore<v1::SurveyInstance> instances_;
};

// The Redis hash of the running tally of a project, stage and month.
std::string TallyKey(const std::string& project, const std::string& stage, const std::string& month);

}  // namespace mot::survey
