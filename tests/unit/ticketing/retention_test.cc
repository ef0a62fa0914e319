// Retention: a closed ticket's record expires its retention after it closed; a reopen
// keeps it again.
#include "ticketing/domain/retention.h"

#include "fixtures.h"

namespace mot::ticketing {
namespace {

constexpr auto kFiveYears = hours(24 * 365 * 5);

v1::TicketChange Change(v1::TicketStatus from, v1::TicketStatus to, TimePoint at) {
  v1::TicketChange c;
  c.set_from(from);
  c.set_to(to);
  *c.mutable_at() = ToProto(at);
  return c;
}

using RetentionTest = TicketingTest;

TEST_F(RetentionTest, AClosedTicketIsKeptItsRetentionAfterItLastClosed) {
  const Retention retention;
  EXPECT_EQ(retention.after_close, kFiveYears) << "the domain's five years";
  v1::Ticket t;
  t.set_status(v1::TICKET_STATUS_RESOLVED);
  *t.mutable_opened_at() = ToProto(t0_);
  *t.add_history() = Change(v1::TICKET_STATUS_IN_PROGRESS, v1::TICKET_STATUS_RESOLVED, t0_);
  EXPECT_EQ(RetainedUntil(t, retention), std::nullopt) << "resolved is not closed";
  EXPECT_EQ(ExpiryOf(t, retention), 0) << "kept";
  v1::Ticket closed = t;
  closed.set_status(v1::TICKET_STATUS_CLOSED);
  *closed.add_history() =
      Change(v1::TICKET_STATUS_RESOLVED, v1::TICKET_STATUS_CLOSED, t0_ + hours(24));
  EXPECT_EQ(RetainedUntil(closed, retention), t0_ + hours(24) + kFiveYears);
  EXPECT_EQ(ExpiryOf(closed, retention), ToUnixMillis(t0_ + hours(24) + kFiveYears));
  EXPECT_TRUE(ChangesRetention(t, closed));
  // Reopened, then closed again: counted from the last close.
  v1::Ticket reopened = closed;
  reopened.set_status(v1::TICKET_STATUS_REOPENED);
  *reopened.add_history() =
      Change(v1::TICKET_STATUS_CLOSED, v1::TICKET_STATUS_REOPENED, t0_ + hours(48));
  EXPECT_EQ(RetainedUntil(reopened, retention), std::nullopt);
  EXPECT_TRUE(ChangesRetention(closed, reopened));
  EXPECT_FALSE(ChangesRetention(t, reopened));
  v1::Ticket again = reopened;
  *again.add_history() =
      Change(v1::TICKET_STATUS_REOPENED, v1::TICKET_STATUS_RESOLVED, t0_ + hours(49));
  *again.add_history() =
      Change(v1::TICKET_STATUS_RESOLVED, v1::TICKET_STATUS_CLOSED, t0_ + hours(50));
  // A note or an erasure on the closed ticket (from == to) moves nothing.
  *again.add_history() =
      Change(v1::TICKET_STATUS_CLOSED, v1::TICKET_STATUS_CLOSED, t0_ + hours(60));
  again.set_status(v1::TICKET_STATUS_CLOSED);
  EXPECT_EQ(RetainedUntil(again, Retention{hours(24 * 365)}), t0_ + hours(50 + 24 * 365));
  EXPECT_FALSE(ChangesRetention(closed, again));
}

// Through the service: set when an agent closes the ticket, cleared when it is
// reopened, set again by a retry of the close.
TEST_F(DeskTest, ClosingSetsTheRecordsExpiryAndReopeningClearsIt) {
  const v1::Ticket t = Create("repair", "C-1", "P-1");
  ASSERT_TRUE(Move(t.id(), v1::TICKET_STATUS_ACKNOWLEDGED).ok());
  ASSERT_TRUE(Move(t.id(), v1::TICKET_STATUS_RESOLVED).ok());
  EXPECT_EQ(world_.store.ExpiresAt(t.id()), std::nullopt) << "resolved: kept";
  clock_.Advance(hours(2));
  const TimePoint closed_at = clock_.Now();
  v1::TransitionTicketRequest close;
  close.set_ticket_id(t.id());
  close.set_to(v1::TICKET_STATUS_CLOSED);
  close.set_actor("agent-wang");
  close.set_request_id("close-1");
  v1::Ticket out;
  ASSERT_TRUE(service_.TransitionTicket(nullptr, &close, &out).ok());
  EXPECT_EQ(world_.store.ExpiresAt(t.id()), ToUnixMillis(closed_at + kFiveYears));
  // A crash after storing the close, before its expiry: the retry sets it.
  ASSERT_TRUE(world_.store.ExpireAt({{t.id(), 0}}).ok());
  clock_.Advance(hours(1));
  ASSERT_TRUE(service_.TransitionTicket(nullptr, &close, &out).ok());
  EXPECT_EQ(world_.store.ExpiresAt(t.id()), ToUnixMillis(closed_at + kFiveYears))
      << "counted from the close, not from the retry";
  ASSERT_TRUE(Note(t.id(), "业主确认已修好").ok());
  EXPECT_EQ(world_.store.ExpiresAt(t.id()), ToUnixMillis(closed_at + kFiveYears))
      << "a note on the closed ticket moves nothing";
  ASSERT_TRUE(Move(t.id(), v1::TICKET_STATUS_REOPENED, "又漏了").ok());
  EXPECT_EQ(world_.store.ExpiresAt(t.id()), std::nullopt) << "reopened: kept again";
  // The retry of the old close, once reopened, does not make it expire.
  ASSERT_TRUE(service_.TransitionTicket(nullptr, &close, &out).ok());
  EXPECT_EQ(world_.store.ExpiresAt(t.id()), std::nullopt);
}

}  // namespace
}  // namespace mot::ticketing
