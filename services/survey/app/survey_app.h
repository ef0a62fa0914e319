#pragma once

#include "domain/catalogue.h"
#include "mot/common/kafka.h"
#include "mot/common/record_store.h"
#include "mot/survey/v1/survey.grpc.pb.h"

namespace mot::survey {

// Consumes CreateSurveyCommand: creates the instance once (idempotent by command
// id), then publishes SurveyEvent CREATED on mot.survey.v1.
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

class SurveyGrpc final : public v1::SurveyService::Service {
 public:
  SurveyGrpc(RecordStore& store, int max_page_size)
      : instances_(store), max_page_size_(max_page_size) {}
  grpc::Status ListSurveyInstances(grpc::ServerContext*, const v1::ListSurveyInstancesRequest* req,
                                   v1::ListSurveyInstancesResponse* resp) override;

 private:
  ProtoStore<v1::SurveyInstance> instances_;
  const int max_page_size_;
};

}  // namespace mot::survey
