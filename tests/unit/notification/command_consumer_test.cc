// The command consumer on its production path (routing, owners, the cap's ledger and
// the deferred sends on their timers), with in-memory fakes.
#include "notification/app/command_consumer.h"

#include "absl/strings/escaping.h"
#include "fakes.h"
#include "gtest/gtest.h"
#include "memory_cap_ledger.h"
#include "memory_record_store.h"
#include "memory_timers.h"
#include "mot/common/codec.h"
#include "mot/common/ids.h"
#include "mot/common/topics.h"
#include "notification/app/deferred_sends.h"
#include "notification/app/owner_book.h"
#include "notification/domain/templates.h"
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
  // The delivery's record.
  v1::Delivery Recorded(const std::string& command_id) {
    auto raw = store_.Get(DeterministicId("dl", {command_id}));
    v1::Delivery d;
    EXPECT_TRUE(raw.ok() && raw->has_value());
    if (raw.ok() && raw->has_value()) EXPECT_TRUE(d.ParseFromString(**raw));
    return d;
  }
  TemplateSet templates_ = *TemplateSet::FromYaml(testkit::ShippedConfig("templates.yaml"));
  Routing routing_ = *Routing::FromYaml(testkit::ShippedConfig("channels.yaml"));
  ContactVault vault_ = *ContactVault::FromSpec("k1:" + absl::Base64Escape(std::string(32, 'k')));
  FakeProvider provider_;
  testkit::MemoryRecordStore store_;
  testkit::FakePublisher publisher_;  // the consumer's events
  testkit::FakePublisher again_;      // the commands the deferred sends publish again
  // 2026-11-01 16:00 in Shanghai (outside quiet hours).
  testkit::ManualClock clock_{FromUnixMillis(1'793'520'000'000)};
  prometheus::Registry registry_;
  OwnerBook owners_{store_, vault_};
  testkit::MemoryCapLedger caps_{routing_.cap_within()};
  testkit::MemoryTimers timers_{{"notification.deferred", 16}};
  DeferredSends deferred_{store_, timers_, again_, clock_, ClaimOptions{}};
  CommandHandler handler_{templates_, {{"wecom", &provider_}},
                          store_,     clock_,
                          registry_,  {routing_, owners_, caps_, deferred_, TimeWindow{}}};
};

TEST_F(NotificationTest, RendersZhCnTemplate) {
  auto text =
      Render(*templates_.Find("welcome_signed"),
             {{"project_id", "P-SH01"}, {"unit_id", "U-0801"}, {"event_date", "2026-11-14"}});
  ASSERT_TRUE(text.ok()) << text.status();
  EXPECT_EQ(text->rfind("恭喜您于2026-11-14签约P-SH01项目U-0801单元", 0), 0u);
}

TEST_F(NotificationTest, ACommandRequestedFarFromNowIsRefusedNamingTheField) {
  auto cmd = Welcome();
  cmd.mutable_requested_at()->set_seconds(253402214400);  // 9999-12-31
  EXPECT_EQ(Handle(cmd).status().message(),
            "requested_at 9999-12-31T00:00:00Z is too far in the future");
  cmd.mutable_requested_at()->set_seconds(-2208988800);  // 1900-01-01
  EXPECT_EQ(Handle(cmd).status().message(),
            "requested_at 1900-01-01T00:00:00Z is too far in the past");
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

// A command its template cannot be rendered from is never sent: its delivery is FAILED
// with the reason and told (so its touchpoint fails too), then dead-lettered.
TEST_F(NotificationTest, AMissingVariableFailsTheDeliveryAndTellsItsTouchpoint) {
  auto cmd = Welcome();
  cmd.mutable_variables()->erase("event_date");
  const auto handled = Handle(cmd);
  ASSERT_FALSE(handled.ok());
  EXPECT_TRUE(absl::IsInvalidArgument(handled.status()));
  EXPECT_NE(handled.status().message().find("template 'welcome_signed'"), std::string::npos)
      << handled.status();
  EXPECT_TRUE(provider_.sent.empty());
  ASSERT_EQ(publisher_.sent.size(), 1u) << "the failure is told";
  v1::NotificationEvent event;
  ASSERT_TRUE(event.ParseFromString(publisher_.sent[0].payload));
  EXPECT_EQ(event.delivery().status(), v1::DELIVERY_STATUS_FAILED);
  EXPECT_EQ(event.delivery().touchpoint_id(), "tp-1");
  EXPECT_EQ(event.delivery().reason(), handled.status().message());
  EXPECT_EQ(Recorded("tp-1").status(), v1::DELIVERY_STATUS_FAILED);
  // Redelivered (it was dead-lettered once): its record's event told again, never sent.
  EXPECT_TRUE(Handle(cmd).ok());
  EXPECT_TRUE(provider_.sent.empty());
  EXPECT_EQ(publisher_.sent.size(), 2u);
}

TEST_F(NotificationTest, AnUnknownTemplateFailsTheDelivery) {
  auto cmd = Welcome();
  cmd.set_template_id("no_such_template");
  EXPECT_EQ(Handle(cmd).status().message(), "template_id is unknown (not in the templates)");
  ASSERT_EQ(publisher_.sent.size(), 1u);
  v1::NotificationEvent event;
  ASSERT_TRUE(event.ParseFromString(publisher_.sent[0].payload));
  EXPECT_EQ(event.delivery().status(), v1::DELIVERY_STATUS_FAILED);
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

// The production path: an outage never holds the consumer; the message is recorded
// RETRYING with a timer (it was left to the consumer's retry, unrecorded, in a mode
// without deferred sends that is gone), then tried again when it is due.
TEST_F(NotificationTest, ProviderOutageIsRetriedNotRecorded) {
  provider_.answer = absl::UnavailableError("webhook answered HTTP 503");
  ASSERT_TRUE(Handle(Welcome()).ok());
  EXPECT_EQ(store_.ListRecent(10)->size(), 1u);
  EXPECT_EQ(Recorded("tp-1").status(), v1::DELIVERY_STATUS_RETRYING);
  EXPECT_EQ(timers_.Armed(), 1);
  provider_.answer = std::string("HTTP 200");
  clock_.Advance(std::chrono::minutes(1));
  ASSERT_TRUE(Handle(Welcome()).ok());
  EXPECT_EQ(provider_.sent.size(), 2u);
  EXPECT_EQ(store_.ListRecent(10)->size(), 1u);
  EXPECT_EQ(Recorded("tp-1").status(), v1::DELIVERY_STATUS_DELIVERED);
}

// A refusal on the only channel: FAILED, its event out, the command dead-lettered with
// the attempt (the production path; recorded FAILED and acknowledged before).
TEST_F(NotificationTest, RefusalIsRecordedAsFailed) {
  provider_.answer = absl::FailedPreconditionError("webhook refused: HTTP 400");
  EXPECT_EQ(Handle(Welcome()).status().message(),
            "delivery " + DeterministicId("dl", {"tp-1"}) +
                " failed on every channel: wecom: webhook refused: HTTP 400");
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
  EXPECT_EQ(TemplateSet::FromYaml("templates: {t: {channel: sms, text: x, personal: yes}}")
                .status()
                .message(),
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
  EXPECT_TRUE(batch[1].status.ok()) << batch[1].status;  // RETRYING on its timer
  EXPECT_TRUE(batch[2].status.ok()) << batch[2].status;  // the same command: sent once
  EXPECT_TRUE(batch[3].status.ok()) << batch[3].status;
  EXPECT_EQ(provider_.sent.size(), 3u);          // a, b (refused now), c
  EXPECT_EQ(store_.ListRecent(10)->size(), 3u);  // a, b (RETRYING) and c recorded
  EXPECT_EQ(Recorded("tp-b").status(), v1::DELIVERY_STATUS_RETRYING);
  EXPECT_EQ(timers_.Armed(), 1);          // b's retry
  EXPECT_EQ(publisher_.sent.size(), 4u);  // a, b, c, then a again
  v1::NotificationEvent first, again;
  ASSERT_TRUE(first.ParseFromString(publisher_.sent[0].payload));
  ASSERT_TRUE(again.ParseFromString(publisher_.sent[3].payload));
  EXPECT_EQ(first.delivery().touchpoint_id(), "tp-a");
  EXPECT_EQ(again.delivery().id(), first.delivery().id());
}

class CommandConsumerTest : public NotificationTest {
 protected:
  v1::SendNotificationCommand Care(const std::string& id) {
    auto cmd = WelcomeFor(id, "U-0801");
    cmd.set_category("care");
    return cmd;
  }
  int Partition() { return timers_.layout().PartitionOf("C-1"); }
};

TEST_F(CommandConsumerTest, ACareMessageAt2310IsHeldAndItsTimerSetFor0800) {
  clock_.Advance(std::chrono::hours(7) + std::chrono::minutes(10));  // 23:10 in Shanghai
  ASSERT_TRUE(Handle(Care("tp-late")).ok());
  EXPECT_TRUE(provider_.sent.empty());
  const v1::Delivery d = Recorded("tp-late");
  EXPECT_EQ(d.status(), v1::DELIVERY_STATUS_DEFERRED);
  const TimePoint morning = FromUnixMillis(1'793'520'000'000) + std::chrono::hours(16);  // 08:00
  EXPECT_EQ(FromProto(d.deferred_until()), morning);
  EXPECT_EQ(timers_.DueAt(Partition(), d.id()), morning);
  // Nothing is due before 08:00; at 08:00 the command goes out again.
  EXPECT_EQ(*deferred_.Pass(), 0);
  clock_.Advance(std::chrono::hours(8) + std::chrono::minutes(50));
  EXPECT_EQ(*deferred_.Pass(), 1);
  ASSERT_EQ(again_.sent.size(), 1u);
  EXPECT_EQ(again_.sent[0].topic, kNotificationCommandsTopic);
}

TEST_F(CommandConsumerTest, TheFourthCappedMessageInTheWindowIsSuppressed) {
  for (const char* id : {"tp-c1", "tp-c2", "tp-c3", "tp-c4"}) {
    ASSERT_TRUE(Handle(Care(id)).ok()) << id;
    clock_.Advance(std::chrono::hours(1));
  }
  EXPECT_EQ(provider_.sent.size(), 3u);
  EXPECT_EQ(caps_.SentTo("C-1"), 3u);
  EXPECT_EQ(Recorded("tp-c3").status(), v1::DELIVERY_STATUS_DELIVERED);
  const v1::Delivery fourth = Recorded("tp-c4");
  EXPECT_EQ(fourth.status(), v1::DELIVERY_STATUS_SUPPRESSED);
  EXPECT_EQ(fourth.reason(), "frequency_cap");
  // A service message is not capped.
  ASSERT_TRUE(Handle(WelcomeFor("tp-service", "U-0801")).ok());
  EXPECT_EQ(provider_.sent.size(), 4u);
}

TEST_F(CommandConsumerTest, AnUnavailableProviderLeavesItRetryingAndTheDeferredPassSendsItAgain) {
  provider_.answer = absl::UnavailableError("webhook answered HTTP 503");
  ASSERT_TRUE(Handle(Welcome()).ok());
  const v1::Delivery d = Recorded("tp-1");
  EXPECT_EQ(d.status(), v1::DELIVERY_STATUS_RETRYING);
  EXPECT_EQ(d.reason(), "provider_unavailable");
  EXPECT_EQ(d.attempt(), 1);
  const TimePoint due = FromProto(d.deferred_until());
  EXPECT_GE(due, clock_.Now() + std::chrono::seconds(15));
  EXPECT_LE(due, clock_.Now() + std::chrono::seconds(45));
  EXPECT_EQ(timers_.Armed(), 1);
  EXPECT_EQ(*deferred_.Pass(), 0) << "not due yet";
  clock_.Advance(std::chrono::milliseconds(ToUnixMillis(due) - ToUnixMillis(clock_.Now())));
  EXPECT_EQ(*deferred_.Pass(), 1);
  EXPECT_EQ(timers_.Armed(), 0);
  ASSERT_EQ(again_.sent.size(), 1u);
  provider_.answer = std::string("HTTP 200");
  ASSERT_TRUE(
      handler_
          .Handle(testkit::Message(kNotificationCommandsTopic, again_.sent[0].payload), publisher_)
          .ok());
  EXPECT_EQ(provider_.sent.size(), 2u);
  EXPECT_EQ(Recorded("tp-1").status(), v1::DELIVERY_STATUS_DELIVERED);
  EXPECT_EQ(Recorded("tp-1").tried_size(), 1);
}

TEST_F(CommandConsumerTest, TheSameCommandTwiceReachesTheProviderOnce) {
  std::vector<Work> batch;
  for (int i = 0; i < 2; ++i) {
    batch.push_back({testkit::Message(kNotificationCommandsTopic, Welcome().SerializeAsString()),
                     &publisher_,
                     {}});
  }
  handler_.HandleBatch(batch);
  EXPECT_TRUE(batch[0].status.ok()) << batch[0].status;
  EXPECT_TRUE(batch[1].status.ok()) << batch[1].status;
  ASSERT_TRUE(Handle(Welcome()).ok());  // redelivered later
  EXPECT_EQ(provider_.sent.size(), 1u);
  EXPECT_EQ(publisher_.sent.size(), 3u);
  EXPECT_EQ(store_.ListRecent(10)->size(), 1u);
}

TEST_F(CommandConsumerTest, AChannelWithoutAProviderFailsWithTheAttemptInTheDeadLetter) {
  auto cmd = Welcome();
  cmd.clear_customer_id();
  cmd.set_role("duty_manager");  // a staff role's message: sent on the channel it names
  cmd.set_channel("sms");
  EXPECT_EQ(Handle(cmd).status().message(),
            "delivery " + DeterministicId("dl", {"tp-1"}) +
                " failed on every channel: sms: no provider configured");
  EXPECT_TRUE(provider_.sent.empty());
  ASSERT_EQ(publisher_.sent.size(), 1u);
  v1::NotificationEvent event;
  ASSERT_TRUE(event.ParseFromString(publisher_.sent[0].payload));
  EXPECT_EQ(event.delivery().status(), v1::DELIVERY_STATUS_FAILED);
  EXPECT_EQ(event.delivery().reason(), "every_channel_failed");
}

// Retention: a delivery's record expires MOT_DELIVERY_RETENTION (5y by default) after it
// settled (delivered, failed, suppressed), not while it waits; each retry is held under
// the delivery's id and its hold's number.
TEST_F(CommandConsumerTest, ARecordExpiresItsRetentionAfterItSettledNotWhileItWaits) {
  const auto retention = std::chrono::hours(24 * 365 * 5);
  const std::string id = DeterministicId("dl", {"tp-1"});
  provider_.answer = absl::UnavailableError("webhook answered HTTP 503");
  ASSERT_TRUE(Handle(Welcome()).ok());
  v1::Delivery d = Recorded("tp-1");
  EXPECT_EQ(d.status(), v1::DELIVERY_STATUS_RETRYING);
  EXPECT_FALSE(d.has_settled_at());
  EXPECT_EQ(store_.ExpiresAt(id), std::nullopt);
  EXPECT_EQ(d.holds(), 1);
  EXPECT_TRUE(store_.Get("deferred:" + id + "/1")->has_value());
  clock_.Advance(std::chrono::minutes(5));
  ASSERT_EQ(*deferred_.Pass(), 1);
  EXPECT_FALSE(store_.Get("deferred:" + id + "/1")->has_value());
  provider_.answer = std::string("HTTP 200");
  ASSERT_TRUE(
      handler_
          .Handle(testkit::Message(kNotificationCommandsTopic, again_.sent[0].payload), publisher_)
          .ok());
  d = Recorded("tp-1");
  EXPECT_EQ(d.status(), v1::DELIVERY_STATUS_DELIVERED);
  EXPECT_EQ(FromProto(d.settled_at()), clock_.Now());
  EXPECT_EQ(store_.ExpiresAt(id), ToUnixMillis(clock_.Now() + retention));

  // A suppressed message settles when it is decided.
  customer::v1::Preferences prefs;
  prefs.add_opted_out_categories("marketing");
  ASSERT_TRUE(owners_.SetPreferences("C-1", prefs).ok());
  auto marketing = Welcome();
  marketing.set_command_id("tp-marketing");
  marketing.set_category("marketing");
  ASSERT_TRUE(Handle(marketing).ok());
  const v1::Delivery suppressed = Recorded("tp-marketing");
  EXPECT_EQ(suppressed.status(), v1::DELIVERY_STATUS_SUPPRESSED);
  EXPECT_EQ(store_.ExpiresAt(suppressed.id()), ToUnixMillis(clock_.Now() + retention));
}

}  // namespace
}  // namespace mot::notification
