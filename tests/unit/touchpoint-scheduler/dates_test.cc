#include "touchpoint-scheduler/domain/dates.h"

#include "playbook_fixture.h"

namespace mot::scheduler {
namespace {

using std::chrono::hours;

TEST_F(PlaybookTest, AnchorsUseCalendarMonths) {
  auto a = ParseAnchor("planned_handover_date - 3mo");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->first, "planned_handover_date");
  EXPECT_EQ(a->second.sign, -1);
  EXPECT_EQ(a->second.months, 3);
  // 31 May - 3 months: 28 February (clamped to the month's end).
  EXPECT_EQ(Local(AtDate(absl::CivilDay(2027, 5, 31), a->second, shanghai_)), "2027-02-28 00:00");
  auto b = ParseAnchor("warranty_end_date + 1y2d");
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(Local(AtDate(absl::CivilDay(2028, 2, 29), b->second, shanghai_)), "2029-03-02 00:00");
  EXPECT_FALSE(ParseAnchor("planned_handover_date * 3mo").ok());
  EXPECT_FALSE(ParseAnchor("planned_handover_date - ").ok());
  EXPECT_FALSE(ParseAnchor("- 3mo").ok());
  EXPECT_FALSE(ParseAnchor("planned_handover_date - 3fortnights").ok());
}

}  // namespace
}  // namespace mot::scheduler
