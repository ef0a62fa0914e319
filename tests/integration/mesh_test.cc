// Integration tests against the local mesh that deploy/local/mesh starts (ctest
// fixture "mesh"): a real Kafka broker (KRaft), real Redis, the four services and
// the webhook receiver. MOT_MESH_ENV names the mesh's env file.
#include <librdkafka/rdkafkacpp.h>

#include <fstream>
#include <functional>
#include <map>
#include <random>
#include <sstream>
#include <thread>

#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "mot/common/clock.h"
#include "mot/common/codec.h"
#include "mot/common/kafka.h"
#include "mot/lifecycle/v1/event.pb.h"
#include "mot/scheduler/v1/scheduler.grpc.pb.h"
#include "mot/survey/v1/survey.grpc.pb.h"
#include "mot/ticketing/v1/ticketing.grpc.pb.h"
#include "nlohmann/json.hpp"

namespace mot {
namespace {

using std::chrono::hours;
using std::chrono::seconds;
namespace sv1 = scheduler::v1;

std::map<std::string, std::string> MeshEnv() {
  const char* path = std::getenv("MOT_MESH_ENV");
  std::map<std::string, std::string> env;
  std::ifstream in(path ? path : "");
  std::string line;
  while (std::getline(in, line)) {
    auto eq = line.find('=');
    if (eq != std::string::npos) env[line.substr(0, eq)] = line.substr(eq + 1);
  }
  return env;
}

std::string Unique(const std::string& prefix) {
  static std::mt19937_64 gen(std::random_device{}());
  return prefix + std::to_string(gen() % 1'000'000'000);
}

class MeshTest : public ::testing::Test {
 protected:
  void SetUp() override {
    env_ = MeshEnv();
    ASSERT_FALSE(env_["MOT_KAFKA_BROKERS"].empty()) << "MOT_MESH_ENV does not name a running mesh";
    producer_ = std::make_unique<KafkaProducer>(env_["MOT_KAFKA_BROKERS"], "mesh-test", seconds(15));
    scheduler_ = sv1::SchedulerService::NewStub(
        grpc::CreateChannel(env_["MOT_SCHEDULER_ADDR"], grpc::InsecureChannelCredentials()));
  }

  lifecycle::v1::LifecycleEvent Event(const std::string& type, const std::string& customer,
                                      TimePoint at) {
    lifecycle::v1::LifecycleEvent e;
    e.set_event_id(Unique("ev-"));
    e.set_type(type);
    e.set_customer_id(customer);
    e.set_unit_id("U-0801");
    e.set_project_id(Unique("P-"));
    e.set_source("mesh-test");
    *e.mutable_occurred_at() = ToProto(at);
    return e;
  }

  void Publish(const lifecycle::v1::LifecycleEvent& e) {
    ASSERT_TRUE(producer_->Publish(kLifecycleTopic, e.customer_id(), e.SerializeAsString()).ok());
  }

  sv1::GetJourneyResponse Journey(const std::string& customer) {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + seconds(5));
    sv1::GetJourneyRequest req;
    req.set_customer_id(customer);
    sv1::GetJourneyResponse resp;
    auto s = scheduler_->GetJourney(&ctx, req, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return resp;
  }

  // Polls the journey until `ready` holds (bounded: 60 s); returns the last journey.
  sv1::GetJourneyResponse WaitUntil(const std::string& customer,
                                    const std::function<bool(const sv1::GetJourneyResponse&)>& ready,
                                    const std::string& what) {
    sv1::GetJourneyResponse j;
    for (int i = 0; i < 300; ++i) {
      j = Journey(customer);
      if (ready(j)) return j;
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
    ADD_FAILURE() << "journey of " << customer << " not " << what << " in 60 s: " << j.DebugString();
    return j;
  }

  // Until the journey has `count` touchpoints, all DONE.
  sv1::GetJourneyResponse WaitForDone(const std::string& customer, int count) {
    return WaitUntil(customer, [count](const sv1::GetJourneyResponse& j) {
      int done = 0;
      for (const auto& tp : j.touchpoints()) done += tp.status() == sv1::TOUCHPOINT_STATUS_DONE;
      return j.touchpoints_size() == count && done == count;
    }, "done");
  }

  // Until the welcome is DONE and the 7-day survey planned.
  sv1::GetJourneyResponse WaitForWelcome(const std::string& customer) {
    return WaitUntil(customer, [](const sv1::GetJourneyResponse& j) {
      return j.touchpoints_size() == 2 && j.touchpoints(0).status() == sv1::TOUCHPOINT_STATUS_DONE;
    }, "welcomed");
  }

  std::vector<nlohmann::json> WebhookRecords() {
    std::vector<nlohmann::json> out;
    std::ifstream in(env_["MOT_WEBHOOK_LOG"]);
    std::string line;
    while (std::getline(in, line)) {
      auto j = nlohmann::json::parse(line, nullptr, false);
      if (!j.is_discarded()) out.push_back(j);
    }
    return out;
  }

  int WebhookMessagesMentioning(const std::string& text) {
    int n = 0;
    for (const auto& r : WebhookRecords()) {
      if (r["body"].is_object() &&
          r["body"]["text"]["content"].get<std::string>().find(text) != std::string::npos) {
        ++n;
      }
    }
    return n;
  }

  // Stops or starts one component of the mesh (deploy/local/mesh stop|start NAME).
  void Mesh(const std::string& verb, const std::string& name) {
    const std::string cmd = "MOT_MESH_DIR='" + env_["MOT_MESH_DIR"] + "' MOT_BUILD_DIR='" +
                            env_["MOT_BUILD_DIR"] + "' '" + env_["MOT_MESH_SCRIPT"] + "' " + verb +
                            " " + name;
    ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
  }

  std::string ServiceLog(const std::string& name) {
    std::ifstream in(env_["MOT_MESH_LOGS"] + "/" + name + ".log");
    std::stringstream buf;
    buf << in.rdbuf();
    return buf.str();
  }

  std::map<std::string, std::string> env_;
  std::unique_ptr<KafkaProducer> producer_;
  std::unique_ptr<sv1::SchedulerService::Stub> scheduler_;
};

TEST_F(MeshTest, LifecycleEventsReachAllFourServices) {
  const std::string customer = Unique("C-");
  const TimePoint now = std::chrono::system_clock::now();
  // Signed 8 days ago: the welcome is due now and the 7-day survey is already due.
  auto signed_event = Event("contract_signed", customer, now - hours(24 * 8));
  Publish(signed_event);
  auto repair = Event("repair_requested", customer, now);
  (*repair.mutable_attributes())["problem"] = "卫生间墙面渗水";
  Publish(repair);

  auto journey = WaitForDone(customer, 3);
  ASSERT_EQ(journey.touchpoints_size(), 3);
  EXPECT_EQ(journey.stage(), "PROSPECT_1");
  EXPECT_EQ(journey.touchpoints(0).service(), "notification");
  EXPECT_EQ(journey.touchpoints(1).service(), "survey");
  EXPECT_EQ(journey.touchpoints(2).service(), "ticketing");

  // The webhook receiver got the rendered zh-CN message.
  EXPECT_EQ(WebhookMessagesMentioning("签约" + signed_event.project_id() + "项目U-0801单元"), 1);

  // The survey instance exists.
  auto surveys = survey::v1::SurveyService::NewStub(
      grpc::CreateChannel(env_["MOT_SURVEY_ADDR"], grpc::InsecureChannelCredentials()));
  grpc::ClientContext sctx;
  survey::v1::ListSurveyInstancesRequest sreq;
  sreq.set_customer_id(customer);
  survey::v1::ListSurveyInstancesResponse sresp;
  ASSERT_TRUE(surveys->ListSurveyInstances(&sctx, sreq, &sresp).ok());
  ASSERT_EQ(sresp.instances_size(), 1);
  EXPECT_EQ(sresp.instances(0).stage(), "PROSPECT_1");
  EXPECT_EQ(sresp.instances(0).id(), journey.touchpoints(1).result_ref());

  // The repair ticket has its three deadlines, counted from the request.
  auto tickets = ticketing::v1::TicketingService::NewStub(
      grpc::CreateChannel(env_["MOT_TICKETING_ADDR"], grpc::InsecureChannelCredentials()));
  grpc::ClientContext tctx;
  ticketing::v1::GetTicketRequest treq;
  treq.set_ticket_id(journey.touchpoints(2).result_ref());
  ticketing::v1::GetTicketResponse tresp;
  ASSERT_TRUE(tickets->GetTicket(&tctx, treq, &tresp).ok());
  const auto& t = tresp.ticket();
  EXPECT_EQ(t.summary(), "卫生间墙面渗水");
  ASSERT_EQ(t.deadlines_size(), 3);
  const TimePoint requested = FromProto(repair.occurred_at());
  EXPECT_EQ(FromProto(t.deadlines(0).due_at()) - requested, hours(2));
  EXPECT_EQ(FromProto(t.deadlines(1).due_at()) - requested, hours(24));
  EXPECT_EQ(FromProto(t.deadlines(2).due_at()) - requested, hours(72));
}

TEST_F(MeshTest, RedeliveredEventHasOneEffect) {
  const std::string customer = Unique("C-");
  auto e = Event("contract_signed", customer, std::chrono::system_clock::now() - hours(24 * 8));
  Publish(e);
  Publish(e);  // the same event id again, as an at-least-once publisher may
  WaitForDone(customer, 2);
  // Give a duplicate time to show up if it were going to.
  std::this_thread::sleep_for(seconds(2));
  EXPECT_EQ(Journey(customer).touchpoints_size(), 2);
  EXPECT_EQ(WebhookMessagesMentioning(e.project_id()), 1);
}

TEST_F(MeshTest, FutureTouchpointStaysScheduled) {
  const std::string customer = Unique("C-");
  Publish(Event("contract_signed", customer, std::chrono::system_clock::now()));
  auto j = WaitForWelcome(customer);
  ASSERT_EQ(j.touchpoints_size(), 2);
  EXPECT_EQ(j.touchpoints(0).status(), sv1::TOUCHPOINT_STATUS_DONE);
  EXPECT_EQ(j.touchpoints(1).status(), sv1::TOUCHPOINT_STATUS_SCHEDULED);
}

TEST_F(MeshTest, HandoverPlansTheYearsAfter) {
  const std::string customer = Unique("C-");
  // Handed over 100 days ago: congratulations, the 30-day survey and the 90-day
  // revisit are due; the one-year check and the four-year appointment wait.
  Publish(Event("handover", customer, std::chrono::system_clock::now() - hours(24 * 100)));
  auto j = WaitUntil(customer, [](const sv1::GetJourneyResponse& j) {
    int done = 0;
    for (const auto& tp : j.touchpoints()) done += tp.status() == sv1::TOUCHPOINT_STATUS_DONE;
    return j.touchpoints_size() == 5 && done == 3;
  }, "three done");
  ASSERT_EQ(j.touchpoints_size(), 5);
  EXPECT_EQ(j.stage(), "RUNIN_1");
  EXPECT_EQ(j.touchpoints(2).step_id(), "revisit_after_move_in");
  EXPECT_NE(j.touchpoints(2).outcome().find("revisit ticket opened; visit by"), std::string::npos);
  for (int i : {3, 4}) {
    EXPECT_EQ(j.touchpoints(i).status(), sv1::TOUCHPOINT_STATUS_SCHEDULED) << i;
  }
  EXPECT_EQ(j.touchpoints(4).step_id(), "four_year_appointment");
}

TEST_F(MeshTest, GarbageGoesToDeadLettersAndTheNextEventIsProcessed) {
  const std::string customer = Unique("C-");
  const std::string garbage = "\x08\xff\xff not an event " + Unique("g-");
  // Same key as the valid event: same partition, so the valid one queues behind it.
  ASSERT_TRUE(producer_->Publish(kLifecycleTopic, customer, garbage).ok());
  Publish(Event("repair_requested", customer, std::chrono::system_clock::now()));
  WaitForDone(customer, 1);

  std::string err;
  std::unique_ptr<RdKafka::Conf> conf(RdKafka::Conf::create(RdKafka::Conf::CONF_GLOBAL));
  conf->set("bootstrap.servers", env_["MOT_KAFKA_BROKERS"], err);
  conf->set("group.id", Unique("dlq-reader-"), err);
  conf->set("auto.offset.reset", "earliest", err);
  std::unique_ptr<RdKafka::KafkaConsumer> consumer(RdKafka::KafkaConsumer::create(conf.get(), err));
  ASSERT_TRUE(consumer) << err;
  consumer->subscribe({std::string(kLifecycleTopic) + ".dlq"});
  std::string reason;
  const auto deadline = std::chrono::steady_clock::now() + seconds(30);
  while (reason.empty() && std::chrono::steady_clock::now() < deadline) {
    std::unique_ptr<RdKafka::Message> m(consumer->consume(500));
    if (m->err() != RdKafka::ERR_NO_ERROR) continue;
    if (std::string(static_cast<const char*>(m->payload()), m->len()) != garbage) continue;
    EXPECT_EQ(*m->key(), customer);
    for (const auto& h : m->headers()->get_all()) {
      if (h.key() == "mot-dlq-reason") {
        reason.assign(static_cast<const char*>(h.value()), h.value_size());
      }
    }
  }
  consumer->close();
  EXPECT_FALSE(reason.empty()) << "the garbage message was not dead-lettered with a reason";
  EXPECT_NE(reason.find("mot.lifecycle.v1.LifecycleEvent"), std::string::npos) << reason;
}

TEST_F(MeshTest, IngestRejectsAnEventWithoutCustomer) {
  grpc::ClientContext ctx;
  sv1::IngestEventRequest req;
  req.mutable_event()->set_event_id("ev-x");
  req.mutable_event()->set_type("handover");
  sv1::IngestEventResponse resp;
  auto s = scheduler_->IngestEvent(&ctx, req, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(s.error_message(), "event.customer_id is required");
}

TEST_F(MeshTest, IngestPublishesOntoTheLifecycleTopic) {
  const std::string customer = Unique("C-");
  grpc::ClientContext ctx;
  sv1::IngestEventRequest req;
  *req.mutable_event() = Event("repair_requested", customer, std::chrono::system_clock::now());
  sv1::IngestEventResponse resp;
  ASSERT_TRUE(scheduler_->IngestEvent(&ctx, req, &resp).ok());
  EXPECT_EQ(resp.event_id(), req.event().event_id());
  auto j = WaitForDone(customer, 1);
  EXPECT_EQ(j.touchpoints(0).service(), "ticketing");
}

TEST_F(MeshTest, TimerSurvivesASchedulerRestart) {
  const std::string customer = Unique("C-");
  // The 7-day survey falls due 4 s from now, while the scheduler is down.
  const TimePoint signed_at = std::chrono::system_clock::now() - hours(24 * 7) + seconds(4);
  Publish(Event("contract_signed", customer, signed_at));
  auto j = WaitForWelcome(customer);
  ASSERT_EQ(j.touchpoints_size(), 2);
  ASSERT_EQ(j.touchpoints(1).status(), sv1::TOUCHPOINT_STATUS_SCHEDULED);

  Mesh("stop", "touchpoint-scheduler");
  // SIGTERM is a clean shutdown: consumers closed, producer flushed.
  EXPECT_NE(ServiceLog("touchpoint-scheduler").find("\"msg\":\"stopped\""), std::string::npos);
  std::this_thread::sleep_until(signed_at + hours(24 * 7) + seconds(1));
  Mesh("start", "touchpoint-scheduler");
  scheduler_ = sv1::SchedulerService::NewStub(
      grpc::CreateChannel(env_["MOT_SCHEDULER_ADDR"], grpc::InsecureChannelCredentials()));
  WaitForDone(customer, 2);
}

TEST_F(MeshTest, ServicesRideOutARedisRestart) {
  const std::string before = Unique("C-");
  Publish(Event("repair_requested", before, std::chrono::system_clock::now()));
  WaitForDone(before, 1);

  Mesh("stop", "redis");
  const std::string during = Unique("C-");
  Publish(Event("repair_requested", during, std::chrono::system_clock::now()));
  std::this_thread::sleep_for(seconds(2));  // the scheduler retries while Redis is down
  Mesh("start", "redis");

  WaitForDone(during, 1);
  // What was stored before the restart came back from the append-only file.
  auto j = Journey(before);
  ASSERT_EQ(j.touchpoints_size(), 1);
  EXPECT_EQ(j.touchpoints(0).status(), sv1::TOUCHPOINT_STATUS_DONE);
}

}  // namespace
}  // namespace mot
