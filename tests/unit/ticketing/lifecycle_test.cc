// A ticket's life: moves, assignments, notes and replays.
#include "ticketing/domain/lifecycle.h"

#include "fixtures.h"
#include "ticketing/domain/ticket_state.h"

namespace mot::ticketing {
namespace {

using LifecycleTest = TicketingTest;

// The life of a ticket: each move allowed from where it is, the others refused naming
// the current state; who, when and why recorded; a retried request changes nothing.
TEST_F(LifecycleTest, ATicketMovesAlongItsLifeAndRefusesIllegalMoves) {
  v1::Ticket t = *OpenTicket(policy_, RepairCommand(t0_));
  ASSERT_EQ(t.status(), v1::TICKET_STATUS_NEW);
  bool replayed = false;
  auto move = [&](v1::TicketStatus to, const std::string& reason = "", const std::string& id = "") {
    return Transition(t, {to, "agent-wang", reason, id}, t0_ + hours(1), &replayed);
  };
  auto s = move(v1::TICKET_STATUS_RESOLVED).status();
  EXPECT_TRUE(absl::IsFailedPrecondition(s));
  EXPECT_EQ(s.message(), "the ticket is NEW; it cannot go to RESOLVED (from NEW: ACKNOWLEDGED)");
  EXPECT_EQ(Transition(t, {v1::TICKET_STATUS_ACKNOWLEDGED, "", "", ""}, t0_, &replayed)
                .status()
                .message(),
            "actor is required");
  EXPECT_EQ(move(v1::TICKET_STATUS_NEW).status().code(), absl::StatusCode::kInvalidArgument);
  t = *move(v1::TICKET_STATUS_ACKNOWLEDGED, "", "r1");
  EXPECT_EQ(move(v1::TICKET_STATUS_WAITING_ON_PARTS).status().message(),
            "reason is required to go to WAITING_ON_PARTS");
  t = *move(v1::TICKET_STATUS_WAITING_ON_PARTS, "valve on order", "r2");
  t = *move(v1::TICKET_STATUS_IN_PROGRESS, "", "r3");
  t = *move(v1::TICKET_STATUS_RESOLVED, "valve replaced", "r4");
  t = *move(v1::TICKET_STATUS_CLOSED, "", "r5");
  EXPECT_EQ(move(v1::TICKET_STATUS_RESOLVED).status().message(),
            "the ticket is CLOSED; it cannot go to RESOLVED (from CLOSED: REOPENED)");
  // A retry of r4 changes nothing.
  auto again = move(v1::TICKET_STATUS_RESOLVED, "valve replaced", "r4");
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(replayed);
  EXPECT_EQ(again->history_size(), 5);
  t = *move(v1::TICKET_STATUS_REOPENED, "leaks again", "r6");
  ASSERT_EQ(t.history_size(), 6);
  const auto& waiting = t.history(1);
  EXPECT_EQ(waiting.from(), v1::TICKET_STATUS_ACKNOWLEDGED);
  EXPECT_EQ(waiting.to(), v1::TICKET_STATUS_WAITING_ON_PARTS);
  EXPECT_EQ(waiting.actor(), "agent-wang");
  EXPECT_EQ(waiting.reason(), "valve on order");
  EXPECT_EQ(FromProto(waiting.at()), t0_ + hours(1));
  EXPECT_EQ(EventFor(v1::TICKET_STATUS_IN_PROGRESS, v1::TICKET_STATUS_WAITING_ON_OWNER),
            v1::TICKET_EVENT_TYPE_PAUSED);
  EXPECT_EQ(EventFor(v1::TICKET_STATUS_RESOLVED, v1::TICKET_STATUS_CLOSED),
            v1::TICKET_EVENT_TYPE_CLOSED);
  EXPECT_EQ(EventFor(v1::TICKET_STATUS_WAITING_ON_PARTS, v1::TICKET_STATUS_IN_PROGRESS),
            v1::TICKET_EVENT_TYPE_RESUMED);
  EXPECT_EQ(EventFor(v1::TICKET_STATUS_ACKNOWLEDGED, v1::TICKET_STATUS_IN_PROGRESS),
            v1::TICKET_EVENT_TYPE_STARTED);
  // Every status has somewhere to go (none is a dead end but by design).
  for (auto st :
       {v1::TICKET_STATUS_NEW, v1::TICKET_STATUS_ACKNOWLEDGED, v1::TICKET_STATUS_IN_PROGRESS,
        v1::TICKET_STATUS_WAITING_ON_OWNER, v1::TICKET_STATUS_WAITING_ON_PARTS,
        v1::TICKET_STATUS_RESOLVED, v1::TICKET_STATUS_CLOSED, v1::TICKET_STATUS_REOPENED}) {
    EXPECT_FALSE(NextStatuses(st).empty()) << StatusName(st);
  }
}

TEST_F(LifecycleTest, AnAssignmentIsRecordedOnceAndNotOnAClosedTicket) {
  v1::Ticket t = *OpenTicket(policy_, RepairCommand(t0_));
  bool replayed = false;
  const TransitionRequest by{{}, "manager-zhao", "needs the complaint desk", "as-1"};
  auto assigned = Assign(t, {"customer_service", "agent-chen"}, by, t0_ + hours(1), &replayed);
  ASSERT_TRUE(assigned.ok()) << assigned.status();
  EXPECT_FALSE(replayed);
  EXPECT_EQ(assigned->team(), "customer_service");
  EXPECT_EQ(assigned->assignee(), "agent-chen");
  EXPECT_EQ(assigned->status(), t.status()) << "the status stays";
  ASSERT_EQ(assigned->history_size(), 1);
  const auto& change = assigned->history(0);
  EXPECT_EQ(change.from(), change.to());
  EXPECT_EQ(change.to_team(), "customer_service");
  EXPECT_EQ(change.to_assignee(), "agent-chen");
  EXPECT_EQ(change.actor(), "manager-zhao");
  EXPECT_EQ(FromProto(change.at()), t0_ + hours(1));
  // Only the assignee: the team stays as it was.
  auto reassigned =
      Assign(*assigned, {"", "agent-li"}, {{}, "m", "", "as-2"}, t0_ + hours(2), &replayed);
  EXPECT_EQ(reassigned->team(), "customer_service");
  EXPECT_EQ(reassigned->history(1).to_assignee(), "agent-li");
  // Again: nothing changes.
  auto again = Assign(*reassigned, {"property_service", ""}, by, t0_ + hours(3), &replayed);
  EXPECT_TRUE(replayed);
  EXPECT_EQ(again->history_size(), 2);
  t.set_status(v1::TICKET_STATUS_CLOSED);
  EXPECT_EQ(Assign(t, {"sales", ""}, {{}, "m", "", "as-3"}, t0_, &replayed).status().message(),
            "the ticket is CLOSED; reopen it to reassign it");
}

TEST_F(LifecycleTest, ANoteIsAddedOnceAndItsReplayRebuildsTheChange) {
  const v1::Ticket t = *OpenTicket(policy_, RepairCommand(t0_));
  bool replayed = false;
  const v1::Ticket noted =
      AddNote(t, {"agent-chen", "约定明早上门", "nt-1"}, t0_ + hours(1), &replayed);
  EXPECT_FALSE(replayed);
  ASSERT_EQ(noted.notes_size(), 1);
  EXPECT_EQ(noted.notes(0).author(), "agent-chen");
  EXPECT_EQ(FromProto(noted.notes(0).at()), t0_ + hours(1));
  const v1::Ticket twice =
      AddNote(noted, {"agent-chen", "again", "nt-1"}, t0_ + hours(2), &replayed);
  EXPECT_TRUE(replayed);
  EXPECT_EQ(twice.notes_size(), 1);
  const v1::Ticket more = AddNote(noted, {"agent-li", "到场", "nt-2"}, t0_ + hours(3), &replayed);
  const Changed c = ReplayOfNote(more, "nt-1");
  EXPECT_TRUE(c.replayed);
  EXPECT_EQ(c.before.notes_size(), 0) << "before the note";
  EXPECT_EQ(c.after.notes_size(), 2);
}

TEST_F(LifecycleTest, AReplayedChangeIsRebuiltFromTheHistory) {
  v1::Ticket t = *OpenTicket(policy_, RepairCommand(t0_));
  bool replayed = false;
  t = *Transition(t, {v1::TICKET_STATUS_ACKNOWLEDGED, "agent", "", "r1"}, t0_ + hours(1),
                  &replayed);
  t = *Reclassify(policy_, t, "service_l2", {{}, "manager", "decoration", "r2"}, t0_ + hours(2),
                  &replayed);
  t = *Transition(t, {v1::TICKET_STATUS_IN_PROGRESS, "agent", "", "r3"}, t0_ + hours(3), &replayed);
  const Changed ack = ReplayOfChange(t, "r1");
  EXPECT_EQ(ack.before.status(), v1::TICKET_STATUS_NEW);
  EXPECT_EQ(ack.before.history_size(), 0);
  EXPECT_EQ(ack.after.status(), v1::TICKET_STATUS_ACKNOWLEDGED);
  EXPECT_EQ(ack.after.history_size(), 1);
  const Changed kind = ReplayOfChange(t, "r2");
  EXPECT_EQ(kind.before.kind(), "repair");
  EXPECT_EQ(kind.after.kind(), "service_l2");
  EXPECT_EQ(kind.after.status(), v1::TICKET_STATUS_ACKNOWLEDGED);
  const Changed none = ReplayOfChange(t, "r9");
  EXPECT_EQ(none.before.history_size(), 3) << "no such change: the ticket as it is";
  EXPECT_TRUE(none.replayed);
}

TEST_F(LifecycleTest, OpenUntilResolvedAndBreachedOnceABreachIsRecorded) {
  v1::Ticket t = *OpenTicket(policy_, RepairCommand(t0_));
  for (auto s :
       {v1::TICKET_STATUS_NEW, v1::TICKET_STATUS_WAITING_ON_PARTS, v1::TICKET_STATUS_REOPENED}) {
    t.set_status(s);
    EXPECT_TRUE(IsOpen(t)) << StatusName(s);
  }
  for (auto s : {v1::TICKET_STATUS_RESOLVED, v1::TICKET_STATUS_CLOSED}) {
    t.set_status(s);
    EXPECT_FALSE(IsOpen(t)) << StatusName(s);
  }
  EXPECT_FALSE(IsBreached(t));
  t.add_alerts()->set_kind(v1::SLA_ALERT_KIND_WARNING);
  EXPECT_FALSE(IsBreached(t));
  t.add_alerts()->set_kind(v1::SLA_ALERT_KIND_BREACHED);
  EXPECT_TRUE(IsBreached(t));
}

}  // namespace
}  // namespace mot::ticketing
