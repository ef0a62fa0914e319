// Integration tests against the local mesh that deploy/local/mesh starts (ctest
// fixture "mesh"): a real Kafka broker (KRaft), real Redis, the four services and
// the webhook receiver. MOT_MESH_ENV names the mesh's env file.
#include <librdkafka/rdkafkacpp.h>

#include <cstdio>
#include <fstream>
#include <set>
#include <functional>
#include <map>
#include <random>
#include <sstream>
#include <thread>

#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "mot/common/clock.h"
#include "mot/common/codec.h"
#include "mot/common/topics.h"
#include "mot/common/kafka.h"
#include "mot/common/simulated_clock.h"
#include "mesh_env.h"
#include "mot/lifecycle/v1/event.pb.h"
#include "mot/notification/v1/notification.grpc.pb.h"
#include "mot/scheduler/v1/scheduler.grpc.pb.h"
#include "mot/survey/v1/survey.grpc.pb.h"
#include "mot/ticketing/v1/ticketing.grpc.pb.h"
#include "nlohmann/json.hpp"

namespace mot {
namespace {

using std::chrono::hours;
using std::chrono::seconds;
namespace sv1 = scheduler::v1;

using testing::MeshEnv;
using testing::Metric;
using testing::Unique;

// The partition Kafka's Java client picks for a key: murmur2 (Utils.murmur2),
// made positive, modulo the partition count.
int32_t JavaMurmur2(const std::string& key) {
  const auto* data = reinterpret_cast<const uint8_t*>(key.data());
  const int32_t length = static_cast<int32_t>(key.size());
  const uint32_t m = 0x5bd1e995;
  uint32_t h = 0x9747b28c ^ static_cast<uint32_t>(length);
  for (int32_t i = 0; i < length / 4; ++i) {
    uint32_t k = data[i * 4] | (data[i * 4 + 1] << 8) | (data[i * 4 + 2] << 16) |
                 (static_cast<uint32_t>(data[i * 4 + 3]) << 24);
    k *= m;
    k ^= k >> 24;
    k *= m;
    h *= m;
    h ^= k;
  }
  const int32_t tail = length & ~3;
  switch (length % 4) {
    case 3:
      h ^= data[tail + 2] << 16;
      [[fallthrough]];
    case 2:
      h ^= data[tail + 1] << 8;
      [[fallthrough]];
    case 1:
      h ^= data[tail];
      h *= m;
  }
  h ^= h >> 13;
  h *= m;
  h ^= h >> 15;
  return static_cast<int32_t>(h);
}

class MeshTest : public ::testing::Test {
 protected:
  void SetUp() override {
    env_ = MeshEnv();
    ASSERT_FALSE(env_["MOT_KAFKA_BROKERS"].empty()) << "MOT_MESH_ENV does not name a running mesh";
    producer_ = std::make_unique<KafkaProducer>(env_["MOT_KAFKA_BROKERS"], "mesh-test", seconds(15));
    redis_ = testing::MeshRedis(env_);
    ASSERT_EQ(env_["MOT_CLOCK"], "simulated") << "the test mesh runs on the simulated clock";
    scheduler_ = sv1::SchedulerService::NewStub(
        grpc::CreateChannel(env_["MOT_SCHEDULER_ADDR"], grpc::InsecureChannelCredentials()));
  }

  // The mesh's simulated time: it moves only when a test moves it.
  TimePoint Now() {
    auto t = SimulatedTime(*redis_).Get();
    EXPECT_TRUE(t.ok()) << t.status();
    return t.ok() ? *t : TimePoint{};
  }
  TimePoint Advance(std::chrono::milliseconds d) {
    auto t = SimulatedTime(*redis_).Advance(d);
    EXPECT_TRUE(t.ok()) << t.status();
    return t.ok() ? *t : TimePoint{};
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
    ctx.set_deadline(std::chrono::system_clock::now() + seconds(10));
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

  // A consumer of `topic` from its beginning, in a group of its own.
  std::unique_ptr<RdKafka::KafkaConsumer> ReadFromStart(const std::string& topic) {
    std::string err;
    std::unique_ptr<RdKafka::Conf> conf(RdKafka::Conf::create(RdKafka::Conf::CONF_GLOBAL));
    conf->set("bootstrap.servers", env_["MOT_KAFKA_BROKERS"], err);
    conf->set("group.id", Unique("test-reader-"), err);
    conf->set("auto.offset.reset", "earliest", err);
    std::unique_ptr<RdKafka::KafkaConsumer> consumer(RdKafka::KafkaConsumer::create(conf.get(), err));
    EXPECT_TRUE(consumer) << err;
    if (consumer) consumer->subscribe({topic});
    return consumer;
  }

  notification::v1::ListDeliveriesResponse Deliveries(const std::string& customer) {
    auto stub = notification::v1::NotificationService::NewStub(
        grpc::CreateChannel(env_["MOT_NOTIFICATION_ADDR"], grpc::InsecureChannelCredentials()));
    grpc::ClientContext ctx;
    notification::v1::ListDeliveriesRequest req;
    req.set_customer_id(customer);
    notification::v1::ListDeliveriesResponse resp;
    auto s = stub->ListDeliveries(&ctx, req, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return resp;
  }

  survey::v1::ListSurveyInstancesResponse Surveys(const std::string& customer) {
    auto stub = survey::v1::SurveyService::NewStub(
        grpc::CreateChannel(env_["MOT_SURVEY_ADDR"], grpc::InsecureChannelCredentials()));
    grpc::ClientContext ctx;
    survey::v1::ListSurveyInstancesRequest req;
    req.set_customer_id(customer);
    survey::v1::ListSurveyInstancesResponse resp;
    auto s = stub->ListSurveyInstances(&ctx, req, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return resp;
  }

  // The mot-dlq-reason of the message with this payload on <topic>.dlq ("" if none in 30 s).
  std::string DeadLetterReason(const std::string& topic, const std::string& payload) {
    auto consumer = ReadFromStart(topic + ".dlq");
    if (!consumer) return "";
    std::string reason;
    const auto deadline = std::chrono::steady_clock::now() + seconds(30);
    while (reason.empty() && std::chrono::steady_clock::now() < deadline) {
      std::unique_ptr<RdKafka::Message> m(consumer->consume(500));
      if (m->err() != RdKafka::ERR_NO_ERROR) continue;
      if (std::string(static_cast<const char*>(m->payload()), m->len()) != payload) continue;
      for (const auto& h : m->headers()->get_all()) {
        if (h.key() == "mot-dlq-reason") reason.assign(static_cast<const char*>(h.value()), h.value_size());
      }
    }
    consumer->close();
    return reason;
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
  std::unique_ptr<RedisClient> redis_;
};

TEST_F(MeshTest, LifecycleEventsReachAllFourServices) {
  const std::string customer = Unique("C-");
  const TimePoint now = Now();
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
  const auto sresp = Surveys(customer);
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
  auto e = Event("contract_signed", customer, Now() - hours(24 * 8));
  Publish(e);
  Publish(e);  // the same event id again, as an at-least-once publisher may
  WaitForDone(customer, 2);
  // Give a duplicate time to show up if it were going to (not a due time: the clock stands).
  std::this_thread::sleep_for(seconds(2));
  EXPECT_EQ(Journey(customer).touchpoints_size(), 2);
  EXPECT_EQ(WebhookMessagesMentioning(e.project_id()), 1);
}

TEST_F(MeshTest, FutureTouchpointStaysScheduled) {
  const std::string customer = Unique("C-");
  Publish(Event("contract_signed", customer, Now()));
  auto j = WaitForWelcome(customer);
  ASSERT_EQ(j.touchpoints_size(), 2);
  EXPECT_EQ(j.touchpoints(0).status(), sv1::TOUCHPOINT_STATUS_DONE);
  EXPECT_EQ(j.touchpoints(1).status(), sv1::TOUCHPOINT_STATUS_SCHEDULED);
}

// The years after a handover in seconds: each advance of the simulated clock fires
// what fell due, in due order, and nothing later.
TEST_F(MeshTest, HandoverYearsFireAsTheClockMoves) {
  const std::string customer = Unique("C-");
  Publish(Event("handover", customer, Now()));
  auto status_of = [](const sv1::GetJourneyResponse& j, const std::string& step) {
    for (const auto& tp : j.touchpoints()) {
      if (tp.step_id() == step) return tp.status();
    }
    return sv1::TOUCHPOINT_STATUS_UNSPECIFIED;
  };
  auto done_count = [](const sv1::GetJourneyResponse& j) {
    int done = 0;
    for (const auto& tp : j.touchpoints()) done += tp.status() == sv1::TOUCHPOINT_STATUS_DONE;
    return done;
  };
  auto j = WaitUntil(customer, [&](const sv1::GetJourneyResponse& j) {
    return j.touchpoints_size() == 5 && done_count(j) == 1;
  }, "congratulated");
  EXPECT_EQ(j.stage(), "RUNIN_1");
  const struct {
    std::chrono::hours advance;
    const char* step;
    int done;
    const char* stage;
  } years[] = {{hours(24 * 100), "revisit_after_move_in", 3, "RUNIN_1"},
               {hours(24 * 270), "one_year_quality_check", 4, "STABLE"},
               {hours(24 * 365 * 3), "four_year_appointment", 5, "VETERAN"}};
  for (const auto& y : years) {
    Advance(y.advance);
    j = WaitUntil(customer, [&](const sv1::GetJourneyResponse& j) {
      return status_of(j, y.step) == sv1::TOUCHPOINT_STATUS_DONE;
    }, std::string(y.step) + " done");
    EXPECT_EQ(done_count(j), y.done) << y.step << ": something later fired too";
    EXPECT_EQ(j.stage(), y.stage) << y.step;
  }
  EXPECT_NE(j.touchpoints(4).outcome().find("common_area_review ticket opened"), std::string::npos)
      << j.touchpoints(4).outcome();
}

// Every service reads the one shared clock: the scheduler's stage, the
// notification's delivery time and the survey's creation time are simulated times.
TEST_F(MeshTest, EveryServiceSeesTheSimulatedTime) {
  const std::string customer = Unique("C-");
  Publish(Event("contract_signed", customer, Now()));
  WaitForWelcome(customer);
  const TimePoint later = Advance(hours(24 * 8));  // the 7-day survey falls due
  auto j = WaitForDone(customer, 2);
  EXPECT_EQ(j.stage(), "PROSPECT_1");

  const auto sresp = Surveys(customer);
  ASSERT_EQ(sresp.instances_size(), 1);
  EXPECT_EQ(FromProto(sresp.instances(0).created_at()), later) << "survey is not on the shared clock";

  Publish(Event("contract_signed", customer, later));  // a second signing: a new welcome
  WaitUntil(customer, [](const sv1::GetJourneyResponse& j) {
    return j.touchpoints_size() == 4 && j.touchpoints(2).status() == sv1::TOUCHPOINT_STATUS_DONE;
  }, "welcomed again");
  const auto nresp = Deliveries(customer);
  ASSERT_EQ(nresp.deliveries_size(), 2);
  EXPECT_EQ(FromProto(nresp.deliveries(1).delivered_at()), later)
      << "notification is not on the shared clock";

  Advance(hours(24 * 200));
  WaitUntil(customer, [](const sv1::GetJourneyResponse& j) { return j.stage() == "PROSPECT_2"; },
            "in the waiting stage");
}

TEST_F(MeshTest, GarbageGoesToDeadLettersAndTheNextEventIsProcessed) {
  const std::string customer = Unique("C-");
  const std::string garbage = "\x08\xff\xff not an event " + Unique("g-");
  // Same key as the valid event: same partition, so the valid one queues behind it.
  ASSERT_TRUE(producer_->Publish(kLifecycleTopic, customer, garbage).ok());
  Publish(Event("repair_requested", customer, Now()));
  WaitForDone(customer, 1);

  const std::string reason = DeadLetterReason(kLifecycleTopic, garbage);
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
  *req.mutable_event() = Event("repair_requested", customer, Now());
  sv1::IngestEventResponse resp;
  ASSERT_TRUE(scheduler_->IngestEvent(&ctx, req, &resp).ok());
  EXPECT_EQ(resp.event_id(), req.event().event_id());
  auto j = WaitForDone(customer, 1);
  EXPECT_EQ(j.touchpoints(0).service(), "ticketing");
}

TEST_F(MeshTest, TimerSurvivesASchedulerRestart) {
  const std::string customer = Unique("C-");
  // The 7-day survey falls due one hour from now, while the scheduler is down.
  Publish(Event("contract_signed", customer, Now() - hours(24 * 7) + hours(1)));
  auto j = WaitForWelcome(customer);
  ASSERT_EQ(j.touchpoints_size(), 2);
  ASSERT_EQ(j.touchpoints(1).status(), sv1::TOUCHPOINT_STATUS_SCHEDULED);

  Mesh("stop", "touchpoint-scheduler");
  // SIGTERM is a clean shutdown: consumers closed, producer flushed.
  EXPECT_NE(ServiceLog("touchpoint-scheduler").find("\"msg\":\"stopped\""), std::string::npos);
  Advance(hours(2));
  Mesh("start", "touchpoint-scheduler");
  scheduler_ = sv1::SchedulerService::NewStub(
      grpc::CreateChannel(env_["MOT_SCHEDULER_ADDR"], grpc::InsecureChannelCredentials()));
  WaitForDone(customer, 2);
}

// A killed service restarted under the same instance name gets its partitions back at
// once (static group membership), instead of after the broker's session timeout (45 s).
TEST_F(MeshTest, AKilledServiceResumesAtOnce) {
  const std::string before = Unique("C-");
  Publish(Event("repair_requested", before, Now()));
  WaitForDone(before, 1);
  Mesh("kill", "ticketing");
  Mesh("start", "ticketing");
  const auto t0 = std::chrono::steady_clock::now();
  const std::string after = Unique("C-");
  Publish(Event("repair_requested", after, Now()));
  WaitForDone(after, 1);
  const double took = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::printf("ticket opened %.1f s after the restart\n", took);
  EXPECT_LT(took, 10) << "the restarted consumer waited for its partitions";
}

TEST_F(MeshTest, ServicesRideOutARedisRestart) {
  const std::string before = Unique("C-");
  Publish(Event("repair_requested", before, Now()));
  WaitForDone(before, 1);

  const TimePoint now = Now();  // the shared clock lives in Redis: read it before the outage
  Mesh("stop", "redis");
  const std::string during = Unique("C-");
  Publish(Event("repair_requested", during, now));
  std::this_thread::sleep_for(seconds(2));  // the scheduler retries while Redis is down
  Mesh("start", "redis");

  WaitForDone(during, 1);
  // What was stored before the restart came back from the append-only file.
  auto j = Journey(before);
  ASSERT_EQ(j.touchpoints_size(), 1);
  EXPECT_EQ(j.touchpoints(0).status(), sv1::TOUCHPOINT_STATUS_DONE);
}

// A valid event whose command the broker could never take once stopped every timer
// of every owner; now it is refused when planned, and everything after it goes on.
TEST_F(MeshTest, AnEventWithAnOversizedCommandIsDeadLetteredAndTheRestGoesOn) {
  const std::string big = Unique("C-");
  auto e = Event("contract_signed", big, Now());
  (*e.mutable_attributes())["note"] = std::string(950'000, 'x');
  Publish(e);
  const std::string next = Unique("C-");
  Publish(Event("repair_requested", next, Now()));
  WaitForDone(next, 1);
  const std::string reason = DeadLetterReason(kLifecycleTopic, e.SerializeAsString());
  EXPECT_NE(reason.find("step 'welcome_after_signing': its command would be"), std::string::npos)
      << reason;
  EXPECT_EQ(Journey(big).touchpoints_size(), 0);
}

// occurred_at 9999-12-31 once overflowed into 1816 and fired at once.
TEST_F(MeshTest, AnEventFromFarInTheFutureIsDeadLettered) {
  const std::string customer = Unique("C-");
  auto e = Event("handover", customer, Now());
  e.mutable_occurred_at()->set_seconds(253402214400);  // 9999-12-31T00:00:00Z
  Publish(e);
  EXPECT_EQ(DeadLetterReason(kLifecycleTopic, e.SerializeAsString()),
            "occurred_at 9999-12-31T00:00:00Z is too far in the future");
  EXPECT_EQ(Journey(customer).touchpoints_size(), 0);
}

// A permanent failure is INVALID_ARGUMENT (clients retried UNAVAILABLE forever).
TEST_F(MeshTest, IngestAnswersWhatCanNeverBeAcceptedWithInvalidArgument) {
  sv1::IngestEventResponse resp;
  sv1::IngestEventRequest req;
  *req.mutable_event() = Event("contract_signed", Unique("C-"), Now());
  (*req.mutable_event()->mutable_attributes())["note"] = std::string(1'500'000, 'x');
  grpc::ClientContext ctx;
  auto s = scheduler_->IngestEvent(&ctx, req, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(s.error_message().find("event.step 'welcome_after_signing': its command would be"),
            std::string::npos) << s.error_message();

  req.mutable_event()->set_type("community_activity");  // plans nothing; still too large to publish
  grpc::ClientContext ctx2;
  s = scheduler_->IngestEvent(&ctx2, req, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << s.error_message();
  EXPECT_NE(s.error_message().find("Message size too large"), std::string::npos) << s.error_message();

  *req.mutable_event() = Event("handover", Unique("C-"), Now());
  req.mutable_event()->mutable_occurred_at()->set_seconds(253402214400);
  grpc::ClientContext ctx3;
  s = scheduler_->IngestEvent(&ctx3, req, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(s.error_message(), "event.occurred_at 9999-12-31T00:00:00Z is too far in the future");
}

// Kafka's own test vectors for murmur2, then: a key lands on the partition the Java
// client would pick (librdkafka's default partitioner picks another for most keys).
TEST_F(MeshTest, CustomersLandOnTheJavaClientsPartition) {
  EXPECT_EQ(JavaMurmur2("21"), -973932308);
  EXPECT_EQ(JavaMurmur2("foobar"), -790332482);
  EXPECT_EQ(JavaMurmur2("a-little-bit-long-string"), -985981536);
  EXPECT_EQ(JavaMurmur2("a-little-bit-longer-string"), -1486304829);
  EXPECT_EQ(JavaMurmur2("lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8"), -58897971);
  EXPECT_EQ(JavaMurmur2("abc"), 479470107);

  const std::string topic = std::string(kSurveyEventsTopic) + ".dlq";  // nothing consumes it
  const std::string run = Unique("part-");
  std::vector<OutMessage> out;
  for (int i = 0; i < 30; ++i) out.push_back({topic, run + "-C-" + std::to_string(i), run, {}});
  for (const auto& s : producer_->PublishAll(out)) ASSERT_TRUE(s.ok()) << s;

  auto consumer = ReadFromStart(topic);
  ASSERT_TRUE(consumer);
  std::map<std::string, int32_t> landed;
  const auto deadline = std::chrono::steady_clock::now() + seconds(30);
  while (landed.size() < out.size() && std::chrono::steady_clock::now() < deadline) {
    std::unique_ptr<RdKafka::Message> m(consumer->consume(500));
    if (m->err() != RdKafka::ERR_NO_ERROR || m->key() == nullptr) continue;
    if (std::string(static_cast<const char*>(m->payload()), m->len()) == run) landed[*m->key()] = m->partition();
  }
  consumer->close();
  ASSERT_EQ(landed.size(), out.size());
  constexpr int kPartitions = 3;  // deploy/local/mesh makes every topic with 3
  for (const auto& [key, partition] : landed) {
    EXPECT_EQ(partition, (JavaMurmur2(key) & 0x7fffffff) % kPartitions) << key;
  }
}

// Two scheduler replicas on the real broker and Redis share a backlog of 10,000 due
// touchpoints: every one is dispatched, exactly once, and both replicas take part.
TEST_F(MeshTest, TwoReplicasShareABacklogOfTenThousandExactlyOnce) {
  constexpr int kCount = 10'000;
  Mesh("start", "touchpoint-scheduler-2");
  std::ifstream state_file(env_["MOT_MESH_DIR"] + "/mesh.json");
  const auto state = nlohmann::json::parse(state_file);
  const std::string metrics_2 = "http://127.0.0.1:" +
      std::to_string(state["ports"]["touchpoint-scheduler-2.metrics"].get<int>()) + "/metrics";
  const std::string dispatched = "mot_scheduler_touchpoints_dispatched_total{service=\"ticketing\"}";
  const double before_1 = Metric(env_["MOT_SCHEDULER_METRICS"], dispatched);
  const double before_2 = Metric(metrics_2, dispatched);

  // Repair requests an hour ahead: planned now, due once the clock moves.
  const std::string prefix = Unique("C-BL-") + "-";
  std::vector<OutMessage> events;
  for (int i = 0; i < kCount; ++i) {
    auto e = Event("repair_requested", prefix + std::to_string(i), Now() + hours(1));
    e.set_event_id(prefix + "ev-" + std::to_string(i));  // distinct by construction
    events.push_back({kLifecycleTopic, e.customer_id(), e.SerializeAsString(), {}});
  }
  for (const auto& s : producer_->PublishAll(events)) ASSERT_TRUE(s.ok()) << s;
  // Wait until all are planned: the last customers' journeys hold their touchpoint.
  for (int i : {kCount - 1, kCount / 2, 0}) {
    WaitUntil(prefix + std::to_string(i),
              [](const sv1::GetJourneyResponse& j) { return j.touchpoints_size() == 1; }, "planned");
  }
  auto consumer = ReadFromStart(kTicketingCommandsTopic);
  ASSERT_TRUE(consumer);

  Advance(hours(2));
  std::map<std::string, int> sends;  // touchpoint id -> commands seen
  int total = 0;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(180);
  bool all_seen = false;
  while (std::chrono::steady_clock::now() < deadline) {
    std::unique_ptr<RdKafka::Message> m(consumer->consume(500));
    if (m->err() == RdKafka::ERR_NO_ERROR) {
      ticketing::v1::OpenTicketCommand cmd;
      if (cmd.ParseFromArray(m->payload(), static_cast<int>(m->len())) &&
          cmd.customer_id().rfind(prefix, 0) == 0) {
        ++sends[cmd.touchpoint_id()];
        ++total;
      }
    }
    if (!all_seen && sends.size() == static_cast<size_t>(kCount)) {
      all_seen = true;  // keep reading a little: a duplicate would come now
      deadline = std::min(deadline, std::chrono::steady_clock::now() + seconds(5));
    }
  }
  consumer->close();
  EXPECT_EQ(sends.size(), static_cast<size_t>(kCount)) << "touchpoints dispatched";
  EXPECT_EQ(total, kCount) << "commands sent: more means some were sent twice";
  const double by_1 = Metric(env_["MOT_SCHEDULER_METRICS"], dispatched) - before_1;
  const double by_2 = Metric(metrics_2, dispatched) - before_2;
  std::printf("replica 1 dispatched %.0f, replica 2 dispatched %.0f\n", by_1, by_2);
  EXPECT_GT(by_1, 0) << "replica 1 took no part";
  EXPECT_GT(by_2, 0) << "replica 2 took no part";
  EXPECT_GE(by_1 + by_2, kCount);
  Mesh("stop", "touchpoint-scheduler-2");
}

}  // namespace
}  // namespace mot
