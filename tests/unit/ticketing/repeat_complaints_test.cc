// The repeat-complaint rule on its own: which earlier ticket a new one repeats.
#include "ticketing/domain/repeat_complaints.h"

#include "fixtures.h"

namespace mot::ticketing {
namespace {

class RepeatComplaintsTest : public TicketingTest {
 protected:
  v1::Ticket Ticket(const std::string& id, TimePoint opened,
                    const std::string& kind = "complaint_general",
                    const std::string& customer = "C-1", const std::string& unit = "U-1",
                    const std::string& category = "property_service") {
    v1::Ticket t;
    t.set_id(id);
    t.set_kind(kind);
    t.set_customer_id(customer);
    t.set_unit_id(unit);
    t.set_category(category);
    *t.mutable_opened_at() = ToProto(opened);
    return t;
  }
  // The id of the ticket `t` repeats among `earlier`; empty when none.
  std::string Repeats(const v1::Ticket& t, const std::vector<v1::Ticket>& earlier) {
    std::vector<const v1::Ticket*> candidates;
    for (const auto& e : earlier) candidates.push_back(&e);
    const v1::Ticket* repeated = RepeatedTicket(rule_, t, candidates);
    return repeated == nullptr ? "" : repeated->id();
  }
  const RepeatComplaints& rule_ = policy_.repeat_complaints();
};

TEST_F(RepeatComplaintsTest, TheShippedRuleLinksWithinNinetyDays) {
  EXPECT_EQ(rule_.within, hours(24 * 90));
  EXPECT_TRUE(rule_.kinds.count("complaint_major"));
  EXPECT_FALSE(rule_.kinds.count("revisit")) << "a follow-up task repeats nothing";
}

TEST_F(RepeatComplaintsTest, TheLatestOfTheSameOwnerUnitAndCategoryWithinTheWindow) {
  const auto older = Ticket("tk-1", t0_ - hours(24 * 30));
  const auto latest = Ticket("tk-2", t0_ - hours(24 * 10), "repair");  // another linked kind
  const auto t = Ticket("tk-3", t0_);
  EXPECT_EQ(Repeats(t, {older, latest}), "tk-2");
  EXPECT_EQ(Repeats(t, {latest, older}), "tk-2") << "in any order";
}

TEST_F(RepeatComplaintsTest, AnythingElseIsNoRepeat) {
  const auto t = Ticket("tk-9", t0_);
  const std::vector<std::pair<const char*, v1::Ticket>> others = {
      {"another owner", Ticket("tk-1", t0_ - hours(1), "complaint_general", "C-2")},
      {"another unit", Ticket("tk-1", t0_ - hours(1), "complaint_general", "C-1", "U-2")},
      {"another category",
       Ticket("tk-1", t0_ - hours(1), "complaint_general", "C-1", "U-1", "plumbing")},
      {"a kind the rule does not link", Ticket("tk-1", t0_ - hours(1), "revisit")},
      {"outside the window", Ticket("tk-1", t0_ - hours(24 * 90) - std::chrono::seconds(1))},
      {"opened after it", Ticket("tk-1", t0_ + hours(1))},
      {"itself", Ticket("tk-9", t0_)},
  };
  for (const auto& [why, other] : others) EXPECT_EQ(Repeats(t, {other}), "") << why;
  EXPECT_EQ(Repeats(t, {Ticket("tk-1", t0_ - hours(24 * 90))}), "tk-1") << "exactly 90 days before";
}

TEST_F(RepeatComplaintsTest, OnlyALinkedKindWithACategoryCanRepeat) {
  EXPECT_TRUE(MayRepeat(rule_, Ticket("tk-1", t0_)));
  EXPECT_FALSE(MayRepeat(rule_, Ticket("tk-1", t0_, "revisit")));
  EXPECT_FALSE(MayRepeat(rule_, Ticket("tk-1", t0_, "complaint_general", "C-1", "U-1", "")))
      << "without a category nothing is compared";
  const auto earlier = Ticket("tk-0", t0_ - hours(1), "complaint_general", "C-1", "U-1", "");
  EXPECT_EQ(Repeats(Ticket("tk-1", t0_, "complaint_general", "C-1", "U-1", ""), {earlier}), "");
}

}  // namespace
}  // namespace mot::ticketing
