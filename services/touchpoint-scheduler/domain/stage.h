#pragma once

#include <optional>
#include <string>

#include "mot/common/clock.h"
#include "touchpoint-scheduler/domain/playbook.h"

namespace mot::scheduler {

// Stage code (PROSPECT_1 ... VETERAN) at `now`; empty before signing.
std::string DeriveStage(std::optional<TimePoint> signed_at, std::optional<TimePoint> handover_at,
                        TimePoint now, const StageWindows& windows);

}  // namespace mot::scheduler
