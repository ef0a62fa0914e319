#include "touchpoint-scheduler/domain/stage.h"

#include "playbook_fixture.h"

namespace mot::scheduler {
namespace {

using std::chrono::hours;

TEST_F(PlaybookTest, StagesFollowTheDomainWindows) {
  const auto& w = playbook_.stages();
  const TimePoint signed_at = t0_;
  const TimePoint handover = t0_ + hours(24 * 400);
  auto day = [](int n) { return hours(24 * n); };
  EXPECT_EQ(DeriveStage(std::nullopt, std::nullopt, t0_, w), "");
  EXPECT_EQ(DeriveStage(signed_at, std::nullopt, t0_ + day(10), w), "PROSPECT_1");
  EXPECT_EQ(DeriveStage(signed_at, std::nullopt, t0_ + day(200), w), "PROSPECT_2");
  EXPECT_EQ(DeriveStage(signed_at, handover, handover + day(30), w), "RUNIN_1");
  EXPECT_EQ(DeriveStage(signed_at, handover, handover + day(200), w), "RUNIN_2");
  EXPECT_EQ(DeriveStage(signed_at, handover, handover + day(500), w), "STABLE");
  EXPECT_EQ(DeriveStage(signed_at, handover, handover + day(365 * 3 + 1), w), "VETERAN");
}

}  // namespace
}  // namespace mot::scheduler
