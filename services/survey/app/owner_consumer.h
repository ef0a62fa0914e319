#pragma once

#include "absl/status/status.h"
#include "mot/common/kafka.h"
#include "survey/app/metrics.h"
#include "survey/app/owner_eraser.h"

namespace mot::survey {

// Consumes mot.lifecycle.v1 in a group of its own (survey.owners): customer_forgotten
// forgets the owner (OwnerEraser); other types pass. An event that does not decode
// passes too: the scheduler owns this topic's dead letters. One without a customer_id
// is refused (InvalidArgument, dead-lettered).
class OwnerHandler {
 public:
  OwnerHandler(OwnerEraser& eraser, SurveyMetrics& metrics) : eraser_(eraser), metrics_(metrics) {}
  absl::Status Handle(const Incoming& in);

 private:
  OwnerEraser& eraser_;
  SurveyMetrics& metrics_;
};

}  // namespace mot::survey
