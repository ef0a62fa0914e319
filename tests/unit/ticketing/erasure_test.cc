// EraseText: a forgotten owner's free text erased, the ticket's facts kept.
#include "ticketing/domain/erasure.h"

#include "fixtures.h"

namespace mot::ticketing {
namespace {

class ErasureTest : public TicketingTest {
 protected:
  // A ticket with text in every free-text field, and the facts around it.
  v1::Ticket Written() const {
    auto t = testkit::FromText<v1::Ticket>(R"pb(
      id: "tk-1"
      kind: "complaint_general"
      customer_id: "C-1"
      unit_id: "U-1"
      project_id: "P-1"
      summary: "李女士说卫生间漏水"
      status: TICKET_STATUS_WAITING_ON_OWNER
      touchpoint_id: "tp-1"
      category: "plumbing"
      team: "engineering_water_power"
      assignee: "agent-chen"
      defect_code: "SJ01"
      repeat_of: "tk-0"
      deadlines { milestone: "respond" breached: true }
      alerts { kind: SLA_ALERT_KIND_BREACHED milestone: "respond" role: "manager" level: 1 }
      history {
        to: TICKET_STATUS_NEW
        actor: "agent-li"
        reason: "opened by an agent"
        request_id: "rq-1"
      }
      history {
        from: TICKET_STATUS_NEW
        to: TICKET_STATUS_ACKNOWLEDGED
        actor: "agent-wang"
        request_id: "rq-2"
      }
      history {
        from: TICKET_STATUS_ACKNOWLEDGED
        to: TICKET_STATUS_WAITING_ON_OWNER
        actor: "agent-wang"
        reason: "业主出差，下周回来"
        request_id: "rq-3"
        caller: "agent-wang"
      }
      notes { author: "agent-chen" text: "已电话联系业主" request_id: "nt-1" }
      notes { author: "agent-chen" text: "约定明早上门" request_id: "nt-2" }
    )pb");
    *t.mutable_opened_at() = ToProto(t0_);
    *t.mutable_deadlines(0)->mutable_due_at() = ToProto(t0_ + hours(2));
    *t.mutable_history(0)->mutable_at() = ToProto(t0_);
    *t.mutable_history(1)->mutable_at() = ToProto(t0_ + hours(1));
    *t.mutable_history(2)->mutable_at() = ToProto(t0_ + hours(3));
    return t;
  }
};

TEST_F(ErasureTest, EveryFreeTextFieldIsErasedAndTheErasureRecorded) {
  const v1::Ticket before = Written();
  const v1::Ticket after = EraseText(before, t0_ + hours(24));
  EXPECT_EQ(after.summary(), kErased);
  for (const auto& n : after.notes()) EXPECT_EQ(n.text(), kErased);
  EXPECT_EQ(after.history(0).reason(), kErased);
  EXPECT_EQ(after.history(1).reason(), "") << "no reason given: nothing to erase";
  EXPECT_EQ(after.history(2).reason(), kErased);
  ASSERT_EQ(after.history_size(), 4);
  const auto& entry = after.history(3);
  EXPECT_EQ(entry.reason(), "text erased: the owner was forgotten");
  EXPECT_EQ(entry.actor(), kErasureActor);
  EXPECT_EQ(entry.from(), v1::TICKET_STATUS_WAITING_ON_OWNER);
  EXPECT_EQ(entry.to(), v1::TICKET_STATUS_WAITING_ON_OWNER) << "the status stays";
  EXPECT_EQ(FromProto(entry.at()), t0_ + hours(24));
  const std::string bytes = after.SerializeAsString();
  for (const char* planted :
       {"李女士说卫生间漏水", "业主出差，下周回来", "已电话联系业主", "约定明早上门"}) {
    EXPECT_EQ(bytes.find(planted), std::string::npos) << planted;
  }
}

TEST_F(ErasureTest, TheTicketsFactsStay) {
  const v1::Ticket before = Written();
  v1::Ticket after = EraseText(before, t0_ + hours(24));
  // Put the text back and drop the erasure's entry: the rest is as it was.
  after.set_summary(before.summary());
  for (int i = 0; i < before.notes_size(); ++i)
    after.mutable_notes(i)->set_text(before.notes(i).text());
  after.mutable_history()->RemoveLast();
  for (int i = 0; i < before.history_size(); ++i)
    after.mutable_history(i)->set_reason(before.history(i).reason());
  EXPECT_EQ(after.SerializeAsString(), before.SerializeAsString());
}

TEST_F(ErasureTest, ErasingAgainChangesNothingMoreButErasesTextAddedSince) {
  const v1::Ticket once = EraseText(Written(), t0_ + hours(24));
  EXPECT_TRUE(IsErased(once));
  EXPECT_FALSE(IsErased(Written()));
  EXPECT_EQ(EraseText(once, t0_ + hours(48)).SerializeAsString(), once.SerializeAsString());
  // A ticket with no text at all: the erasure is still recorded, once.
  v1::Ticket bare;
  bare.set_id("tk-2");
  const v1::Ticket bare_once = EraseText(bare, t0_);
  EXPECT_EQ(bare_once.history_size(), 1);
  EXPECT_EQ(EraseText(bare_once, t0_ + hours(1)).SerializeAsString(),
            bare_once.SerializeAsString());
  // A note written after the erasure is erased by the next one, recorded again.
  v1::Ticket later = once;
  later.add_notes()->set_text("业主又来电");
  EXPECT_FALSE(IsErased(later));
  const v1::Ticket twice = EraseText(later, t0_ + hours(48));
  EXPECT_EQ(twice.notes(2).text(), kErased);
  EXPECT_EQ(twice.history_size(), once.history_size() + 1);
  EXPECT_EQ(twice.history(once.history_size() - 1).reason(), kErasureReason)
      << "the first erasure's entry is kept as it is";
}

}  // namespace
}  // namespace mot::ticketing
