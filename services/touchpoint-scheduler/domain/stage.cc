#include "touchpoint-scheduler/domain/stage.h"

namespace mot::scheduler {

std::string DeriveStage(std::optional<TimePoint> signed_at, std::optional<TimePoint> handover_at,
                        TimePoint now, const StageWindows& w) {
  if (handover_at && now >= *handover_at) {
    const auto since = now - *handover_at;
    if (since < w.runin_1) return "RUNIN_1";
    if (since < w.runin_2) return "RUNIN_2";
    if (since < w.stable) return "STABLE";
    return "VETERAN";
  }
  if (signed_at && now >= *signed_at) {
    return now - *signed_at < w.prospect_1 ? "PROSPECT_1" : "PROSPECT_2";
  }
  return "";
}

}  // namespace mot::scheduler
