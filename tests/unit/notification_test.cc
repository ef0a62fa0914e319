#include "app/notification_app.h"
#include "domain/templates.h"
#include "fakes.h"
#include "gtest/gtest.h"
#include "mot/common/topics.h"
#include "memory_record_store.h"
#include "mot/common/codec.h"
#include "prometheus/registry.h"

namespace mot::notification {
namespace {

class FakeProvider : public Provider {
 public:
  std::string ContactPoint() const override { return ""; }
  absl::StatusOr<std::string> Send(const OutgoingMessage& message) override {
    sent.push_back(message);
    if (message.text.find(fail_when) != std::string::npos) {
      return absl::UnavailableError("webhook answered HTTP 503");
    }
    if (!answer.ok()) return answer.status();
    return *answer;
  }
  std::vector<OutgoingMessage> sent;
  absl::StatusOr<std::string> answer = std::string("HTTP 200");
  std::string fail_when = "\x01";  // a message whose text contains it is not taken now
};

v1::SendNotificationCommand Welcome() {
  v1::SendNotificationCommand cmd;
  cmd.set_command_id("tp-1");
  cmd.set_touchpoint_id("tp-1");
  cmd.set_customer_id("C-1");
  cmd.set_template_id("welcome_signed");
  (*cmd.mutable_variables())["project_id"] = "P-SH01";
  (*cmd.mutable_variables())["unit_id"] = "U-0801";
  (*cmd.mutable_variables())["event_date"] = "2026-11-14";
  return cmd;
}

class NotificationTest : public ::testing::Test {
 protected:
  absl::StatusOr<std::string> Handle(const v1::SendNotificationCommand& cmd) {
    auto s = handler_.Handle(testkit::Message(kNotificationCommandsTopic, cmd.SerializeAsString()),
                             publisher_);
    if (!s.ok()) return s;
    return std::string("ok");
  }
  TemplateSet templates_ = *TemplateSet::FromYaml(testkit::ShippedConfig("templates.yaml"));
  FakeProvider provider_;
  testkit::MemoryRecordStore store_;
  testkit::FakePublisher publisher_;
  testkit::ManualClock clock_{FromUnixMillis(1'793'520'000'000)};
  prometheus::Registry registry_;
  CommandHandler handler_{templates_, {{"wecom", &provider_}}, store_, clock_, registry_};
};

TEST_F(NotificationTest, RendersZhCnTemplate) {
  auto text = Render(*templates_.Find("welcome_signed"),
                     {{"project_id", "P-SH01"}, {"unit_id", "U-0801"}, {"event_date", "2026-11-14"}});
  ASSERT_TRUE(text.ok()) << text.status();
  EXPECT_EQ(text->rfind("恭喜您于2026-11-14签约P-SH01项目U-0801单元", 0), 0u);
}

TEST_F(NotificationTest, ACommandRequestedFarFromNowIsRefusedNamingTheField) {
  auto cmd = Welcome();
  cmd.mutable_requested_at()->set_seconds(253402214400);  // 9999-12-31
  EXPECT_EQ(Handle(cmd).status().message(), "requested_at 9999-12-31T00:00:00Z is too far in the future");
  cmd.mutable_requested_at()->set_seconds(-2208988800);  // 1900-01-01
  EXPECT_EQ(Handle(cmd).status().message(), "requested_at 1900-01-01T00:00:00Z is too far in the past");
  EXPECT_TRUE(provider_.sent.empty());
  EXPECT_TRUE(publisher_.sent.empty());
  *cmd.mutable_requested_at() = ToProto(clock_.Now());
  EXPECT_TRUE(Handle(cmd).ok());
}

TEST_F(NotificationTest, MissingVariableIsAClearError) {
  auto text = Render(*templates_.Find("welcome_signed"), {{"project_id", "P"}});
  EXPECT_TRUE(absl::IsInvalidArgument(text.status()));
  EXPECT_NE(std::string(text.status().message()).find("template 'welcome_signed'"),
            std::string::npos);
}

TEST_F(NotificationTest, RedeliveredCommandSendsOnce) {
  ASSERT_TRUE(Handle(Welcome()).ok());
  ASSERT_TRUE(Handle(Welcome()).ok());
  EXPECT_EQ(provider_.sent.size(), 1u);
  EXPECT_EQ(publisher_.sent.size(), 2u);
  v1::NotificationEvent event;
  ASSERT_TRUE(event.ParseFromString(publisher_.sent[0].payload));
  EXPECT_EQ(event.delivery().status(), v1::DELIVERY_STATUS_DELIVERED);
  EXPECT_EQ(event.delivery().touchpoint_id(), "tp-1");
  EXPECT_EQ(event.delivery().provider_response(), "HTTP 200");
}

TEST_F(NotificationTest, ProviderOutageIsRetriedNotRecorded) {
  provider_.answer = absl::UnavailableError("webhook answered HTTP 503");
  EXPECT_TRUE(absl::IsUnavailable(Handle(Welcome()).status()));
  EXPECT_TRUE(store_.ListRecent(10)->empty());
  provider_.answer = std::string("HTTP 200");
  ASSERT_TRUE(Handle(Welcome()).ok());
  EXPECT_EQ(provider_.sent.size(), 2u);
  EXPECT_EQ(store_.ListRecent(10)->size(), 1u);
}

TEST_F(NotificationTest, RefusalIsRecordedAsFailed) {
  provider_.answer = absl::FailedPreconditionError("webhook refused: HTTP 400");
  ASSERT_TRUE(Handle(Welcome()).ok());
  v1::NotificationEvent event;
  ASSERT_TRUE(event.ParseFromString(publisher_.sent[0].payload));
  EXPECT_EQ(event.delivery().status(), v1::DELIVERY_STATUS_FAILED);
  EXPECT_EQ(event.delivery().provider_response(), "webhook refused: HTTP 400");
}

// A survey invitation carries the owner's own link: marked personal (never to a group
// robot: integration.SurveyTest.ADetractorAnswersInTheBrowser...).
TEST_F(NotificationTest, SurveyMessagesArePersonal) {
  EXPECT_TRUE(templates_.Find("survey_invitation")->personal);
  EXPECT_TRUE(templates_.Find("survey_reminder")->personal);
  EXPECT_FALSE(templates_.Find("welcome_signed")->personal);
  EXPECT_EQ(TemplateSet::FromYaml("templates: {t: {channel: sms, text: x, personal: yes}}").status().message(),
            "template 't': personal: expected true or false");
}

TEST_F(NotificationTest, UnknownTemplateGoesToDeadLetters) {
  auto cmd = Welcome();
  cmd.set_template_id("nope");
  EXPECT_TRUE(absl::IsInvalidArgument(Handle(cmd).status()));
  cmd = Welcome();
  cmd.clear_customer_id();
  EXPECT_EQ(Handle(cmd).status().message(), "customer_id is required");
  EXPECT_TRUE(provider_.sent.empty());
}

v1::SendNotificationCommand WelcomeFor(const std::string& id, const std::string& unit) {
  auto cmd = Welcome();
  cmd.set_command_id(id);
  cmd.set_touchpoint_id(id);
  (*cmd.mutable_variables())["unit_id"] = unit;
  return cmd;
}

TEST_F(NotificationTest, ABatchSendsEachCommandOnceAndRetriesOnlyWhatFailed) {
  provider_.fail_when = "U-0903";
  std::vector<Work> batch;
  for (const auto& cmd : {WelcomeFor("tp-a", "U-0901"), WelcomeFor("tp-b", "U-0903"),
                          WelcomeFor("tp-a", "U-0901"), WelcomeFor("tp-c", "U-0905")}) {
    batch.push_back(
        {testkit::Message(kNotificationCommandsTopic, cmd.SerializeAsString()), &publisher_, {}});
  }
  handler_.HandleBatch(batch);
  EXPECT_TRUE(batch[0].status.ok()) << batch[0].status;
  EXPECT_TRUE(absl::IsUnavailable(batch[1].status)) << batch[1].status;  // retried
  EXPECT_TRUE(batch[2].status.ok()) << batch[2].status;  // the same command: sent once
  EXPECT_TRUE(batch[3].status.ok()) << batch[3].status;
  EXPECT_EQ(provider_.sent.size(), 3u);  // a, b (refused now), c
  EXPECT_EQ(store_.ListRecent(10)->size(), 2u);  // a and c recorded, b not
  EXPECT_EQ(publisher_.sent.size(), 3u);         // a twice, c
  v1::NotificationEvent first, again;
  ASSERT_TRUE(first.ParseFromString(publisher_.sent[0].payload));
  ASSERT_TRUE(again.ParseFromString(publisher_.sent[2].payload));
  EXPECT_EQ(first.delivery().touchpoint_id(), "tp-a");
  EXPECT_EQ(again.delivery().id(), first.delivery().id());
}

// Malformed text anywhere in a template, or in its subject, stops the load: fmt stops
// at the first placeholder, so the rest went unchecked until every send failed (found
// by fuzz_templates).
TEST(TemplateSet, MalformedTextOrSubjectIsRefusedAtLoad) {
  auto after = TemplateSet::FromYaml("templates: {t: {channel: sms, text: \"恭喜您于{event_date}收房{\"}}");
  ASSERT_FALSE(after.ok());
  EXPECT_EQ(std::string(after.status().message()).rfind("template 't': malformed text: ", 0), 0u) << after.status();
  auto subject = TemplateSet::FromYaml(
      "templates: {t: {channel: email, text: \"{survey_title}\", subject: \"{survey_title\"}}");
  ASSERT_FALSE(subject.ok());
  EXPECT_EQ(std::string(subject.status().message()).rfind("template 't': malformed subject: ", 0), 0u)
      << subject.status();
  EXPECT_TRUE(TemplateSet::FromYaml("templates: {t: {channel: sms, text: \"{{literal}} {a} and {b:>3}\"}}").ok());
  // Placeholders by position (found by fuzz_templates: "{1}" made fmt assert and
  // terminate the service at load).
  for (const char* text : {"{1} after {event_date}", "{} and {event_date}", "{1x}", "{a-b}"}) {
    auto positional = TemplateSet::FromYaml(std::string("templates: {t: {channel: sms, text: \"") + text + "\"}}");
    ASSERT_FALSE(positional.ok()) << text;
    EXPECT_NE(std::string(positional.status().message()).find(": expected a variable's name"), std::string::npos)
        << positional.status();
  }
}

TEST(TemplateSet, AnEmailSubjectIsTheTemplatesOrTheFirstSentence) {
  auto set = TemplateSet::FromYaml(
      "templates:\n"
      "  a: {channel: email, text: '您好，{p}项目已交付！请查收。', subject: '{p}交付通知'}\n"
      "  b: {channel: email, text: '您好，{p}项目已交付！请查收。'}\n"
      "  c: {channel: email, text: '一二三四五六七八九十一二三四五六七八九十一二三四五六七八九十一二三四五六七八九十一二三'}\n");
  ASSERT_TRUE(set.ok()) << set.status();
  const std::map<std::string, std::string> vars = {{"p", "P-1"}};
  auto subject = [&](const char* id) {
    const Template& t = *set->Find(id);
    return *Subject(t, *Render(t, vars), vars);
  };
  EXPECT_EQ(subject("a"), "P-1交付通知");
  EXPECT_EQ(subject("b"), "您好，P-1项目已交付！");
  EXPECT_EQ(subject("c"), "一二三四五六七八九十一二三四五六七八九十一二三四五六七八九十一二三四五六七八九十")
      << "at most 40 characters, cut between characters";
  EXPECT_EQ(TemplateSet::FromYaml("templates: {t: {channel: sms, text: x, sms: y}}").status().message(),
            "template 't': unknown field 'sms'");
}

TEST(TemplateSet, RejectsMalformedText) {
  auto s = TemplateSet::FromYaml("templates: {t: {channel: wecom, text: 'hello {'}}").status();
  EXPECT_TRUE(absl::IsInvalidArgument(s));
  EXPECT_NE(std::string(s.message()).find("template 't'"), std::string::npos);
}

}  // namespace
}  // namespace mot::notification
