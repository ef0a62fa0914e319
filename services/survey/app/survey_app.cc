#include "app/survey_app.h"

#include "mot/common/clock.h"
#include "mot/common/codec.h"
#include "mot/common/topics.h"
#include "mot/common/log.h"
#include "mot/common/runtime.h"

namespace mot::survey {

absl::Status CommandHandler::Handle(const Incoming& in, Publisher& out) {
  v1::CreateSurveyCommand cmd;
  if (auto s = DecodeMessage(in, &cmd); !s.ok()) return s;
  auto instance = CreateInstance(catalogue_, cmd, clock_.Now());
  if (!instance.ok()) return instance.status();
  auto inserted = instances_.Insert(instance->id(), instance->customer_id(),
                                    ToUnixMillis(FromProto(instance->created_at())), *instance);
  if (!inserted.ok()) return inserted.status();
  if (*inserted) {
    Log().info("survey instance {} created survey={} stage={}", instance->id(),
               instance->survey_id(), instance->stage());
  }
  v1::SurveyEvent event;
  event.set_type(v1::SURVEY_EVENT_TYPE_CREATED);
  *event.mutable_instance() = *instance;
  return out.Publish(kSurveyEventsTopic, instance->customer_id(),
                            event.SerializeAsString());
}

grpc::Status SurveyGrpc::ListSurveyInstances(grpc::ServerContext*,
                                             const v1::ListSurveyInstancesRequest* req,
                                             v1::ListSurveyInstancesResponse* resp) {
  if (req->customer_id().empty()) {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "customer_id is required");
  }
  auto list = instances_.ListByCustomer(req->customer_id(), max_page_size_);
  if (!list.ok()) return ToGrpc(list.status());
  for (auto& s : *list) *resp->add_instances() = std::move(s);
  return grpc::Status::OK;
}

}  // namespace mot::survey
