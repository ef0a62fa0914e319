#include <fstream>
#include <set>

#include "domain/catalogue.h"
#include "domain/playbook.h"
#include "domain/sla_policy.h"
#include "domain/templates.h"
#include "fakes.h"
#include "gtest/gtest.h"
#include "mot/common/codec.h"

namespace mot::scheduler {
namespace {

using std::chrono::hours;

lifecycle::v1::LifecycleEvent Event(const std::string& type, TimePoint at) {
  lifecycle::v1::LifecycleEvent e;
  e.set_event_id("ev-1");
  e.set_type(type);
  e.set_customer_id("C-1");
  e.set_unit_id("U-0801");
  e.set_project_id("P-SH01");
  *e.mutable_occurred_at() = ToProto(at);
  return e;
}

class PlaybookTest : public ::testing::Test {
 protected:
  Playbook playbook_ = *Playbook::FromYaml(testing::ShippedConfig("playbook.yaml"));
  TimePoint t0_ = FromUnixMillis(1'793'520'000'000);
};

TEST_F(PlaybookTest, ContractSignedPlansWelcomeNowAndSurveyAWeekLater) {
  auto planned = Plan(playbook_, Event("contract_signed", t0_));
  ASSERT_EQ(planned.size(), 2u);
  EXPECT_EQ(planned[0].touchpoint.service(), "notification");
  EXPECT_EQ(FromProto(planned[0].touchpoint.due_at()), t0_);
  EXPECT_EQ(planned[1].touchpoint.service(), "survey");
  EXPECT_EQ(FromProto(planned[1].touchpoint.due_at()) - t0_, hours(24 * 7));
  EXPECT_EQ(planned[0].touchpoint.customer_id(), "C-1");

  notification::v1::SendNotificationCommand cmd;
  ASSERT_TRUE(cmd.ParseFromString(planned[0].payload));
  EXPECT_EQ(cmd.command_id(), planned[0].touchpoint.id());
  EXPECT_EQ(cmd.template_id(), "welcome_signed");
  EXPECT_EQ(cmd.variables().at("project_id"), "P-SH01");
  EXPECT_EQ(cmd.variables().at("event_date"), "2026-11-01");
  // 20:00 UTC is 04:00 the next day in China: the message says the owner's date.
  auto evening = Plan(playbook_, Event("contract_signed", t0_ + hours(12)));
  ASSERT_TRUE(cmd.ParseFromString(evening[0].payload));
  EXPECT_EQ(cmd.variables().at("event_date"), "2026-11-02");
}

TEST_F(PlaybookTest, SameEventPlansSameIds) {
  auto a = Plan(playbook_, Event("contract_signed", t0_));
  auto b = Plan(playbook_, Event("contract_signed", t0_));
  EXPECT_EQ(a[0].touchpoint.id(), b[0].touchpoint.id());
  EXPECT_NE(a[0].touchpoint.id(), a[1].touchpoint.id());
  auto other = Event("contract_signed", t0_);
  other.set_event_id("ev-2");
  EXPECT_NE(Plan(playbook_, other)[0].touchpoint.id(), a[0].touchpoint.id());
}

TEST_F(PlaybookTest, RepairRequestOpensARepairTicket) {
  auto e = Event("repair_requested", t0_);
  (*e.mutable_attributes())["problem"] = "卫生间墙面渗水";
  auto planned = Plan(playbook_, e);
  ASSERT_EQ(planned.size(), 1u);
  ticketing::v1::OpenTicketCommand cmd;
  ASSERT_TRUE(cmd.ParseFromString(planned[0].payload));
  EXPECT_EQ(cmd.kind(), "repair");
  EXPECT_EQ(cmd.summary(), "卫生间墙面渗水");
  EXPECT_EQ(FromProto(cmd.requested_at()), t0_);
  EXPECT_TRUE(Plan(playbook_, Event("unknown_event", t0_)).empty());
}

TEST_F(PlaybookTest, HandoverPlansTheYearsAfter) {
  auto planned = Plan(playbook_, Event("handover", t0_));
  ASSERT_EQ(planned.size(), 5u);
  const std::pair<const char*, hours> expected[] = {
      {"notification", hours(0)},          {"survey", hours(24 * 30)},
      {"ticketing", hours(24 * 90)},       {"ticketing", hours(24 * 365)},
      {"ticketing", hours(24 * 365 * 4)}};
  for (size_t i = 0; i < planned.size(); ++i) {
    EXPECT_EQ(planned[i].touchpoint.service(), expected[i].first) << i;
    EXPECT_EQ(FromProto(planned[i].touchpoint.due_at()) - t0_, expected[i].second) << i;
  }
  ticketing::v1::OpenTicketCommand cmd;
  ASSERT_TRUE(cmd.ParseFromString(planned[4].payload));
  EXPECT_EQ(cmd.kind(), "common_area_review");
}

TEST_F(PlaybookTest, EveryStepNamesSomethingTheServicesKnow) {
  auto templates = *notification::TemplateSet::FromYaml(testing::ShippedConfig("templates.yaml"));
  auto surveys = *survey::SurveyCatalogue::FromYaml(testing::ShippedConfig("surveys.yaml"));
  auto sla = *ticketing::SlaPolicy::FromYaml(testing::ShippedConfig("sla.yaml"));
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
}

TEST(Playbook, ErrorsNameTheStep) {
  const std::string stages =
      "stages: {prospect_1: 6mo, runin_1: 6mo, runin_2: 12mo, stable: 3y}\n";
  auto s = Playbook::FromYaml(stages + "steps: [{id: a, title: A, on: x, action: {service: fax}}]");
  ASSERT_FALSE(s.ok());
  EXPECT_NE(std::string(s.status().message()).find("step 'a': action.service 'fax' is unknown"),
            std::string::npos);
  s = Playbook::FromYaml(stages +
                         "steps: [{id: b, title: B, on: x, action: {service: survey}}]");
  EXPECT_EQ(s.status().message(), "step 'b': action.survey is required for survey");
  s = Playbook::FromYaml(stages + "steps: [{id: c, title: C, on: x, after: later, "
                                  "action: {service: ticketing, kind: repair}}]");
  EXPECT_NE(std::string(s.status().message()).find("step 'c': after"), std::string::npos);
  EXPECT_FALSE(Playbook::FromYaml("steps: []").ok());
}

TEST(Playbook, TimeZonesAreIanaNamesPerProject) {
  const std::string base =
      "stages: {prospect_1: 6mo, runin_1: 6mo, runin_2: 12mo, stable: 3y}\n"
      "steps: [{id: a, title: A, on: x, action: {service: notification, template: t}}]\n";
  auto pb = Playbook::FromYaml(base + "time_zone: America/New_York\n"
                                      "project_time_zones: {P-HK: Asia/Hong_Kong}\n");
  ASSERT_TRUE(pb.ok()) << pb.status();
  lifecycle::v1::LifecycleEvent e = Event("x", FromUnixMillis(1'793'520'000'000));  // 08:00 UTC
  e.set_project_id("P-NY");
  notification::v1::SendNotificationCommand cmd;
  // 2026-11-01 08:00 UTC is 03:00 in New York (EST after the DST change that day).
  ASSERT_TRUE(cmd.ParseFromString(Plan(*pb, e)[0].payload));
  EXPECT_EQ(cmd.variables().at("event_date"), "2026-11-01");
  *e.mutable_occurred_at() = ToProto(FromUnixMillis(1'793'520'000'000 - 9 * 3'600'000));  // 23:00 UTC
  ASSERT_TRUE(cmd.ParseFromString(Plan(*pb, e)[0].payload));
  EXPECT_EQ(cmd.variables().at("event_date"), "2026-10-31");  // 19:00 EDT
  e.set_project_id("P-HK");
  ASSERT_TRUE(cmd.ParseFromString(Plan(*pb, e)[0].payload));
  EXPECT_EQ(cmd.variables().at("event_date"), "2026-11-01");  // 07:00 in Hong Kong
  EXPECT_EQ(Playbook::FromYaml(base + "time_zone: Mars/Olympus\n").status().message(),
            "time zone 'Mars/Olympus' is unknown; expected an IANA name such as Asia/Shanghai");
  EXPECT_NE(std::string(Playbook::FromYaml(base + "project_time_zones: {P-1: +08:00}\n")
                            .status()
                            .message())
                .find("project_time_zones.P-1"),
            std::string::npos);
}

TEST(ValidateEvent, NamesTheMissingField) {
  const TimePoint now = FromUnixMillis(1'793'520'000'000);
  lifecycle::v1::LifecycleEvent e;
  EXPECT_EQ(ValidateEvent(e, now, {}).message(), "event_id is required");
  e.set_event_id("ev");
  e.set_type("handover");
  EXPECT_EQ(ValidateEvent(e, now, {}).message(), "customer_id is required");
  e.set_customer_id("C");
  EXPECT_EQ(ValidateEvent(e, now, {}).message(), "occurred_at is required");
}

TEST(ValidateEvent, RefusesTimesOutsideTheWindow) {
  const TimePoint now = FromUnixMillis(1'793'520'000'000);
  lifecycle::v1::LifecycleEvent e = Event("handover", now);
  EventWindow window;  // 30 years back, a day ahead
  EXPECT_TRUE(ValidateEvent(e, now, window).ok());
  e.mutable_occurred_at()->set_seconds(253402214400);  // 9999-12-31: once planned at 1816
  EXPECT_EQ(ValidateEvent(e, now, window).message(),
            "occurred_at 9999-12-31T00:00:00Z is too far in the future");
  e.mutable_occurred_at()->set_seconds(-62135596800);  // 0001-01-01
  EXPECT_EQ(ValidateEvent(e, now, window).message(),
            "occurred_at 0001-01-01T00:00:00Z is too far in the past");
  *e.mutable_occurred_at() = ToProto(now + hours(23));
  EXPECT_TRUE(ValidateEvent(e, now, window).ok());
  *e.mutable_occurred_at() = ToProto(now + hours(25));
  EXPECT_FALSE(ValidateEvent(e, now, window).ok());
  *e.mutable_occurred_at() = ToProto(now - hours(24 * 365 * 29));
  EXPECT_TRUE(ValidateEvent(e, now, window).ok());
  e.mutable_occurred_at()->set_seconds(INT64_MAX);  // no overflow anywhere
  EXPECT_FALSE(ValidateEvent(e, now, window).ok());
  e.mutable_occurred_at()->set_seconds(INT64_MIN);
  EXPECT_FALSE(ValidateEvent(e, now, window).ok());
}

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

TEST(Outcome, TicketOpenedSummarisesDeadlines) {
  ticketing::v1::TicketEvent e;
  e.set_type(ticketing::v1::TICKET_EVENT_TYPE_OPENED);
  auto* t = e.mutable_ticket();
  t->set_id("tk-1");
  t->set_kind("repair");
  t->set_touchpoint_id("tp-1");
  auto* d = t->add_deadlines();
  d->set_milestone("respond");
  *d->mutable_due_at() = ToProto(FromUnixMillis(0));
  auto o = OutcomeOf(e);
  ASSERT_TRUE(o.has_value());
  EXPECT_EQ(o->status, v1::TOUCHPOINT_STATUS_DONE);
  EXPECT_EQ(o->summary, "repair ticket opened; respond by 1970-01-01T00:00:00Z");
  EXPECT_EQ(o->ref, "tk-1");
  t->clear_touchpoint_id();
  EXPECT_FALSE(OutcomeOf(e).has_value());
}

TEST(Outcome, FailedDeliveryFailsTheTouchpoint) {
  notification::v1::NotificationEvent e;
  e.mutable_delivery()->set_touchpoint_id("tp-2");
  e.mutable_delivery()->set_status(notification::v1::DELIVERY_STATUS_FAILED);
  e.mutable_delivery()->set_channel("wecom");
  e.mutable_delivery()->set_provider_response("HTTP 400");
  auto o = OutcomeOf(e);
  ASSERT_TRUE(o.has_value());
  EXPECT_EQ(o->status, v1::TOUCHPOINT_STATUS_FAILED);
  EXPECT_EQ(o->summary, "not delivered via wecom (HTTP 400)");
}

}  // namespace
}  // namespace mot::scheduler

namespace mot::scheduler {
namespace {

// docs/events.md lists exactly the catalogue's types, in its table's first column.
TEST(EventCatalogue, TheDocumentListsExactlyTheCatalogue) {
  std::ifstream in(std::string(MOT_SOURCE_DIR) + "/docs/events.md");
  ASSERT_TRUE(in) << "docs/events.md is missing";
  std::set<std::string> documented;
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("| `", 0) != 0) continue;
    const auto end = line.find('`', 3);
    documented.insert(line.substr(3, end - 3));
  }
  const auto& types = LifecycleEventTypes();
  EXPECT_EQ(documented, std::set<std::string>(types.begin(), types.end()));
  EXPECT_EQ(types.size(), 16u);
}

TEST(EventCatalogue, APlaybookKnowsTheCatalogueAndItsOwnTriggers) {
  auto playbook = Playbook::FromYaml(testing::ShippedConfig("playbook.yaml"));
  ASSERT_TRUE(playbook.ok()) << playbook.status();
  EXPECT_TRUE(playbook->Knows("unit_resold"));
  EXPECT_TRUE(playbook->Knows("repair_requested"));
  EXPECT_FALSE(playbook->Knows("moon_landing"));
}

}  // namespace
}  // namespace mot::scheduler
