#pragma once

#include <chrono>
#include <iterator>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "mot/common/clock.h"
#include "touchpoint-scheduler/domain/customer_update.h"
#include "touchpoint-scheduler/domain/feedback.h"
#include "touchpoint-scheduler/domain/planned_touchpoint.h"
#include "touchpoint-scheduler/domain/playbook.h"

namespace mot::scheduler {

// A due touchpoint claimed by one dispatcher: until its lease runs out, only the
// holder of `token` can settle it.
struct ClaimedTouchpoint {
  int partition = 0;
  std::string id;
  std::string token;
  // Its stored touchpoint and command; nullopt when they are gone or unreadable.
  std::optional<PlannedTouchpoint> planned;
  v1::TouchpointStatus status = v1::TOUCHPOINT_STATUS_UNSPECIFIED;
  int attempts = 0;  // failed dispatches so far
};

// What became of a claimed touchpoint.
struct Settlement {
  enum class Kind {
    kDispatched,  // sent: disarm, mark DISPATCHED, drop the command
    kFailed,      // can never be sent: disarm, mark FAILED with the reason, drop the command
    kRetry,       // not sent this time: fire again at retry_at
    kDrop,        // nothing to send (no longer SCHEDULED, or no record): disarm only
  };
  int partition = 0;
  std::string id;
  std::string token;
  Kind kind = Kind::kDispatched;
  std::string reason;
  TimePoint retry_at{};
};

// A journey change an event causes: its scheduled touchpoints that list
// `event_type` among their exits (every one of them, with `every`: the journey ends)
// are cancelled with `reason`; those anchored on `anchor` whose step is in `moves`
// move there, the old due time kept.
struct Amendment {
  std::string customer_id;
  std::string event_type;
  std::string reason;
  std::string anchor;
  std::map<std::string, TimePoint> moves;  // by step id
  bool every = false;
};

struct AmendResult {
  std::vector<std::string> cancelled_steps;  // one entry per touchpoint cancelled
  std::vector<std::string> moved_steps;
};

struct JourneyPage {
  std::vector<v1::Touchpoint> touchpoints;
  int64_t total = 0;
};

struct TimerStats {
  int64_t armed = 0;                  // timers armed, claimed ones included
  std::optional<TimePoint> earliest;  // the earliest fire time among them
};

// Durable journeys and timers.
class JourneyStore {
 public:
  virtual ~JourneyStore() = default;
  virtual int partitions() const = 0;
  // Stores the touchpoint and arms its timer in one atomic step, once: a touchpoint
  // stored before, whatever its status now, is left as it is (a redelivered event
  // can never re-arm a dispatched touchpoint). One planned SKIPPED (ApplyLateness) is
  // stored SKIPPED with its outcome, never armed and never sent.
  virtual absl::Status Schedule(const PlannedTouchpoint& planned, TimePoint now) {
    return ScheduleAll({planned}, now);
  }
  // Schedule for each, all in one round trip (each one atomic on its own).
  virtual absl::Status ScheduleAll(const std::vector<PlannedTouchpoint>& planned, TimePoint now) {
    auto sends = ScheduleOrSend(planned, std::vector<bool>(planned.size(), false), now);
    return sends.ok() ? absl::OkStatus() : sends.status();
  }
  // ScheduleAll, except that a touchpoint marked in `send_now` (due already) is stored
  // DISPATCHED instead of armed: its caller sends the command itself, as part of
  // handling the event whose offset it stores only once the send is acknowledged.
  // For each: whether the caller sends it, i.e. it is marked and was stored now, or
  // was found DISPATCHED (a redelivered event whose send may have been lost: sent
  // again, and the owning service's idempotency absorbs a second copy).
  virtual absl::StatusOr<std::vector<bool>> ScheduleOrSend(
      const std::vector<PlannedTouchpoint>& planned, const std::vector<bool>& send_now,
      TimePoint now) = 0;
  // Claims up to `limit` touchpoints of a partition due at `now`, for `lease`.
  virtual absl::StatusOr<std::vector<ClaimedTouchpoint>> ClaimDue(int partition, TimePoint now,
                                                                  std::chrono::milliseconds lease,
                                                                  size_t limit,
                                                                  const std::string& token) = 0;
  // ClaimDue on each partition (up to `limit` each), in one round trip where the
  // store can; the touchpoints of all of them, each naming its partition.
  virtual absl::StatusOr<std::vector<ClaimedTouchpoint>> ClaimDueAll(
      const std::vector<int>& partitions, TimePoint now, std::chrono::milliseconds lease,
      size_t limit, const std::string& token) {
    std::vector<ClaimedTouchpoint> out;
    for (int p : partitions) {
      auto claimed = ClaimDue(p, now, lease, limit, token);
      if (!claimed.ok()) return claimed.status();
      std::move(claimed->begin(), claimed->end(), std::back_inserter(out));
    }
    return out;
  }
  // Settles claimed touchpoints in one round trip. For each, whether its claim was
  // still held: false means the lease ran out (another replica may hold it now) and
  // nothing was changed.
  virtual absl::StatusOr<std::vector<bool>> Settle(const std::vector<Settlement>& settlements,
                                                   TimePoint now) = 0;
  // Moves a touchpoint's status forward only (SCHEDULED < DISPATCHED < DONE ...): a
  // late DISPATCHED never overwrites DONE. A touchpoint no longer stored is left alone.
  virtual absl::Status Advance(const Outcome& outcome, TimePoint now) = 0;
  // Advance for each, in one round trip where the store can.
  virtual absl::Status AdvanceAll(const std::vector<Outcome>& outcomes, TimePoint now) {
    for (const auto& o : outcomes) {
      if (auto s = Advance(o, now); !s.ok()) return s;
    }
    return absl::OkStatus();
  }
  virtual absl::StatusOr<std::optional<TimePoint>> Milestone(const std::string& customer_id,
                                                             const std::string& name) = 0;
  // The customer's touchpoints by due time, with their current status.
  virtual absl::StatusOr<std::vector<v1::Touchpoint>> Journey(const std::string& customer_id) = 0;
  virtual absl::StatusOr<TimerStats> Timers() = 0;

  // What an event batch changes, in this order: amendments, customer updates, then
  // the touchpoints (ScheduleOrSend); in one round trip where the store can.
  struct SegmentResult {
    std::vector<AmendResult> amended;
    std::vector<bool> sends;
  };
  virtual absl::StatusOr<SegmentResult> StoreSegment(const std::vector<Amendment>& amendments,
                                                     const std::vector<CustomerUpdate>& updates,
                                                     const std::vector<PlannedTouchpoint>& planned,
                                                     const std::vector<bool>& send_now,
                                                     TimePoint now) {
    SegmentResult out;
    auto amended = AmendAll(amendments, now);
    if (!amended.ok()) return amended.status();
    out.amended = *std::move(amended);
    if (auto s = UpdateCustomers(updates, now); !s.ok()) return s;
    auto sends = ScheduleOrSend(planned, send_now, now);
    if (!sends.ok()) return sends.status();
    out.sends = *std::move(sends);
    return out;
  }

  // The customers' facts (record and milestones), by customer id; a customer never
  // seen has empty facts.
  virtual absl::StatusOr<std::map<std::string, CustomerFacts>> Facts(
      const std::vector<std::string>& customers, const StageWindows& stages) = 0;
  // The tombstones of those of `customers` who were forgotten (CustomerUpdate): when
  // each was, by customer id; the others are not in it. One round trip.
  virtual absl::StatusOr<std::map<std::string, TimePoint>> Forgotten(
      const std::vector<std::string>& customers) = 0;
  // Writes the updates (one round trip) and lists each customer for calendar steps; a
  // forgetting erases the record and milestones and takes the customer off those lists.
  virtual absl::Status UpdateCustomers(const std::vector<CustomerUpdate>& updates,
                                       TimePoint now) = 0;
  // One milestone (a signing, a handover) of a customer, as UpdateCustomers writes it.
  absl::Status RecordMilestone(const std::string& customer_id, const std::string& name,
                               TimePoint at, TimePoint now) {
    return UpdateCustomers({{customer_id, {}, {{name, at}}}}, now);
  }
  // Cancels and moves, atomically for the customer.
  virtual absl::StatusOr<AmendResult> Amend(const Amendment& amendment, TimePoint now) = 0;
  // Amend for each, in order, in one round trip where the store can.
  virtual absl::StatusOr<std::vector<AmendResult>> AmendAll(const std::vector<Amendment>& all,
                                                            TimePoint now) {
    std::vector<AmendResult> out;
    for (const auto& a : all) {
      auto r = Amend(a, now);
      if (!r.ok()) return r.status();
      out.push_back(*std::move(r));
    }
    return out;
  }
  // One scheduled touchpoint cancelled (status CANCELLED, outcome `reason`), or
  // moved to `due` (its old due time kept). NotFound when the customer has no such
  // touchpoint; FailedPrecondition naming its status when it is not SCHEDULED.
  virtual absl::StatusOr<v1::Touchpoint> Cancel(const std::string& customer_id,
                                                const std::string& id, const std::string& reason,
                                                TimePoint now) = 0;
  virtual absl::StatusOr<v1::Touchpoint> Reschedule(const std::string& customer_id,
                                                    const std::string& id, TimePoint due,
                                                    const std::string& reason, TimePoint now) = 0;
  // `limit` touchpoints from `offset`, by due time, and how many there are.
  virtual absl::StatusOr<JourneyPage> Page(const std::string& customer_id, int64_t offset,
                                           int64_t limit) = 0;
  // Customers of a partition (all, or those with a birthday), a batch at a time
  // (cursor 0 starts; 0 back: done).
  virtual absl::StatusOr<std::pair<uint64_t, std::vector<std::string>>> ScanCustomers(
      int partition, uint64_t cursor, int count, bool with_birthday_only = false) = 0;
};
}  // namespace mot::scheduler
