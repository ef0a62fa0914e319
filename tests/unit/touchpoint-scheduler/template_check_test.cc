// The playbook against notification's templates: each notification step's template is
// there, and uses only variables its command is sure to carry.
#include "touchpoint-scheduler/domain/template_check.h"

#include "playbook_fixture.h"
#include "touchpoint-scheduler/domain/feedback.h"

namespace mot::scheduler {
namespace {

class TemplateCheckTest : public PlaybookTest {
 protected:
  TemplateUses uses_ = *TemplateUsesFromYaml(testkit::ShippedConfig("templates.yaml"));
};

TEST_F(TemplateCheckTest, TheShippedPlaybookMatchesTheShippedTemplates) {
  EXPECT_EQ(uses_.at("signing_progress"), (std::set<std::string>{"project_id", "unit_id", "node"}));
  EXPECT_TRUE(CheckTemplates(playbook_, uses_).ok()) << CheckTemplates(playbook_, uses_);
}

TEST_F(TemplateCheckTest, AVariableTheEventNeedNotCarryIsRefusedNamingStepAndVariable) {
  auto uses = uses_;
  uses["signing_progress"].insert("handler_phone");
  EXPECT_EQ(CheckTemplates(playbook_, uses).message(),
            "step 'signing_progress_notice': template 'signing_progress' uses {handler_phone}, "
            "which its event need not carry (add handler_phone to the step's requires)");
  uses = uses_;
  uses["signing_progress"] = {"node"};
  EXPECT_TRUE(CheckTemplates(playbook_, uses).ok()) << "a template may use fewer";
}

TEST_F(TemplateCheckTest, AStepWhoseTemplateIsMissingIsRefused) {
  auto uses = uses_;
  uses.erase("birthday_care");
  EXPECT_EQ(CheckTemplates(playbook_, uses).message(),
            "step 'birthday_care': template 'birthday_care' is not in the templates "
            "(MOT_TEMPLATES)");
}

TEST_F(TemplateCheckTest, AMalformedPlaceholderInTheTemplatesIsRefused) {
  auto uses = TemplateUsesFromYaml("templates:\n  t:\n    channel: wecom\n    text: \"{1}\"\n");
  ASSERT_FALSE(uses.ok());
  EXPECT_EQ(uses.status().message(),
            "template 't': text: placeholder {1}: expected a variable's name");
}

// What VariablesOf counts on for our services' events is what TriggerOf puts there.
TEST_F(TemplateCheckTest, TheTriggersOfOurServicesEventsCarryWhatTheCheckCountsOn) {
  const auto sv = testkit::FromText<survey::v1::SurveyEvent>(
      "type: SURVEY_EVENT_TYPE_CREATED instance { id: 'sv-1' customer_id: 'C-1' "
      "link: 'https://s.example/s/t' expires_at { seconds: 1793520000 } }");
  const auto tk = testkit::FromText<ticketing::v1::TicketEvent>(
      "type: TICKET_EVENT_TYPE_RESOLVED ticket { id: 'tk-1' customer_id: 'C-1' }");
  const auto nt = testkit::FromText<notification::v1::NotificationEvent>(
      "delivery { id: 'dl-1' customer_id: 'C-1' status: DELIVERY_STATUS_DELIVERED }");
  for (const auto& trigger :
       {*TriggerOf(sv, t0_, playbook_), *TriggerOf(tk, t0_), *TriggerOf(nt, t0_)}) {
    Step step;
    step.on = trigger.type();
    std::set<std::string> carried;
    for (const auto& [k, v] : trigger.attributes()) carried.insert(k);
    std::set<std::string> counted = VariablesOf(step);
    for (const char* base : {"project_id", "unit_id", "event_date"}) counted.erase(base);
    EXPECT_EQ(counted, carried) << trigger.type();
  }
}

}  // namespace
}  // namespace mot::scheduler
