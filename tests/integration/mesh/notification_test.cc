// Owners' messages: the routing rules' decisions (DecisionTest), retries and the next
// channel, and what each local provider receives.
#include <algorithm>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "mesh/fixture.h"
#include "mot/common/topics.h"

namespace mot {
namespace {

// Owners' messages are decided by the routing rules (deploy/config/channels.yaml).
class DecisionTest : public MeshTest {
 protected:
  // A command for `customer` of `category`, its text naming `marker`.
  void Send(const std::string& customer, const std::string& category, const std::string& marker) {
    auto cmd = Command(customer, marker);
    cmd.set_category(category);
    ASSERT_TRUE(
        producer_->Publish(kNotificationCommandsTopic, customer, cmd.SerializeAsString()).ok());
  }
  // The owner's deliveries once `n` are recorded (bounded: 30 s), oldest first.
  std::vector<notification::v1::Delivery> Recorded(const std::string& customer, int n) {
    notification::v1::ListDeliveriesResponse list;  // newest first
    const auto recorded = [&] {
      list = Deliveries(customer);
      return list.deliveries_size() >= n;
    };
    if (Eventually(recorded, seconds(30), "deliveries recorded")) {
      return {list.deliveries().rbegin(), list.deliveries().rend()};
    }
    ADD_FAILURE() << "fewer than " << n << " deliveries recorded";
    return {};
  }
  // The local time in the owners' zone.
  static absl::CivilMinute Local(TimePoint t) {
    absl::TimeZone zone;
    absl::LoadTimeZone("Asia/Shanghai", &zone);
    return absl::ToCivilMinute(absl::FromUnixMillis(ToUnixMillis(t)), zone);
  }
  static TimePoint At(absl::CivilMinute m) {
    absl::TimeZone zone;
    absl::LoadTimeZone("Asia/Shanghai", &zone);
    return FromUnixMillis(absl::ToUnixMillis(absl::FromCivil(m, zone)));
  }
  // The owner's only delivery once it is DELIVERED or FAILED (bounded: 30 s); while it
  // waits to be tried again, the simulated clock is moved to when it is due, after
  // checking that nothing new reached the robot before then. `attempts` counts
  // the attempts seen (each RETRYING state once).
  notification::v1::Delivery Settled(const std::string& customer, const std::string& marker,
                                     int* attempts = nullptr) {
    notification::v1::Delivery d;
    std::string seen;  // the RETRYING state last acted on
    const auto settled = [&] {
      auto list = Deliveries(customer);
      if (list.deliveries_size() == 1) d = list.deliveries(0);
      if (d.status() == notification::v1::DELIVERY_STATUS_DELIVERED ||
          d.status() == notification::v1::DELIVERY_STATUS_FAILED) {
        return true;
      }
      if (d.status() == notification::v1::DELIVERY_STATUS_RETRYING &&
          d.SerializeAsString() != seen) {
        seen = d.SerializeAsString();
        if (attempts != nullptr) ++*attempts;
        const TimePoint due = FromProto(d.deferred_until());
        if (due > Now()) {
          const int before = WebhookMessagesMentioning(marker);
          // Passes of the retry loop (every 200 ms of the wall clock) before the backoff
          // is up. A fixed wait: the simulated clock stands before the due time on purpose,
          // and moving it would make the retry due.
          std::this_thread::sleep_for(std::chrono::milliseconds(500));
          EXPECT_EQ(WebhookMessagesMentioning(marker), before) << "tried again before its backoff";
          Advance(std::chrono::duration_cast<std::chrono::milliseconds>(due - Now()));
        }
      }
      return false;
    };
    if (Eventually(settled, seconds(30), "settled")) return d;
    ADD_FAILURE() << "not settled: " << d.ShortDebugString();
    return d;
  }
  // The local SMTP server's messages, one JSON object each.
  std::vector<nlohmann::json> Mail() { return JsonLines(env_["MOT_MAIL_LOG"]); }
};

TEST_F(DecisionTest, ACareMessageAt2310IsDeliveredAt0800TheNextMorning) {
  const std::string customer = Unique("C-QH-");
  const std::string marker = Unique("P-QH-");
  const absl::CivilMinute today = Local(Now());
  const TimePoint late = At(absl::CivilMinute(today.year(), today.month(), today.day(), 23, 10));
  ASSERT_GT(late, Now());
  Advance(std::chrono::duration_cast<std::chrono::milliseconds>(late - Now()));
  Send(customer, "care", marker);
  auto held = Recorded(customer, 1);
  ASSERT_EQ(held.size(), 1u);
  EXPECT_EQ(held[0].status(), notification::v1::DELIVERY_STATUS_DEFERRED);
  const TimePoint morning =
      At(absl::CivilMinute(today.year(), today.month(), today.day() + 1, 8, 0));
  EXPECT_EQ(FromProto(held[0].deferred_until()), morning);
  // Passes of the deferral loop (every 200 ms of the wall clock): nothing due. A fixed
  // wait: the simulated clock stays in the quiet hours on purpose; moving it on to the
  // morning is what makes the message due.
  std::this_thread::sleep_for(std::chrono::seconds(1));
  EXPECT_EQ(WebhookMessagesMentioning(marker), 0) << "sent during quiet hours";

  Advance(std::chrono::duration_cast<std::chrono::milliseconds>(morning - Now()));
  notification::v1::Delivery d;
  Eventually(
      [&] {
        auto list = Recorded(customer, 1);
        if (!list.empty()) d = list[0];
        return d.status() == notification::v1::DELIVERY_STATUS_DELIVERED;
      },
      seconds(30), "delivered in the morning");
  EXPECT_EQ(d.status(), notification::v1::DELIVERY_STATUS_DELIVERED) << d.ShortDebugString();
  EXPECT_EQ(FromProto(d.delivered_at()), morning);
  EXPECT_EQ(WebhookMessagesMentioning(marker), 1);
}

TEST_F(DecisionTest, AnOptedOutCareMessageIsSuppressedAndASafetyNoticeGoesOut) {
  customer::v1::CustomerProfile p;
  p.set_customer_id(Unique("C-OPT-"));
  p.mutable_preferences()->add_opted_out_categories("care");
  p.mutable_preferences()->add_opted_out_channels("wecom");
  Profile(p);
  const std::string care = Unique("P-CARE-"), safety = Unique("P-SAFE-");
  const std::string series =
      "mot_notification_held_total{decision=\"suppressed\",reason=\"opted_out\"}";
  const double before = Metric(env_["MOT_NOTIFICATION_METRICS"], series);
  Send(p.customer_id(), "care", care);
  Send(p.customer_id(), "safety", safety);
  auto list = Recorded(p.customer_id(), 2);
  ASSERT_EQ(list.size(), 2u);
  std::map<std::string, notification::v1::Delivery> by_category;
  for (const auto& d : list) by_category[d.category()] = d;
  EXPECT_EQ(by_category["care"].status(), notification::v1::DELIVERY_STATUS_SUPPRESSED);
  EXPECT_EQ(by_category["care"].reason(), "opted_out");
  EXPECT_EQ(by_category["safety"].status(), notification::v1::DELIVERY_STATUS_DELIVERED)
      << "a safety notice is not the owner's to opt out of (category or channel)";
  EXPECT_EQ(WebhookMessagesMentioning(care), 0);
  EXPECT_EQ(WebhookMessagesMentioning(safety), 1);
  EXPECT_EQ(Metric(env_["MOT_NOTIFICATION_METRICS"], series), before + 1);
}

TEST_F(DecisionTest, TheFourthCareMessageInAWeekIsCapped) {
  const std::string customer = Unique("C-CAP-");
  std::vector<std::string> markers;
  for (int i = 0; i < 4; ++i) {
    markers.push_back(Unique("P-CAP-"));
    Send(customer, "care", markers.back());
    Recorded(customer, i + 1);  // in order: each decided before the next is sent
    Advance(std::chrono::hours(24));
    testkit::DaytimeForOwners(*redis_);
  }
  auto list = Recorded(customer, 4);
  ASSERT_EQ(list.size(), 4u);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(WebhookMessagesMentioning(markers[i]), 1) << i;
  EXPECT_EQ(WebhookMessagesMentioning(markers[3]), 0);
  for (int i = 0; i < 3; ++i)
    EXPECT_EQ(list[i].status(), notification::v1::DELIVERY_STATUS_DELIVERED);
  EXPECT_EQ(list[3].status(), notification::v1::DELIVERY_STATUS_SUPPRESSED);
  EXPECT_EQ(list[3].reason(), "frequency_cap");
  // A week after the first, the cap has room again.
  Advance(std::chrono::hours(24 * 4));
  testkit::DaytimeForOwners(*redis_);
  const std::string later = Unique("P-CAP-");
  Send(customer, "care", later);
  auto after = Recorded(customer, 5);
  ASSERT_EQ(after.size(), 5u);
  EXPECT_EQ(after[4].status(), notification::v1::DELIVERY_STATUS_DELIVERED) << after[4].reason();

  // Listed newest first, two a page, each once.
  auto stub = notification::v1::NotificationService::NewStub(
      testkit::MeshChannel(env_, "MOT_NOTIFICATION_ADDR"));
  std::vector<std::string> paged;
  std::string token;
  int pages = 0;
  do {
    grpc::ClientContext ctx;
    notification::v1::ListDeliveriesRequest req;
    req.set_customer_id(customer);
    req.set_page_size(2);
    req.set_page_token(token);
    notification::v1::ListDeliveriesResponse resp;
    ASSERT_TRUE(stub->ListDeliveries(&ctx, req, &resp).ok());
    EXPECT_LE(resp.deliveries_size(), 2);
    for (const auto& d : resp.deliveries()) paged.push_back(d.id());
    token = resp.next_page_token();
  } while (!token.empty() && ++pages < 10);
  std::vector<std::string> newest_first;
  for (auto it = after.rbegin(); it != after.rend(); ++it) newest_first.push_back(it->id());
  EXPECT_EQ(paged, newest_first);
  grpc::ClientContext bad;
  notification::v1::ListDeliveriesRequest req;
  req.set_customer_id(customer);
  req.set_page_token("tomorrow");
  notification::v1::ListDeliveriesResponse resp;
  const auto refused = stub->ListDeliveries(&bad, req, &resp);
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(refused.error_message(), "page_token is not one this service gave out");
}

// The robot answers 500 to a text naming "mot-fail-500" (deploy/local/webhook_sink.py):
// three attempts with backoff on WeCom, then the SMS gateway, which checks the request's
// signature and takes the delivery id as its request id.
TEST_F(DecisionTest, AProviderAnswering500IsRetriedThenTheNextChannelDelivers) {
  customer::v1::CustomerProfile p;
  p.set_customer_id(Unique("C-RETRY-"));
  p.mutable_contact()->set_mobile("13912345678");
  p.mutable_preferences()->add_preferred_channels("wecom");
  p.mutable_preferences()->add_preferred_channels("sms");
  Profile(p);
  const std::string marker = Unique("mot-fail-500-");
  Send(p.customer_id(), "safety", marker);  // any hour: a safety notice has no quiet hours
  int retrying = 0;
  const auto d = Settled(p.customer_id(), marker, &retrying);
  EXPECT_EQ(d.status(), notification::v1::DELIVERY_STATUS_DELIVERED) << d.ShortDebugString();
  EXPECT_EQ(d.channel(), "sms");
  ASSERT_EQ(d.tried_size(), 3) << d.ShortDebugString();
  for (const auto& t : d.tried()) EXPECT_EQ(t, "wecom: webhook answered HTTP 500");
  EXPECT_GE(retrying, 2) << "two backoffs on wecom (then the next channel, due at once)";
  int robot = 0;
  for (const auto& r : WebhookRecords()) {
    if (RobotText(r).find(marker) != std::string::npos) {
      EXPECT_EQ(r["status"], 500);
      ++robot;
    }
  }
  EXPECT_EQ(robot, 3);
  std::vector<nlohmann::json> sms;
  for (const auto& r : WebhookRecords()) {
    if (r["path"] == "/sms/send" && r["body"].is_object() && r["body"]["request_id"] == d.id()) {
      sms.push_back(r);
    }
  }
  ASSERT_EQ(sms.size(), 1u);
  EXPECT_EQ(sms[0]["signature"], "ok") << "the gateway checked the HMAC signature";
  EXPECT_EQ(sms[0]["status"], 200);
  EXPECT_EQ(sms[0]["body"]["phone_number"], "13912345678");
  EXPECT_EQ(sms[0]["body"]["sign_name"], "MOT物业");
  EXPECT_EQ(sms[0]["body"]["template_code"], "tier_a_second_touch");
  EXPECT_EQ(sms[0]["body"]["template_param"]["project_id"], marker);
  EXPECT_EQ(d.provider_response().rfind("sms OK biz_id ", 0), 0u) << d.provider_response();

  // A request signed with another secret is refused, as the gateway refuses it.
  const auto stamp = std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(
                                        std::chrono::system_clock::now().time_since_epoch())
                                        .count());
  const std::string answer = testkit::Page(
      "-X POST -H 'Content-Type: application/json' -H 'X-Sms-Access-Key: mot-local' "
      "-H 'X-Sms-Timestamp: " +
      stamp +
      "' -H 'X-Sms-Signature: bm90IHRoZSBzaWdu' "
      "-d '{\"request_id\":\"x\"}' '" +
      env_["MOT_WEBHOOK_SINK_URL"] + "/sms/send'");
  EXPECT_NE(answer.find("SignatureDoesNotMatch"), std::string::npos) << answer;
}

// With no channel left, the delivery fails with every attempt in its record, and the
// command goes to the dead letters with the reason.
TEST_F(DecisionTest, AMessageNoChannelTakesIsFailedAndDeadLettered) {
  const std::string customer = Unique("C-DEAD-");  // no profile: the robot is all there is
  const std::string marker = Unique("mot-fail-500-");
  auto cmd = Command(customer, marker);
  cmd.set_category("safety");
  ASSERT_TRUE(
      producer_->Publish(kNotificationCommandsTopic, customer, cmd.SerializeAsString()).ok());
  const auto d = Settled(customer, marker);
  EXPECT_EQ(d.status(), notification::v1::DELIVERY_STATUS_FAILED);
  EXPECT_EQ(d.reason(), "every_channel_failed");
  EXPECT_EQ(d.tried_size(), 3);
  EXPECT_EQ(WebhookMessagesMentioning(marker), 3);
  const std::string reason = DeadLetterReason(kNotificationCommandsTopic, cmd.SerializeAsString());
  EXPECT_NE(reason.find("failed on every channel: wecom: webhook answered HTTP 500; wecom:"),
            std::string::npos)
      << reason;
}

// A command its template cannot be filled from (a template edited since the touchpoint
// was planned) is never sent: the delivery and its touchpoint are FAILED with the
// reason, and the command is dead-lettered naming the template.
TEST_F(DecisionTest, AMessageItsTemplateCannotBeFilledFromFailsItsTouchpoint) {
  const std::string customer = Unique("C-TPL-");
  Publish(Event("contract_signed", customer, Now()));
  const auto j = WaitForWelcome(customer);
  std::string planned;
  for (const auto& tp : j.touchpoints()) {
    if (tp.status() == sv1::TOUCHPOINT_STATUS_SCHEDULED && tp.service() == "notification")
      planned = tp.id();
  }
  ASSERT_FALSE(planned.empty());
  auto cmd = Command(customer, Unique("mot-tpl-"));
  cmd.set_command_id(planned);
  cmd.set_touchpoint_id(planned);
  cmd.set_template_id("signing_progress");  // uses {node} and {unit_id}, not given
  ASSERT_TRUE(
      producer_->Publish(kNotificationCommandsTopic, customer, cmd.SerializeAsString()).ok());
  const std::string reason = DeadLetterReason(kNotificationCommandsTopic, cmd.SerializeAsString());
  EXPECT_NE(reason.find("template 'signing_progress' cannot be rendered"), std::string::npos)
      << reason;
  sv1::Touchpoint failed;
  Eventually(
      [&] {
        const auto journey = Journey(customer);
        for (const auto& tp : journey.touchpoints())
          if (tp.id() == planned) failed = tp;
        return failed.status() == sv1::TOUCHPOINT_STATUS_FAILED;
      },
      seconds(30), "the touchpoint failed");
  EXPECT_EQ(failed.status(), sv1::TOUCHPOINT_STATUS_FAILED) << failed.ShortDebugString();
  EXPECT_EQ(failed.outcome().rfind("not sent: template 'signing_progress' cannot be rendered", 0),
            0u)
      << failed.outcome();
  const auto list = Deliveries(customer);
  ASSERT_GE(list.deliveries_size(), 1);
  bool recorded = false;
  for (const auto& d : list.deliveries())
    recorded |=
        d.touchpoint_id() == planned && d.status() == notification::v1::DELIVERY_STATUS_FAILED;
  EXPECT_TRUE(recorded) << "the delivery is recorded FAILED";
}

// An elderly owner is reached by the 400 hotline first (channels.yaml's segments): the
// message opens a hotline_call ticket in ticketing with its 4-hour SLA, naming the
// owner by id only.
TEST_F(DecisionTest, AnElderlyOwnersMessageBecomesAHotlineCallTicket) {
  customer::v1::CustomerProfile p;
  p.set_customer_id(Unique("C-CALL-"));
  p.set_segment("elderly");
  p.mutable_contact()->set_mobile("13712345678");
  Profile(p);
  const std::string marker = Unique("P-CALL-");
  Send(p.customer_id(), "safety", marker);
  const auto d = Settled(p.customer_id(), marker);
  ASSERT_EQ(d.status(), notification::v1::DELIVERY_STATUS_DELIVERED) << d.ShortDebugString();
  EXPECT_EQ(d.channel(), "hotline");
  const std::string prefix = "hotline task: ticket ";
  ASSERT_EQ(d.provider_response().rfind(prefix, 0), 0u) << d.provider_response();
  const std::string id = d.provider_response().substr(prefix.size());
  ticketing::v1::Ticket t;
  Eventually(
      [&] {
        t = Ticket(id);
        return !t.id().empty();
      },
      seconds(30), "the hotline ticket opened");
  ASSERT_EQ(t.id(), id) << "the hotline ticket was not opened";
  EXPECT_EQ(t.kind(), "hotline_call");
  EXPECT_EQ(t.customer_id(), p.customer_id());
  EXPECT_NE(t.summary().find(marker), std::string::npos) << t.summary();
  EXPECT_EQ(t.ShortDebugString().find("13712345678"), std::string::npos)
      << "the number stays with notification";
  ASSERT_EQ(t.deadlines_size(), 1);
  EXPECT_EQ(t.deadlines(0).milestone(), "call");
  EXPECT_EQ(FromProto(t.deadlines(0).due_at()) - FromProto(t.opened_at()), std::chrono::hours(4));
}

// A WeCom application message to the owner's WeCom user id: the local WeCom API gives
// the access token for the corp id and secret only, and takes a message only with it.
TEST_F(DecisionTest, AWeComApplicationMessageReachesTheOwnersWeComId) {
  customer::v1::CustomerProfile p;
  p.set_customer_id(Unique("C-WXAPP-"));
  p.mutable_contact()->set_wecom_user_id("wx-" + p.customer_id());
  p.mutable_preferences()->add_preferred_channels("wecom_app");
  Profile(p);
  const std::string marker = Unique("P-WXAPP-");
  Send(p.customer_id(), "safety", marker);
  const auto d = Settled(p.customer_id(), marker);
  ASSERT_EQ(d.status(), notification::v1::DELIVERY_STATUS_DELIVERED) << d.ShortDebugString();
  EXPECT_EQ(d.channel(), "wecom_app");
  EXPECT_EQ(d.provider_response().rfind("wecom_app OK msgid msg-", 0), 0u) << d.provider_response();
  std::vector<nlohmann::json> sent;
  for (const auto& r : WebhookRecords()) {
    if (r["path"].get<std::string>().rfind("/cgi-bin/message/send?access_token=", 0) == 0 &&
        r["body"].is_object() && r["body"]["touser"] == "wx-" + p.customer_id()) {
      sent.push_back(r);
    }
  }
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0]["token"], "ok") << "sent with the token WeCom gave";
  EXPECT_EQ(sent[0]["body"]["agentid"], 1000002);
  EXPECT_EQ(sent[0]["body"]["msgtype"], "text");
  EXPECT_EQ(sent[0]["body"]["enable_duplicate_check"], 1);
  EXPECT_NE(sent[0]["body"]["text"]["content"].get<std::string>().find(marker), std::string::npos);
  // Another secret gets no token.
  const std::string answer =
      testkit::Page("'" + env_["MOT_WEBHOOK_SINK_URL"] +
                    "/cgi-bin/gettoken?corpid=ww-mot-local&corpsecret=guess'");
  EXPECT_NE(answer.find("40001"), std::string::npos) << answer;
}

// Email over SMTP to the local server (aiosmtpd): the UTF-8 subject and body arrive
// as written, to the owner's address, with a Message-ID made of the delivery id.
TEST_F(DecisionTest, AnEmailArrivesAtTheSmtpServerWithItsUtf8Subject) {
  customer::v1::CustomerProfile p;
  p.set_customer_id(Unique("C-MAIL-"));
  p.mutable_contact()->set_email("owner@example.com");
  p.mutable_preferences()->add_preferred_channels("email");
  Profile(p);
  const std::string marker = Unique("P-MAIL-");
  Send(p.customer_id(), "safety", marker);
  const auto d = Settled(p.customer_id(), marker);
  ASSERT_EQ(d.status(), notification::v1::DELIVERY_STATUS_DELIVERED) << d.ShortDebugString();
  EXPECT_EQ(d.channel(), "email");
  std::vector<nlohmann::json> mine;
  for (const auto& m : Mail()) {
    if (m["message_id"] == "<" + d.id() + "@mot-mesh>") mine.push_back(m);
  }
  ASSERT_EQ(mine.size(), 1u);
  EXPECT_EQ(mine[0]["subject"], "感谢您关注" + marker + "项目！");
  EXPECT_EQ(mine[0]["rcpt_tos"], nlohmann::json::array({"owner@example.com"}));
  EXPECT_EQ(mine[0]["content_type"], "text/plain");
  EXPECT_NE(mine[0]["body"].get<std::string>().find("您的专属置业顾问将与您联系"),
            std::string::npos);
}

TEST_F(DecisionTest, TheSameCommandTwiceReachesTheProviderOnce) {
  const std::string customer = Unique("C-ONCE-");
  const std::string marker = Unique("P-ONCE-");
  const auto cmd = Command(customer, marker);
  const std::string series =
      "mot_kafka_messages_total{result=\"ok\",topic=\"mot.notification.commands.v1\"}";
  const auto handled = [&] { return Metric(env_["MOT_NOTIFICATION_METRICS"], series); };
  const auto wait_handled = [&](double n) {
    return Eventually([&] { return handled() >= n; }, seconds(30), "commands handled");
  };
  const double before = std::max(0.0, handled());
  // Twice in one batch, then once more after both were handled (a redelivery).
  const OutMessage m{kNotificationCommandsTopic, customer, cmd.SerializeAsString(), {}};
  for (const auto& s : producer_->PublishAll({m, m})) ASSERT_TRUE(s.ok()) << s;
  ASSERT_TRUE(wait_handled(before + 2));
  ASSERT_TRUE(
      producer_->Publish(kNotificationCommandsTopic, customer, cmd.SerializeAsString()).ok());
  ASSERT_TRUE(wait_handled(before + 3));
  EXPECT_EQ(WebhookMessagesMentioning(marker), 1) << "one command, one message";
  auto list = Deliveries(customer);
  ASSERT_EQ(list.deliveries_size(), 1);
  EXPECT_EQ(list.deliveries(0).status(), notification::v1::DELIVERY_STATUS_DELIVERED);
}

// A message for the DingTalk channel goes to the signed robot: the local robot checks
// the timestamp and the HMAC-SHA256 signature as DingTalk does, and accepts it; the
// same robot refuses a request signed with another secret.
TEST_F(MeshTest, ADingTalkRobotAcceptsTheSignedRequest) {
  const std::string customer = Unique("C-DT-");
  const std::string project = Unique("P-DT-");
  auto cmd = Command(customer, project);
  cmd.set_channel("dingtalk");
  ASSERT_TRUE(
      producer_->Publish(kNotificationCommandsTopic, customer, cmd.SerializeAsString()).ok());
  nlohmann::json seen;
  Eventually(
      [&] {
        for (const auto& r : WebhookRecords()) {
          if (RobotText(r).find(project) != std::string::npos) seen = r;
        }
        return !seen.is_null();
      },
      seconds(30), "the robot's message");
  ASSERT_FALSE(seen.is_null()) << "the DingTalk robot received nothing";
  EXPECT_EQ(seen["path"].get<std::string>().rfind("/robot/send?access_token=local&timestamp=", 0),
            0u)
      << seen["path"];
  EXPECT_EQ(seen["signature"], "ok");
  notification::v1::Delivery d;
  Eventually(
      [&] {
        auto list = Deliveries(customer);
        if (list.deliveries_size() == 1) d = list.deliveries(0);
        return d.status() != notification::v1::DELIVERY_STATUS_UNSPECIFIED;
      },
      seconds(10), "the delivery recorded");
  EXPECT_EQ(d.channel(), "dingtalk");
  EXPECT_EQ(d.status(), notification::v1::DELIVERY_STATUS_DELIVERED) << d.provider_response();

  // The same robot, signed with another secret: refused as DingTalk refuses it.
  const auto stamp = std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(
                                        std::chrono::system_clock::now().time_since_epoch())
                                        .count());
  const std::string answer = testkit::Page(
      "-X POST -H 'Content-Type: application/json' -d "
      "'{\"msgtype\":\"text\",\"text\":{\"content\":\"x\"}}' '" +
      env_["MOT_WEBHOOK_SINK_URL"] + "/robot/send?access_token=local&timestamp=" + stamp +
      "&sign=bm90IHRoZSBzaWdu'");
  EXPECT_NE(answer.find("310000"), std::string::npos) << answer;
}

}  // namespace
}  // namespace mot
