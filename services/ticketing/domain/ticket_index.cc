#include "ticketing/domain/ticket_index.h"

#include <set>

#include "mot/common/clock.h"
#include "ticketing/domain/lifecycle.h"
#include "ticketing/domain/ticket_state.h"

namespace mot::ticketing {

namespace index {
std::string Status(v1::TicketStatus s) { return "status:" + StatusName(s); }
}  // namespace index

namespace {

// The indexes a ticket belongs to.
std::set<std::string> Memberships(const v1::Ticket& t) {
  std::set<std::string> out;
  if (t.id().empty()) return out;
  out.insert(index::Kind(t.kind()));
  out.insert(index::Status(t.status()));
  if (!t.project_id().empty()) out.insert(index::Project(t.project_id()));
  if (!t.assignee().empty()) out.insert(index::Assignee(t.assignee()));
  if (IsOpen(t)) out.insert(index::Open(t.kind()));
  if (IsBreached(t)) out.insert(index::kBreached);
  return out;
}

// The defect aggregates a ticket counts in: field -> amount.
std::map<std::string, int64_t> DefectCounts(const v1::Ticket& t) {
  std::map<std::string, int64_t> out;
  if (t.id().empty() || t.defect_code().empty()) return out;
  const std::string at = t.project_id() + "|" + t.defect_code() + "|";
  out[at + "tickets"] = 1;
  out[at + "open"] = IsOpen(t) ? 1 : 0;
  return out;
}

}  // namespace

std::vector<IndexStore::Op> IndexOps(const v1::Ticket& before, const v1::Ticket& after) {
  using Op = IndexStore::Op;
  std::vector<Op> ops;
  const int64_t score = ToUnixMillis(FromProto(after.opened_at()));
  const auto was = Memberships(before), is = Memberships(after);
  for (const auto& key : was) {
    if (!is.count(key)) ops.push_back({Op::kZRem, key, after.id()});
  }
  for (const auto& key : is) {
    if (!was.count(key)) ops.push_back({Op::kZAdd, key, after.id(), score});
  }
  auto counts = DefectCounts(after);
  for (const auto& [field, n] : DefectCounts(before)) counts[field] -= n;
  for (const auto& [field, n] : counts) {
    if (n != 0) ops.push_back({Op::kHIncrBy, index::kDefects, field, n});
  }
  if (!after.defect_code().empty()) {
    ops.push_back({Op::kSAdd, index::DefectUnits(after.project_id(), after.defect_code()),
                   after.unit_id().empty() ? after.id() : after.unit_id()});
    // A resolution: counted with the time it took from the owner's request.
    const bool resolved_now =
        after.status() == v1::TICKET_STATUS_RESOLVED && !before.id().empty() &&
        before.status() != v1::TICKET_STATUS_RESOLVED && after.history_size() > 0;
    if (resolved_now) {
      const std::string at = after.project_id() + "|" + after.defect_code() + "|";
      const auto took =
          FromProto(after.history(after.history_size() - 1).at()) - FromProto(after.opened_at());
      ops.push_back({Op::kHIncrBy, index::kDefects, at + "resolved", 1});
      ops.push_back({Op::kHIncrBy, index::kDefects, at + "resolve_ms",
                     std::chrono::duration_cast<std::chrono::milliseconds>(took).count()});
    }
  }
  return ops;
}

}  // namespace mot::ticketing
