#include "touchpoint-scheduler/domain/simulate.h"

#include <algorithm>

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

TEST_F(PlaybookTest, SimulateShowsWhatAnImportSkips) {
  // Signed in January 2024 and handed over in December 2024; the mesh hears of it on
  // 2026-11-01 (t0_). Nothing more than 30 days stale goes out; what is ahead does.
  const auto events = std::vector{Signed(At("2024-01-10 10:00"), "2024-12-20"),
                                  Handover(At("2024-12-20 10:00"), "2034-12-20")};
  const TimePoint until = At("2029-06-30 12:00");
  auto heard = Simulate(playbook_, {}, events, until, t0_);
  ASSERT_TRUE(heard.ok()) << heard.status();
  int skipped = 0, sent_at_once = 0;
  for (const auto& tp : *heard) {
    const TimePoint due = FromProto(tp.due_at());
    if (tp.status() == v1::TOUCHPOINT_STATUS_SKIPPED) {
      ++skipped;
      EXPECT_LT(due, t0_) << tp.step_id();
      EXPECT_EQ(tp.outcome().rfind("due ", 0), 0u) << tp.outcome();
    } else if (tp.status() == v1::TOUCHPOINT_STATUS_DISPATCHED && due < t0_) {
      ++sent_at_once;
      EXPECT_GT(due, t0_ - Days(30)) << tp.step_id() << " sent though stale";
    }
  }
  EXPECT_GE(skipped, 15) << "the signing's and the handover's past steps";
  EXPECT_EQ(sent_at_once, 0) << "nothing of this history was within its limit";
  const auto four_year = std::find_if(heard->begin(), heard->end(), [](const auto& tp) {
    return tp.step_id() == "four_year_appointment";
  });
  ASSERT_NE(four_year, heard->end());
  EXPECT_EQ(four_year->status(), v1::TOUCHPOINT_STATUS_DISPATCHED) << "the +2 review stays";
  // Heard as it happened, the same history skips nothing.
  auto live = Simulate(playbook_, {}, events, until);
  ASSERT_TRUE(live.ok()) << live.status();
  for (const auto& tp : *live)
    EXPECT_NE(tp.status(), v1::TOUCHPOINT_STATUS_SKIPPED) << tp.step_id();
}

}  // namespace
}  // namespace mot::scheduler
