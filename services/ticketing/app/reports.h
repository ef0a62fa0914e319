#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/civil_time.h"
#include "mot/common/record_store.h"
#include "mot/ticketing/v1/ticketing.pb.h"
#include "ticketing/domain/sla_policy.h"
#include "ticketing/domain/ticket_index.h"

namespace mot::ticketing {

// The defect library's roll-up from the index's aggregates, per project (all when
// `project` is empty) and code, with the taxonomy's words.
absl::StatusOr<std::vector<v1::DefectRollupRow>> DefectRollup(IndexStore& index,
                                                              const SlaPolicy& policy,
                                                              const std::string& project);

// The daily complaint report: the complaints (the risk warning's kinds) received on
// `day` in the policy's zone, of `project` (all when empty), oldest first, each with
// its first reply, handler, measure (the resolution's reason, else the latest note)
// and status.
absl::StatusOr<std::vector<v1::ComplaintReportRow>> ComplaintReport(IndexStore& index,
                                                                    RecordStore& store,
                                                                    const SlaPolicy& policy,
                                                                    absl::CivilDay day,
                                                                    const std::string& project);

}  // namespace mot::ticketing
