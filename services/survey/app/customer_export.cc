#include "survey/app/customer_export.h"

#include <vector>

#include "survey/app/survey_records.h"
#include "survey/domain/retention.h"

namespace mot::survey {

absl::StatusOr<v1::ExportCustomerResponse> ExportCustomer(RecordStore& store,
                                                          const std::string& customer_id,
                                                          size_t max_instances,
                                                          std::chrono::milliseconds retention) {
  auto instances = ProtoStore<v1::SurveyInstance>(store).ListByCustomer(customer_id, max_instances);
  if (!instances.ok()) return instances.status();
  std::vector<std::string> keys;
  for (const auto& i : *instances) keys.push_back(ResponseKey(i.id()));
  auto responses = ProtoStore<v1::SurveyResponse>(store).GetAll(keys);
  if (!responses.ok()) return responses.status();
  v1::ExportCustomerResponse out;
  for (size_t k = 0; k < instances->size(); ++k) {
    auto& instance = (*instances)[k];
    (*out.mutable_retained_until())[instance.id()] = ToProto(RetainedUntil(instance, retention));
    auto* survey = out.add_surveys();
    *survey->mutable_instance() = std::move(instance);
    if ((*responses)[k]) *survey->mutable_response() = std::move(*(*responses)[k]);
  }
  return out;
}

}  // namespace mot::survey
