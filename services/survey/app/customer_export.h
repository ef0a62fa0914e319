#pragma once

#include <chrono>
#include <cstddef>
#include <string>

#include "absl/status/statusor.h"
#include "mot/common/record_store.h"
#include "mot/survey/v1/survey.pb.h"

namespace mot::survey {

// What the survey holds about one owner, for a subject-access request (ExportCustomer):
// each of their instances (at most `max_instances`, oldest first) with its response, the
// answers in clear, and when the store deletes each (RetainedUntil with `retention`).
// The links are as stored: the gRPC handler hides them from callers without the agent
// scope.
absl::StatusOr<v1::ExportCustomerResponse> ExportCustomer(RecordStore& store,
                                                          const std::string& customer_id,
                                                          size_t max_instances,
                                                          std::chrono::milliseconds retention);

}  // namespace mot::survey
