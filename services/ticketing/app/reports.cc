#include "ticketing/app/reports.h"

#include <algorithm>
#include <map>
#include <utility>

#include "absl/strings/str_split.h"
#include "absl/time/time.h"
#include "mot/common/clock.h"
#include "ticketing/domain/sla_clock.h"

namespace mot::ticketing {
namespace {

v1::ComplaintReportRow ComplaintRow(const SlaPolicy& policy, const v1::Ticket& t) {
  v1::ComplaintReportRow row;
  row.set_ticket_id(t.id());
  row.set_project_id(t.project_id());
  row.set_unit_id(t.unit_id());
  row.set_kind(t.kind());
  row.set_category(t.category());
  row.set_summary(t.summary());
  *row.mutable_received_at() = t.opened_at();
  if (auto replied = ReachedAt(t, v1::TICKET_STATUS_ACKNOWLEDGED)) {
    *row.mutable_first_reply_at() = ToProto(*replied);
  }
  const auto teams = policy.teams().find(t.team());
  row.set_handler(!t.assignee().empty()           ? t.assignee()
                  : teams != policy.teams().end() ? teams->second
                                                  : t.team());
  for (const auto& c : t.history()) {
    if (c.to() == v1::TICKET_STATUS_RESOLVED && c.from() != c.to()) row.set_measure(c.reason());
  }
  if (row.measure().empty() && t.notes_size() > 0)
    row.set_measure(t.notes(t.notes_size() - 1).text());
  row.set_status(t.status());
  return row;
}

}  // namespace

absl::StatusOr<std::vector<v1::DefectRollupRow>> DefectRollup(IndexStore& store,
                                                              const SlaPolicy& policy,
                                                              const std::string& project) {
  auto hash = store.Hash(index::kDefects);
  if (!hash.ok()) return hash.status();
  // project|code -> field -> n
  std::map<std::pair<std::string, std::string>, std::map<std::string, int64_t>> by;
  for (const auto& [field, n] : *hash) {
    std::vector<std::string> parts = absl::StrSplit(field, '|');
    if (parts.size() != 3 || (!project.empty() && parts[0] != project)) continue;
    by[{parts[0], parts[1]}][parts[2]] = n;
  }
  std::vector<std::string> unit_keys;
  for (const auto& [key, _] : by) unit_keys.push_back(index::DefectUnits(key.first, key.second));
  auto units = store.Sizes(unit_keys, false);
  if (!units.ok()) return units.status();
  std::vector<v1::DefectRollupRow> rows;
  size_t i = 0;
  for (const auto& [key, fields] : by) {
    const auto get = [&](const char* f) {
      auto it = fields.find(f);
      return it == fields.end() ? int64_t{0} : it->second;
    };
    v1::DefectRollupRow row;
    row.set_project_id(key.first);
    row.set_code(key.second);
    if (const DefectCode* d = policy.FindDefect(key.second)) {
      row.set_title(d->title);
      row.set_cause(d->cause);
      row.set_impact(d->impact);
      row.set_department(d->department);
    }
    row.set_tickets(get("tickets"));
    row.set_units_affected((*units)[i++]);
    row.set_open(get("open"));
    const int64_t resolved = get("resolved");
    row.set_mean_hours_to_resolve(resolved == 0 ? 0.0 : get("resolve_ms") / 3.6e6 / resolved);
    if (row.tickets() > 0) rows.push_back(std::move(row));
  }
  return rows;
}

absl::StatusOr<std::vector<v1::ComplaintReportRow>> ComplaintReport(IndexStore& index,
                                                                    RecordStore& store,
                                                                    const SlaPolicy& policy,
                                                                    absl::CivilDay day,
                                                                    const std::string& project) {
  const auto& zone = policy.zone();
  const int64_t from = absl::ToUnixMillis(absl::FromCivil(day, zone));
  const int64_t to = absl::ToUnixMillis(absl::FromCivil(day + 1, zone)) - 1;
  std::vector<std::string> ids;
  for (const auto& kind : policy.risk_warning().kinds) {  // the complaint kinds
    auto entries = index.RevRange(index::Kind(kind), to, from, 0, 100000);
    if (!entries.ok()) return entries.status();
    for (const auto& [id, _] : *entries) ids.push_back(id);
  }
  auto found = ProtoStore<v1::Ticket>(store).GetAll(ids);
  if (!found.ok()) return found.status();
  std::vector<v1::ComplaintReportRow> rows;
  for (const auto& t : *found) {
    if (!t || (!project.empty() && t->project_id() != project)) continue;
    rows.push_back(ComplaintRow(policy, *t));
  }
  std::sort(rows.begin(), rows.end(), [](const auto& a, const auto& b) {
    return FromProto(a.received_at()) < FromProto(b.received_at());
  });
  return rows;
}

}  // namespace mot::ticketing
