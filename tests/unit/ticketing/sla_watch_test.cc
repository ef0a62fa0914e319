// The SLA watch on the claim loop, over in-memory stores and timers and a manual clock:
// what it raises and when, once each, and how it settles the timers it claimed.
#include "ticketing/app/sla_watch.h"

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "fixtures.h"
#include "memory_index_store.h"
#include "memory_record_store.h"
#include "memory_timers.h"
#include "mot/notification/v1/notification.pb.h"
#include "ticketing/app/metrics.h"
#include "ticketing/domain/lifecycle.h"
#include "ticketing/domain/ticket_index.h"

namespace mot::ticketing {
namespace {

using std::chrono::milliseconds;
using std::chrono::minutes;
using std::chrono::seconds;

// A record store that lets a test change a record just before the watch's next
// compare-and-set (as an agent's change landing in between would).
class ChangingStore : public testkit::MemoryRecordStore {
 public:
  absl::StatusOr<bool> Replace(const std::string& id, const std::string& expected,
                               const std::string& bytes) override {
    if (before_replace) std::exchange(before_replace, nullptr)();
    return RecordStore::Replace(id, expected, bytes);
  }
  std::function<void()> before_replace;
};

// Timers that let a test act just after the watch's next claim (another replica taking
// the claims over once their lease ran out).
class InterferingTimers : public testkit::MemoryTimers {
 public:
  using MemoryTimers::MemoryTimers;
  absl::StatusOr<std::vector<std::vector<std::string>>> ClaimAll(
      const std::vector<int>& partitions, TimePoint now, milliseconds lease, size_t limit,
      const std::string& token) override {
    auto claimed = MemoryTimers::ClaimAll(partitions, now, lease, limit, token);
    if (after_claim) std::exchange(after_claim, nullptr)(partitions, now);
    return claimed;
  }
  std::function<void(const std::vector<int>&, TimePoint)> after_claim;
};

class SlaWatchTest : public TicketingTest {
 protected:
  explicit SlaWatchTest(ClaimOptions options = {}, int partitions = 4)
      : clock_(t0_),
        timers_({"ticketing.sla", partitions}),
        metrics_(registry_, policy_),
        options_(options),
        watch_(store_, timers_, index_, publisher_, clock_, policy_, options, metrics_) {}

  // Opens a ticket of `kind` at the clock's time, stored and watched as the opener does.
  std::string Open(const std::string& kind, const std::string& command_id = "c-1") {
    v1::OpenTicketCommand cmd = RepairCommand(clock_.Now());
    cmd.set_command_id(command_id);
    cmd.set_kind(kind);
    cmd.set_project_id("P-1");
    auto ticket = OpenTicket(policy_, cmd);
    EXPECT_TRUE(ticket.ok()) << ticket.status();
    EXPECT_TRUE(
        *store_.Insert(ticket->id(), ticket->customer_id(), 0, ticket->SerializeAsString()));
    EXPECT_TRUE(index_.Apply(IndexOps({}, *ticket)).ok());
    EXPECT_TRUE(watch_.Watch({*ticket}).ok());
    return ticket->id();
  }
  v1::Ticket Stored(const std::string& id) {
    v1::Ticket t;
    auto bytes = store_.Get(id);
    EXPECT_TRUE(bytes.ok() && bytes->has_value()) << id;
    if (bytes.ok() && bytes->has_value()) {
      EXPECT_TRUE(t.ParseFromString(**bytes));
    }
    return t;
  }
  // Stores a change as an agent's call would (compare and set aside).
  void Change(const std::string& id, v1::TicketStatus to, TimePoint at) {
    bool replayed = false;
    auto next = Transition(Stored(id), {to, "agent", "because", ""}, at, &replayed);
    ASSERT_TRUE(next.ok()) << next.status();
    ASSERT_TRUE(store_.Put(id, next->SerializeAsString()).ok());
  }
  void AdvanceTo(TimePoint t) {
    clock_.Advance(std::chrono::duration_cast<milliseconds>(t - clock_.Now()));
  }
  // One pass: the alerts it raised.
  int Pass() {
    auto passed = watch_.Pass();
    EXPECT_TRUE(passed.ok()) << passed.status();
    return passed.ok() ? passed->settled : -1;
  }
  // What was published since the last call: "EVENT_TYPE milestone" for ticket events,
  // "notify role level" for a role's notification.
  std::vector<std::string> Sent() {
    std::vector<std::string> out;
    for (; seen_ < publisher_.sent.size(); ++seen_) {
      const auto& m = publisher_.sent[seen_];
      if (m.topic == kTicketEventsTopic) {
        v1::TicketEvent e;
        EXPECT_TRUE(e.ParseFromString(m.payload));
        out.push_back(v1::TicketEventType_Name(e.type()).substr(18) + " " + e.milestone());
      } else {
        notification::v1::SendNotificationCommand cmd;
        EXPECT_TRUE(cmd.ParseFromString(m.payload));
        out.push_back("notify " + cmd.role() + " " + cmd.variables().at("level"));
      }
    }
    return out;
  }
  std::optional<TimePoint> DueAt(const std::string& id) {
    return timers_.DueAt(timers_.layout().PartitionOf(id), id);
  }

  testkit::ManualClock clock_;
  ChangingStore store_;
  testkit::MemoryIndexStore index_;
  InterferingTimers timers_;
  testkit::FakePublisher publisher_;
  prometheus::Registry registry_;
  TicketingMetrics metrics_;
  const ClaimOptions options_;
  SlaWatch watch_;
  size_t seen_ = 0;
};

// DOMAIN.md's major complaint: the manager on site within 1 h, the director's plan
// within 2 h, the general manager's solution within 24 h; each warned at 80 %, each
// breach escalated one rung up; open at 30 days, the risk warning.
TEST_F(SlaWatchTest, AnUntouchedMajorComplaintIsWarnedBreachedAndEscalatedAtThePolicysTimes) {
  const std::string id = Open("complaint_major");
  const std::vector<std::pair<milliseconds, std::vector<std::string>>> ladder = {
      {minutes(48), {"SLA_WARNING manager_on_site"}},
      {minutes(60),
       {"SLA_BREACHED manager_on_site", "ESCALATED manager_on_site",
        "notify customer_service_manager 1"}},
      {minutes(96), {"SLA_WARNING director_plan"}},
      {minutes(120),
       {"SLA_BREACHED director_plan", "ESCALATED director_plan", "notify engineering_director 2"}},
      {minutes(24 * 48), {"SLA_WARNING general_manager_solution"}},
      {hours(24),
       {"SLA_BREACHED general_manager_solution", "ESCALATED general_manager_solution",
        "notify general_manager 3"}},
      {hours(24 * 30), {"RISK_WARNING ", "ESCALATED ", "notify general_manager 4"}},
  };
  for (const auto& [after, expected] : ladder) {
    ASSERT_EQ(DueAt(id), t0_ + after) << "the timer waits for what comes next";
    AdvanceTo(t0_ + after - seconds(1));
    EXPECT_EQ(Pass(), 0) << "a second early: nothing";
    EXPECT_TRUE(Sent().empty());
    AdvanceTo(t0_ + after);
    EXPECT_EQ(Pass(), 1);
    EXPECT_EQ(Sent(), expected) << "at " << std::chrono::duration_cast<minutes>(after).count()
                                << " min";
  }
  EXPECT_FALSE(DueAt(id).has_value()) << "nothing left to raise: the timer is gone";
  EXPECT_EQ(Stored(id).alerts_size(), 7);
  AdvanceTo(t0_ + hours(24 * 400));
  EXPECT_EQ(Pass(), 0);
  EXPECT_TRUE(Sent().empty());
}

TEST_F(SlaWatchTest, EachAlertIsRaisedOnceWhenAPassRunsTwiceOrAnotherReplicaLooks) {
  const std::string id = Open("complaint_major");
  AdvanceTo(t0_ + minutes(61));  // a late pass: the warning and the breach together
  EXPECT_EQ(Pass(), 2);
  EXPECT_EQ(Sent(), (std::vector<std::string>{
                        "SLA_WARNING manager_on_site", "SLA_BREACHED manager_on_site",
                        "ESCALATED manager_on_site", "notify customer_service_manager 1"}));
  EXPECT_EQ(Pass(), 0) << "the same time again";
  // Watched again (a retried create arms its timer again) and another replica passing.
  ASSERT_TRUE(watch_.Watch({Stored(id)}).ok());
  SlaWatch replica(store_, timers_, index_, publisher_, clock_, policy_, options_, metrics_);
  auto passed = replica.Pass();
  ASSERT_TRUE(passed.ok()) << passed.status();
  EXPECT_EQ(passed->settled, 0);
  EXPECT_EQ(Pass(), 0);
  EXPECT_TRUE(Sent().empty()) << "nothing sent twice";
  EXPECT_EQ(Stored(id).alerts_size(), 2);
  EXPECT_EQ(DueAt(id), t0_ + minutes(96)) << "the director's plan's warning next";
}

TEST_F(SlaWatchTest, ATicketChangedMeanwhileIsSettledFromItsNewState) {
  const std::string id = Open("complaint_major");
  AdvanceTo(t0_ + minutes(48));
  // The manager acknowledges while the pass is under way: between its read and its write.
  store_.before_replace = [&] { Change(id, v1::TICKET_STATUS_ACKNOWLEDGED, t0_ + minutes(47)); };
  Pass();
  const v1::Ticket t = Stored(id);
  EXPECT_EQ(t.status(), v1::TICKET_STATUS_ACKNOWLEDGED) << "the agent's change is kept";
  EXPECT_EQ(t.alerts_size(), 0) << "manager on site was met in time: no warning recorded";
  EXPECT_EQ(DueAt(id), t0_ + minutes(96)) << "armed from the new state: the director's plan";
  AdvanceTo(t0_ + minutes(96));
  EXPECT_EQ(Pass(), 1);
  EXPECT_EQ(Stored(id).alerts(0).milestone(), "director_plan");
}

TEST_F(SlaWatchTest, AClaimHeldByAnotherTokenIsNotSettled) {
  const std::string id = Open("complaint_major");
  AdvanceTo(t0_ + minutes(48));
  // The pass is slow: its lease runs out and another replica claims the timer before
  // the pass settles it.
  const TimePoint taken = t0_ + minutes(48) + options_.lease + milliseconds(1);
  timers_.after_claim = [&](const std::vector<int>& partitions, TimePoint) {
    auto other = timers_.MemoryTimers::ClaimAll(partitions, taken, options_.lease, 100, "other:1");
    ASSERT_TRUE(other.ok());
  };
  EXPECT_EQ(Pass(), 1) << "the warning is raised and recorded";
  EXPECT_EQ(Stored(id).alerts_size(), 1);
  EXPECT_EQ(DueAt(id), taken + options_.lease) << "left as the other replica claimed it";
  auto settled = timers_.Settle(timers_.layout().PartitionOf(id), id, "other:1", std::nullopt);
  ASSERT_TRUE(settled.ok());
  EXPECT_TRUE(*settled) << "the other replica still holds it";
}

TEST_F(SlaWatchTest, AFailedPublishRecordsNothingAndALaterPassRaisesItAgain) {
  const std::string id = Open("repair");
  AdvanceTo(t0_ + minutes(96));
  publisher_.fail_with = absl::UnavailableError("broker down");
  auto failed = watch_.Pass();
  EXPECT_TRUE(absl::IsUnavailable(failed.status())) << failed.status();
  EXPECT_EQ(Stored(id).alerts_size(), 0) << "not recorded: not sent";
  EXPECT_EQ(DueAt(id), t0_ + minutes(96) + options_.lease) << "claimed until the lease runs out";
  publisher_.fail_with = absl::OkStatus();
  AdvanceTo(t0_ + minutes(96) + options_.lease - seconds(1));
  EXPECT_EQ(Pass(), 0) << "still claimed";
  AdvanceTo(t0_ + minutes(96) + options_.lease);
  EXPECT_EQ(Pass(), 1);
  EXPECT_EQ(Sent(), (std::vector<std::string>{"SLA_WARNING respond"}));
  EXPECT_EQ(DueAt(id), t0_ + hours(2)) << "the breach next";
}

TEST_F(SlaWatchTest, ATicketMetInTimeOrGoneLeavesNoTimerBehind) {
  const std::string met = Open("service_l1", "c-1");  // confirm within 2 h
  const std::string gone = Open("service_l1", "c-2");
  Change(met, v1::TICKET_STATUS_ACKNOWLEDGED, t0_ + minutes(30));
  ASSERT_TRUE(store_.Erase({gone}).ok());
  AdvanceTo(t0_ + minutes(96));
  EXPECT_EQ(Pass(), 0);
  EXPECT_TRUE(Sent().empty());
  EXPECT_EQ(timers_.Armed(), 0) << "both timers settled for good";
}

TEST_F(SlaWatchTest, WhatItRaisesIsCountedAndABreachJoinsTheBreachedIndex) {
  const std::string id = Open("repair");
  AdvanceTo(t0_ + hours(2));
  EXPECT_EQ(Pass(), 2);
  const std::map<std::string, std::string> warning = {{"kind", "repair"}, {"alert", "warning"}};
  const std::map<std::string, std::string> breached = {{"kind", "repair"}, {"alert", "breached"}};
  EXPECT_EQ(MetricValue(registry_, "mot_ticketing_sla_alerts_total", warning), 1);
  EXPECT_EQ(MetricValue(registry_, "mot_ticketing_sla_alerts_total", breached), 1);
  EXPECT_EQ(MetricValue(registry_, "mot_ticketing_escalations_total",
                        {{"kind", "repair"}, {"level", "1"}}),
            1);
  auto listed = index_.RevRange(index::kBreached, INT64_MAX, INT64_MIN, 0, 10);
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_EQ((*listed)[0].first, id);
  watch_.CountOpen();
  EXPECT_EQ(MetricValue(registry_, "mot_ticketing_open_tickets", {{"kind", "repair"}}), 1);
  EXPECT_EQ(MetricValue(registry_, "mot_ticketing_open_tickets", {{"kind", "complaint_major"}}), 0);
}

class SlaWatchBatchTest : public SlaWatchTest {
 protected:
  SlaWatchBatchTest() : SlaWatchTest({.tick = seconds(1), .lease = seconds(60), .batch = 2}, 1) {}
};

TEST_F(SlaWatchBatchTest, AFullBatchAsksForAnotherPassAtOnce) {
  for (const char* c : {"c-1", "c-2", "c-3"}) Open("service_l1", c);
  AdvanceTo(t0_ + minutes(96));
  auto first = watch_.Pass();
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(first->settled, 2);
  EXPECT_TRUE(first->more) << "a full batch: more may be due";
  auto second = watch_.Pass();
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_EQ(second->settled, 1);
  EXPECT_FALSE(second->more);
}

}  // namespace
}  // namespace mot::ticketing
