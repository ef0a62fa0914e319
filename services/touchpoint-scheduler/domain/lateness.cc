#include "touchpoint-scheduler/domain/lateness.h"

#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "touchpoint-scheduler/domain/dates.h"
#include "touchpoint-scheduler/domain/stage.h"

namespace mot::scheduler {
namespace {

using std::chrono::hours;

// Why a touchpoint due at `due` is not sent at `now`, or "" when it may be.
std::string Staleness(const Playbook& pb, const Step& step, const CustomerFacts& facts,
                      TimePoint due, TimePoint now) {
  if (due >= now) return "";
  const std::string day = absl::FormatCivilTime(LocalDay(due, pb.ZoneFor(facts)));
  if (step.stage_bound) {
    const std::string then = DeriveStage(facts.signed_at, facts.handover_at, due, pb.stages());
    const std::string today = DeriveStage(facts.signed_at, facts.handover_at, now, pb.stages());
    if (then != today) {
      return absl::StrCat("due ", day, " in ", then.empty() ? "no stage" : then,
                          ", a stage over when the mesh heard of it (now ", today, ")");
    }
  }
  if (step.max_lateness == kNeverStale || now - due <= step.max_lateness) return "";
  const auto days = std::chrono::duration_cast<hours>(now - due).count() / 24;
  return absl::StrCat("due ", day, ", ", days, days == 1 ? " day" : " days",
                      " before the mesh heard of it (max_lateness ",
                      std::chrono::duration_cast<hours>(step.max_lateness).count(), "h)");
}

PlannedTouchpoint Skipped(PlannedTouchpoint p, std::string reason) {
  p.touchpoint.set_status(v1::TOUCHPOINT_STATUS_SKIPPED);
  p.touchpoint.set_outcome(std::move(reason));
  p.payload.clear();  // never sent
  return p;
}

}  // namespace

std::vector<PlannedTouchpoint> ApplyLateness(const Playbook& pb,
                                             std::vector<PlannedTouchpoint> planned,
                                             const CustomerFacts& facts, TimePoint now) {
  std::vector<PlannedTouchpoint> out;
  out.reserve(planned.size());
  for (auto& p : planned) {
    const Step* step = pb.FindStep(p.touchpoint.step_id());
    std::string why =
        step == nullptr ? "" : Staleness(pb, *step, facts, FromProto(p.touchpoint.due_at()), now);
    if (why.empty()) {
      out.push_back(std::move(p));
      continue;
    }
    // A recurring step: on to its first occurrence still in time.
    std::optional<PlannedTouchpoint> next = NextOccurrence(p);
    int passed = 1;
    while (next &&
           !Staleness(pb, *step, facts, FromProto(next->touchpoint.due_at()), now).empty()) {
      next = NextOccurrence(*next);
      ++passed;
    }
    if (passed > 1 || next) {
      absl::StrAppend(&why, "; ", passed, " of ", p.touchpoint.occurrences(),
                      " occurrences passed");
    }
    out.push_back(Skipped(p, std::move(why)));
    if (next) out.push_back(*std::move(next));
  }
  return out;
}

}  // namespace mot::scheduler
