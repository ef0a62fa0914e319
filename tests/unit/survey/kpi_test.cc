// The team KPI's shares from the counted events.
#include "survey/app/kpi.h"

#include "gtest/gtest.h"

namespace mot::survey {
namespace {

// The KPI's shares from the counted events: 12 of 200 owners bought again or referred
// (6 %), 50 active (25 %), 9 of 10 complaints resolved (90 %); with a satisfied share of
// 80 %: 0.4 * 80 + 0.2 * 6 + 0.2 * 90 + 0.2 * 25 = 56.2.
TEST(Kpi, SharesFromTheCountedEvents) {
  KpiCounter::Counts c;
  c.owners = 200;
  c.bought_again = 12;
  c.active = 50;
  c.complaints_opened = 10;
  c.complaints_resolved = 9;
  const KpiInputs in = KpiInputsOf(c, 80.0);
  EXPECT_DOUBLE_EQ(*in.repurchase, 6.0);
  EXPECT_DOUBLE_EQ(*in.community_activity, 25.0);
  EXPECT_DOUBLE_EQ(*in.complaint_resolution, 90.0);
  EXPECT_DOUBLE_EQ(*Kpi(KpiWeights{}, in), 56.2);
  // More resolved than opened this month (last month's complaints): at most 100 %.
  c.complaints_resolved = 14;
  EXPECT_DOUBLE_EQ(*KpiInputsOf(c, 80.0).complaint_resolution, 100.0);
  // Nothing to measure: left out.
  const KpiInputs none = KpiInputsOf(KpiCounter::Counts{}, std::nullopt);
  EXPECT_FALSE(none.repurchase || none.community_activity || none.complaint_resolution ||
               none.satisfaction);
  EXPECT_FALSE(Kpi(KpiWeights{}, none).has_value());
}

}  // namespace
}  // namespace mot::survey
