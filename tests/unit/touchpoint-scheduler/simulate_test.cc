#include "touchpoint-scheduler/domain/simulate.h"

#include "playbook_fixture.h"

namespace mot::scheduler {
namespace {

using std::chrono::hours;

TEST_F(PlaybookTest, SimulatePrintsAWholeJourneyFromSigningToTheFourYearReview) {
  auto handover = Handover(At("2027-06-30 10:00"), "2029-06-30");
  auto journey = Simulate(playbook_, {}, {Signed(t0_), handover}, At("2031-07-01 12:00"));
  ASSERT_TRUE(journey.ok()) << journey.status();
  ASSERT_FALSE(journey->empty());
  EXPECT_EQ(journey->front().step_id(), "welcome_after_signing");
  EXPECT_EQ(journey->back().step_id(), "four_year_appointment");
  EXPECT_EQ(journey->back().status(), v1::TOUCHPOINT_STATUS_DISPATCHED);
  int monthly = 0, festivals = 0;
  for (size_t i = 1; i < journey->size(); ++i) {
    EXPECT_LE(FromProto((*journey)[i - 1].due_at()), FromProto((*journey)[i].due_at()));
  }
  for (const auto& tp : *journey) {
    if (tp.step_id() == "construction_progress_monthly" &&
        tp.status() == v1::TOUCHPOINT_STATUS_DISPATCHED)
      ++monthly;
    if (tp.step_id() == "construction_progress_monthly") {
      EXPECT_TRUE(tp.status() == v1::TOUCHPOINT_STATUS_DISPATCHED ||
                  tp.status() == v1::TOUCHPOINT_STATUS_CANCELLED);
    }
    if (tp.step_id() == "spring_festival_greeting") ++festivals;
  }
  EXPECT_EQ(monthly, 8) << "monthly until the handover on 2027-06-30";
  EXPECT_EQ(festivals, 4) << "the Spring Festivals listed from 2027 to 2030";
}

}  // namespace
}  // namespace mot::scheduler
