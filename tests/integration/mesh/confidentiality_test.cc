// Personal data and secrets stay where they belong: sealed in notification, never in
// a reason, a log, a /metrics page or the process list.
#include <cstdio>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "mesh/fixture.h"
#include "mot/common/topics.h"

namespace mot {
namespace {

// Owners' contact data is kept by notification only, sealed: a planted phone number,
// email address and id number are found nowhere in clear (the Redis contents, every
// service log, every /metrics page); customer_forgotten erases the record.
TEST_F(MeshTest, OwnersContactDataIsSealedAndForgottenOnRequest) {
  const std::string customer = Unique("C-PII-");
  const std::string tail = customer.substr(customer.size() - 6);
  std::vector<std::string> planted = {"139" + std::string("07") + "115" + "326",
                                      "owner." + tail + "@example.cn",
                                      "11010119900307" + std::string("663X")};
  customer::v1::CustomerProfile p;
  p.set_customer_id(customer);
  p.set_segment("elderly");
  p.mutable_contact()->set_mobile(planted[0]);
  p.mutable_contact()->set_email(planted[1]);
  p.mutable_contact()->set_wecom_user_id(planted[2]);  // an id number where it does not belong
  // A name where the profile has no field for one (field 99: kept with the rest, sealed).
  const std::string name = "司马懿";
  const std::string profile =
      p.SerializeAsString() + "\x9a\x06" + static_cast<char>(name.size()) + name;
  ASSERT_TRUE(producer_->Publish(kCustomerTopic, customer, profile).ok());
  const std::string key = "mot:notification:rec:owner:" + customer;
  const auto stored = [&] {
    auto r = redis_->Command({"EXISTS", key});
    return r.ok() && r->integer == 1;
  };
  ASSERT_TRUE(Eventually(stored, seconds(30), "the profile kept"))
      << "notification did not keep the profile";

  // Messages to the owner through the channels that use those contact points: the
  // hotline (the elderly segment's first), then SMS and email (the owner's preferences,
  // set through the API, opting out of the hotline for them).
  auto stub = notification::v1::NotificationService::NewStub(
      testkit::MeshChannel(env_, "MOT_NOTIFICATION_ADDR"));
  // Sets the owner's preferences, sends a message, and answers the channel it was
  // delivered on once it is.
  const auto send_via = [&](const std::vector<std::string>& preferred,
                            const std::vector<std::string>& out_of) -> std::string {
    grpc::ClientContext pctx;
    notification::v1::SetPreferencesRequest prefs;
    prefs.set_customer_id(customer);
    for (const auto& c : preferred) prefs.mutable_preferences()->add_preferred_channels(c);
    for (const auto& c : out_of) prefs.mutable_preferences()->add_opted_out_channels(c);
    notification::v1::SetPreferencesResponse presp;
    if (!stub->SetPreferences(&pctx, prefs, &presp).ok()) return "preferences refused";
    grpc::ClientContext sctx;
    notification::v1::SendRequest req;
    *req.mutable_command() = Command(customer, Unique("P-PII-"));
    req.mutable_command()->set_category("service");
    notification::v1::SendResponse sresp;
    if (!stub->Send(&sctx, req, &sresp).ok()) return "send refused";
    std::string channel;
    const auto delivered = [&] {
      const auto list = Deliveries(customer);
      for (const auto& d : list.deliveries()) {
        if (d.id() == sresp.delivery_id() &&
            d.status() == notification::v1::DELIVERY_STATUS_DELIVERED) {
          channel = d.channel();
        }
      }
      return !channel.empty();
    };
    return Eventually(delivered, seconds(30), "delivered") ? channel : "not delivered";
  };
  testkit::DaytimeForOwners(*redis_);  // no quiet hours for the service messages
  EXPECT_EQ(send_via({}, {}), "hotline") << "elderly: the hotline first";
  EXPECT_EQ(send_via({"sms"}, {"hotline"}), "sms");
  EXPECT_EQ(send_via({"email"}, {"hotline", "sms"}), "email");

  // The same in enterprise systems' events: attributes named for personal data, and a
  // repair's description in the owner's words; the journey's future touchpoints keep
  // their commands (with the event's attributes) in Redis until due.
  auto signed_event = Event("contract_signed", customer, Now());
  (*signed_event.mutable_attributes())["owner_name"] = name;
  (*signed_event.mutable_attributes())["contact_mobile"] = planted[0];
  (*signed_event.mutable_attributes())["remark"] =
      "VIP，回访请拨 " + planted[0] + "，邮件 " + planted[1];
  Publish(signed_event);
  auto repair = Event("repair_requested", customer, Now());
  (*repair.mutable_attributes())["problem"] =
      "厨房漏水，联系 " + planted[0] + " / " + planted[1] + "，证件 " + planted[2];
  (*repair.mutable_attributes())["id_number"] = planted[2];
  Publish(repair);
  WaitForSteps(customer, {"welcome_after_signing", "repair_ticket"});
  // Refusals of calls carrying them name the field, never the value.
  std::string errors;
  {
    grpc::ClientContext ctx;
    sv1::IngestEventRequest req;
    *req.mutable_event() = repair;
    req.mutable_event()->set_type("");
    (*req.mutable_event()->mutable_attributes())["owner_name"] = name;
    sv1::IngestEventResponse resp;
    auto st = scheduler_->IngestEvent(&ctx, req, &resp);
    EXPECT_EQ(st.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    errors += st.error_message() + "\n";
    auto desk =
        ticketing::v1::TicketingService::NewStub(testkit::MeshChannel(env_, "MOT_TICKETING_ADDR"));
    grpc::ClientContext tctx;
    ticketing::v1::CreateTicketRequest create;
    create.set_request_id(Unique("rq-"));
    create.set_actor(name);
    create.set_customer_id(customer);
    create.set_kind("kind-" + planted[0]);
    create.set_summary(name + " " + planted[0] + " " + planted[1] + " " + planted[2]);
    ticketing::v1::Ticket t;
    st = desk->CreateTicket(&tctx, create, &t);
    EXPECT_EQ(st.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    errors += st.error_message() + "\n";
  }
  planted.push_back(name);
  std::map<std::string, std::string> places = {{"redis", testkit::RedisContents(*redis_)},
                                               {"errors returned", errors}};
  for (const char* svc : {"SCHEDULER", "TICKETING", "NOTIFICATION", "SURVEY"}) {
    places[std::string(svc) + " /metrics"] =
        testkit::Page(env_[std::string("MOT_") + svc + "_METRICS"]);
  }
  for (const char* log : {"touchpoint-scheduler", "ticketing", "notification", "survey"}) {
    std::ifstream in(env_["MOT_MESH_LOGS"] + "/" + log + ".log");
    std::stringstream text;
    text << in.rdbuf();
    places[std::string(log) + ".log"] = text.str();
  }
  ASSERT_NE(places["redis"].find(key), std::string::npos) << "the Redis contents were read";
  int hits = 0;
  for (const auto& [where, text] : places) {
    for (const auto& pii : planted) {
      if (text.find(pii) != std::string::npos) {
        ++hits;
        ADD_FAILURE() << "found in clear in " << where
                      << (where == "errors returned" ? ": " + text : "");
      }
    }
  }
  EXPECT_EQ(hits, 0);
  std::printf(
      "planted %zu kinds of personal data; searched %zu places (Redis, every /metrics page, every "
      "service log, the errors returned): %d hits\n",
      planted.size(), places.size(), hits);

  auto forgotten = Event("customer_forgotten", customer, Now());
  ASSERT_TRUE(producer_->Publish(kLifecycleTopic, customer, forgotten.SerializeAsString()).ok());
  EXPECT_TRUE(Eventually([&] { return !stored(); }, seconds(30), "the owner's record erased"))
      << "customer_forgotten did not erase the owner's record";
}

// A malformed event holding an owner's name and phone number written with spaces,
// dashes and +86: dead-lettered with a reason that names the field and the rule, and
// neither the reason nor the scheduler's log holds the name or the number.
TEST_F(MeshTest, ARefusedEventsReasonAndTheLogNeverQuoteItsPersonalData) {
  const std::string customer = Unique("C-");
  const std::string mistyped = R"({"event_id":")" + Unique("ev-") +
                               R"(","type":"handover","customer_id":")" + customer +
                               R"(","occurred_at":"业主 张三丰 +86 139-0055-7788"})";
  const std::string broken =
      R"({"customer_id":")" + customer + R"(","note":"张三丰 139 0055 7788", "type": )";
  for (const auto& payload : {mistyped, broken}) {
    ASSERT_TRUE(
        producer_
            ->Publish(kLifecycleTopic, customer, payload, {{"content-type", "application/json"}})
            .ok());
  }
  Publish(Event("repair_requested", customer, Now()));
  WaitForDone(customer, 1);  // the partition moved on
  const std::string r1 = DeadLetterReason(kLifecycleTopic, mistyped);
  EXPECT_EQ(r1,
            "not a JSON mot.lifecycle.v1.LifecycleEvent: field 'occurred_at' has the wrong type or "
            "format "
            "for mot.lifecycle.v1.LifecycleEvent");
  const std::string r2 = DeadLetterReason(kLifecycleTopic, broken);
  EXPECT_EQ(r2, "not a JSON mot.lifecycle.v1.LifecycleEvent: malformed JSON");
  const std::string log = ServiceLog("touchpoint-scheduler");
  // The name, and the number in each way it was written (a bare four-digit group would
  // also match ids elsewhere in the log).
  for (const char* secret :
       {"张三丰", "139-0055", "0055-7788", "139 0055", "0055 7788", "13900557788"}) {
    EXPECT_EQ((r1 + r2).find(secret), std::string::npos) << secret;
    EXPECT_EQ(log.find(secret), std::string::npos) << secret << " in the scheduler's log";
  }
}

// The local Redis's password is not on its command line (every user sees those).
TEST_F(MeshTest, TheRedisPasswordIsNotInTheProcessList) {
  std::ifstream pid_file(env_["MOT_MESH_PIDS"] + "/redis.pid");
  int pid = 0;
  pid_file >> pid;
  ASSERT_GT(pid, 0);
  std::ifstream cmdline("/proc/" + std::to_string(pid) + "/cmdline");
  std::stringstream buf;
  buf << cmdline.rdbuf();
  ASSERT_FALSE(buf.str().empty());
  ASSERT_FALSE(env_["MOT_REDIS_PASSWORD"].empty());
  EXPECT_EQ(buf.str().find(env_["MOT_REDIS_PASSWORD"]), std::string::npos);
  EXPECT_TRUE(redis_->Ping().ok()) << "and it still asks for one";
}

}  // namespace
}  // namespace mot
