#include <fstream>

#include "scheduler_app_fixture.h"
#include "touchpoint-scheduler/domain/template_check.h"

namespace mot::scheduler {
namespace {

using std::chrono::hours;

TEST_F(SchedulerAppTest, ABrokenPlaybookNeverReplacesTheGoodOne) {
  const std::string path = ::testing::TempDir() + "/playbook-reload.yaml";
  const std::string good = testkit::ShippedConfig("playbook.yaml");
  std::ofstream(path) << good;
  LivePlaybook live(*Playbook::FromYaml(good), path, good);
  EXPECT_FALSE(*live.Reload()) << "unchanged";
  std::ofstream(path) << good +
                             "\n  - {id: broken, title: B, on: handover, after: soon, "
                             "action: {service: ticketing, kind: repair}}\n";
  auto refused = live.Reload();
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().message(), path + ": step 'broken': after: bad duration 'soon'");
  EXPECT_EQ(live.Get()->version(), "2026.11-6plus2");
  EXPECT_EQ(live.Get()->FindStep("broken"), nullptr);
  std::ofstream(path) << std::string(good).replace(good.find("2026.11-6plus2"), 14, "2026.12-next");
  ASSERT_TRUE(*live.Reload());
  EXPECT_EQ(live.Get()->version(), "2026.12-next");
}

TEST_F(SchedulerAppTest, APlaybookTheTemplatesRefuseNeverReplacesTheGoodOne) {
  const std::string path = ::testing::TempDir() + "/playbook-templates.yaml";
  const std::string good = testkit::ShippedConfig("playbook.yaml");
  std::ofstream(path) << good;
  const auto uses = *TemplateUsesFromYaml(testkit::ShippedConfig("templates.yaml"));
  LivePlaybook live(*Playbook::FromYaml(good), path, good,
                    [uses](const Playbook& pb) { return CheckTemplates(pb, uses); });
  std::ofstream(path) << good +
                             "\n  - {id: late_news, title: N, on: handover, after: 1d, "
                             "action: {service: notification, template: signing_progress}}\n";
  auto refused = live.Reload();
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().message(),
            path +
                ": step 'late_news': template 'signing_progress' uses {node}, which its event "
                "need not carry (add node to the step's requires)");
  EXPECT_EQ(live.Get()->FindStep("late_news"), nullptr);
}

}  // namespace
}  // namespace mot::scheduler
