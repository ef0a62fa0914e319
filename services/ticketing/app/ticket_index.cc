#include "app/ticket_index.h"

#include <set>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "domain/lifecycle.h"
#include "mot/common/clock.h"

namespace mot::ticketing {
namespace {

constexpr char kPrefix[] = "mot:ticketing:idx:";

std::string Key(const std::string& key) { return kPrefix + key; }

}  // namespace

absl::Status RedisIndexStore::Apply(const std::vector<Op>& ops) {
  std::vector<std::vector<std::string>> cmds;
  cmds.reserve(ops.size());
  for (const auto& op : ops) {
    switch (op.kind) {
      case Op::kZAdd:
        cmds.push_back({"ZADD", Key(op.key), std::to_string(op.n), op.member});
        break;
      case Op::kZRem:
        cmds.push_back({"ZREM", Key(op.key), op.member});
        break;
      case Op::kHIncrBy:
        cmds.push_back({"HINCRBY", Key(op.key), op.member, std::to_string(op.n)});
        break;
      case Op::kSAdd:
        cmds.push_back({"SADD", Key(op.key), op.member});
        break;
    }
  }
  if (cmds.empty()) return absl::OkStatus();
  auto r = redis_.Pipeline(cmds);
  return r.ok() ? absl::OkStatus() : r.status();
}

absl::StatusOr<std::vector<std::pair<std::string, int64_t>>> RedisIndexStore::RevRange(
    const std::string& key, int64_t max, int64_t min, size_t skip, size_t limit) {
  auto r = redis_.Command({"ZREVRANGEBYSCORE", Key(key), std::to_string(max), std::to_string(min),
                           "WITHSCORES", "LIMIT", std::to_string(skip), std::to_string(limit)});
  if (!r.ok()) return r.status();
  std::vector<std::pair<std::string, int64_t>> out;
  for (size_t i = 0; i + 1 < r->elements.size(); i += 2) {
    int64_t score = 0;
    double d = 0;
    if (absl::SimpleAtod(r->elements[i + 1].str, &d)) score = static_cast<int64_t>(d);
    out.emplace_back(r->elements[i].str, score);
  }
  return out;
}

absl::StatusOr<std::map<std::string, int64_t>> RedisIndexStore::Hash(const std::string& key) {
  auto r = redis_.Command({"HGETALL", Key(key)});
  if (!r.ok()) return r.status();
  std::map<std::string, int64_t> out;
  for (size_t i = 0; i + 1 < r->elements.size(); i += 2) {
    int64_t n = 0;
    if (absl::SimpleAtoi(r->elements[i + 1].str, &n)) out[r->elements[i].str] = n;
  }
  return out;
}

absl::StatusOr<std::vector<int64_t>> RedisIndexStore::Sizes(const std::vector<std::string>& keys,
                                                            bool sorted) {
  std::vector<std::vector<std::string>> cmds;
  for (const auto& k : keys) cmds.push_back({sorted ? "ZCARD" : "SCARD", Key(k)});
  std::vector<int64_t> out;
  if (cmds.empty()) return out;
  auto r = redis_.Pipeline(cmds);
  if (!r.ok()) return r.status();
  for (const auto& reply : *r) out.push_back(reply.integer);
  return out;
}

namespace index {
std::string Status(v1::TicketStatus s) { return "status:" + StatusName(s); }
}  // namespace index

bool IsOpen(const v1::Ticket& t) {
  return t.status() != v1::TICKET_STATUS_RESOLVED && t.status() != v1::TICKET_STATUS_CLOSED;
}

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
  for (const auto& a : t.alerts()) {
    if (a.kind() == v1::SLA_ALERT_KIND_BREACHED) out.insert(index::kBreached);
  }
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
    const bool resolved_now = after.status() == v1::TICKET_STATUS_RESOLVED &&
                              !before.id().empty() &&
                              before.status() != v1::TICKET_STATUS_RESOLVED &&
                              after.history_size() > 0;
    if (resolved_now) {
      const std::string at = after.project_id() + "|" + after.defect_code() + "|";
      const auto took = FromProto(after.history(after.history_size() - 1).at()) -
                        FromProto(after.opened_at());
      ops.push_back({Op::kHIncrBy, index::kDefects, at + "resolved", 1});
      ops.push_back({Op::kHIncrBy, index::kDefects, at + "resolve_ms",
                     std::chrono::duration_cast<std::chrono::milliseconds>(took).count()});
    }
  }
  return ops;
}

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

}  // namespace mot::ticketing
