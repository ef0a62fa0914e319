// The shipped playbook against the other services' own configuration: every step
// names a template, survey or ticket kind its service knows (needs all their domains).
#include "gtest/gtest.h"
#include "notification/domain/templates.h"
#include "survey/domain/catalogue.h"
#include "ticketing/domain/sla_policy.h"
#include "touchpoint-scheduler/playbook_fixture.h"

namespace mot::scheduler {
namespace {

TEST_F(PlaybookTest, EveryStepNamesSomethingTheServicesKnow) {
  auto templates = *notification::TemplateSet::FromYaml(testkit::ShippedConfig("templates.yaml"));
  auto surveys = *survey::SurveyCatalogue::FromYaml(testkit::ShippedConfig("surveys.yaml"));
  auto sla = *ticketing::SlaPolicy::FromYaml(testkit::ShippedConfig("sla.yaml"));
  for (const Step& step : playbook_.steps()) {
    const auto& p = step.action.params;
    if (step.action.service == "notification") {
      EXPECT_NE(templates.Find(p.at("template")), nullptr) << step.id << ": no such template";
    } else if (step.action.service == "survey") {
      EXPECT_NE(surveys.Find(p.at("survey")), nullptr) << step.id << ": no such survey";
    } else {
      EXPECT_NE(sla.Find(p.at("kind")), nullptr) << step.id << ": no SLA for this ticket kind";
    }
  }
  std::set<std::string> stages;
  for (const Step& step : playbook_.steps()) {
    if (step.action.service != "survey") continue;
    stages.insert(surveys.Find(step.action.params.at("survey"))->stage);
  }
  EXPECT_EQ(stages, (std::set<std::string>{"PROSPECT_1", "PROSPECT_2", "RUNIN_1", "RUNIN_2",
                                           "STABLE", "VETERAN"}))
      << "a survey for each of the six stages";
}

}  // namespace
}  // namespace mot::scheduler
