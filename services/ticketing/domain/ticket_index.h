#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "mot/ticketing/v1/ticketing.pb.h"

namespace mot::ticketing {

// The port of the ticket indexes' store: the few sorted-set, hash and set operations
// the indexes use, so that the indexing rules (below) are written once for Redis
// (app/redis_ticket_index.h) and for tests (tests/support/memory_index_store.h).
class IndexStore {
 public:
  struct Op {
    enum Kind { kZAdd, kZRem, kHIncrBy, kSAdd } kind;
    std::string key;
    std::string member;  // the hash field for kHIncrBy
    int64_t n = 0;       // the score for kZAdd, the increment for kHIncrBy
  };
  virtual ~IndexStore() = default;
  // All of them, in one round trip where the store can.
  virtual absl::Status Apply(const std::vector<Op>& ops) = 0;
  // Members of a sorted set scored within [min, max], highest first, after skipping
  // `skip` of them.
  virtual absl::StatusOr<std::vector<std::pair<std::string, int64_t>>> RevRange(
      const std::string& key, int64_t max, int64_t min, size_t skip, size_t limit) = 0;
  virtual absl::StatusOr<std::map<std::string, int64_t>> Hash(const std::string& key) = 0;
  // The number of members of each set (kSAdd) or sorted set (kZAdd), in one round trip.
  virtual absl::StatusOr<std::vector<int64_t>> Sizes(const std::vector<std::string>& keys,
                                                     bool sorted) = 0;
};

// The indexes of the tickets, each a sorted set of ticket ids scored by the opening
// time: by project, kind, status, assignee, team, open by kind, breached. And the
// defect library's running aggregates per project and code: tickets, open, resolutions
// and their total time, and the set of units affected.
namespace index {
inline std::string Project(const std::string& p) { return "project:" + p; }
inline std::string Kind(const std::string& k) { return "kind:" + k; }
std::string Status(v1::TicketStatus s);
inline std::string Assignee(const std::string& a) { return "assignee:" + a; }
inline std::string Open(const std::string& kind) { return "open:" + kind; }
inline constexpr char kBreached[] = "breached";
inline constexpr char kDefects[] = "defects";
inline std::string DefectUnits(const std::string& project, const std::string& code) {
  return "defect_units:" + project + "|" + code;
}
}  // namespace index

// What a stored change of a ticket (`before` has no id when it was just opened) does
// to the indexes: leaves the ones it no longer belongs to, joins the new ones, and
// moves the defect aggregates. Applied after the ticket itself was stored.
std::vector<IndexStore::Op> IndexOps(const v1::Ticket& before, const v1::Ticket& after);

}  // namespace mot::ticketing
