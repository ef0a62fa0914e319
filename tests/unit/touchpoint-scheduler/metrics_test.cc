// The scheduler's metrics, on a registry of the test's own: the touchpoint counters of
// every step in force made at start and on a reload, then only counted.
#include "touchpoint-scheduler/app/metrics.h"

#include "fakes.h"
#include "gtest/gtest.h"
#include "metric_value.h"
#include "touchpoint-scheduler/domain/playbook.h"

namespace mot::scheduler {
namespace {

class SchedulerMetricsTest : public ::testing::Test {
 protected:
  std::optional<double> Touchpoints(const std::string& step, const std::string& status) {
    return MetricValue(registry_, "mot_scheduler_touchpoints_total",
                       {{"step", step}, {"status", status}});
  }
  Playbook playbook_ = *Playbook::FromYaml(testkit::ShippedConfig("playbook.yaml"));
  prometheus::Registry registry_;
  std::unique_ptr<SchedulerMetrics> metrics_ = MakeSchedulerMetrics(registry_, playbook_);
};

TEST_F(SchedulerMetricsTest, EveryStepInForceHasItsCountersAtZero) {
  ASSERT_FALSE(playbook_.steps().empty());
  for (const auto& step : playbook_.steps()) {
    for (const char* status : {"planned", "fired", "moved", "cancelled", "failed"}) {
      EXPECT_EQ(Touchpoints(step.id, status), 0) << step.id << " " << status;
    }
  }
  metrics_->Count(playbook_.steps()[0].id, "fired", 3);
  EXPECT_EQ(Touchpoints(playbook_.steps()[0].id, "fired"), 3);
}

TEST_F(SchedulerMetricsTest, AReloadAddsTheNewStepsAndKeepsTheOldOnes) {
  std::string text = testkit::ShippedConfig("playbook.yaml");
  const std::string old_step = "  - id: first_visit_risk_disclosure\n";
  ASSERT_NE(text.find(old_step), std::string::npos);
  text.replace(text.find(old_step), old_step.size(), "  - id: a_new_step\n");
  auto next = Playbook::FromYaml(text);
  ASSERT_TRUE(next.ok()) << next.status();
  EXPECT_FALSE(Touchpoints("a_new_step", "planned").has_value());
  metrics_->AddSteps(*next);
  EXPECT_EQ(Touchpoints("a_new_step", "planned"), 0);
  EXPECT_EQ(Touchpoints("first_visit_risk_disclosure", "planned"), 0)
      << "the series of a step gone stays";
  metrics_->Count("a_new_step", "planned");
  EXPECT_EQ(Touchpoints("a_new_step", "planned"), 1);
}

TEST_F(SchedulerMetricsTest, AStepThisProcessNeverHadInForceIsCountedAsRetired) {
  EXPECT_EQ(Touchpoints("retired", "fired"), 0) << "made at start";
  metrics_->Count("a_step_of_last_year", "fired");
  metrics_->Count("a_step_of_last_year", "cancelled", 2);
  EXPECT_EQ(Touchpoints("retired", "fired"), 1);
  EXPECT_EQ(Touchpoints("retired", "cancelled"), 2);
  EXPECT_FALSE(Touchpoints("a_step_of_last_year", "fired").has_value())
      << "no series made on the dispatch path";
}

}  // namespace
}  // namespace mot::scheduler
