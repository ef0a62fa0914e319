#pragma once

// The one fixture of the integration tests against the local mesh that
// deploy/local/mesh starts (ctest fixture "mesh"): a real Kafka broker (KRaft), real
// Redis, the four services and the webhook receiver, on the shared simulated clock.
// MOT_MESH_ENV names the mesh's env file. Each feature's tests are in a file of their
// own beside this one.
#include <librdkafka/rdkafkacpp.h>

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "eventually.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "mesh_env.h"
#include "mot/common/clock.h"
#include "mot/common/gate.h"
#include "mot/common/kafka.h"
#include "mot/common/redis.h"
#include "mot/customer/v1/profile.pb.h"
#include "mot/lifecycle/v1/event.pb.h"
#include "mot/notification/v1/notification.grpc.pb.h"
#include "mot/scheduler/v1/scheduler.grpc.pb.h"
#include "mot/survey/v1/survey.grpc.pb.h"
#include "mot/ticketing/v1/ticketing.grpc.pb.h"
#include "nlohmann/json.hpp"

namespace mot::testkit {

class MeshTest : public ::testing::Test {
 protected:
  void SetUp() override;

  // A channel to a service calling as `subject` with `scopes` (a token signed here with
  // the mesh's signing key).
  std::shared_ptr<grpc::Channel> ChannelAs(const std::string& addr_key, const std::string& subject,
                                           const std::set<Scope>& scopes);

  // The mesh's simulated time: it moves only when a test moves it.
  TimePoint Now();
  TimePoint Advance(std::chrono::milliseconds d);

  // An event of `type` for `customer` at `at`, with what the playbook's steps need.
  lifecycle::v1::LifecycleEvent Event(const std::string& type, const std::string& customer,
                                      TimePoint at);
  // The owners' local date (Asia/Shanghai) of a time.
  static std::string LocalDate(TimePoint t);

  // The journey's touchpoint of `step` (an empty one if it has none).
  static scheduler::v1::Touchpoint Step(const scheduler::v1::GetJourneyResponse& j,
                                        const std::string& step);
  scheduler::v1::GetJourneyResponse Journey(const std::string& customer);
  // Polls the journey until `ready` holds (bounded: 60 s); returns the last journey.
  scheduler::v1::GetJourneyResponse WaitUntil(
      const std::string& customer,
      const std::function<bool(const scheduler::v1::GetJourneyResponse&)>& ready,
      const std::string& what);
  // Until each of these steps has a DONE touchpoint.
  scheduler::v1::GetJourneyResponse WaitForSteps(const std::string& customer,
                                                 const std::vector<std::string>& steps);
  // Until the journey has `count` touchpoints, all DONE.
  scheduler::v1::GetJourneyResponse WaitForDone(const std::string& customer, int count);
  // Until the welcome is DONE (and the rest of the signing's steps planned).
  scheduler::v1::GetJourneyResponse WaitForWelcome(const std::string& customer);

  // Rewrites the mesh's playbook file and, with `signal`, tells the scheduler (SIGHUP);
  // without, the scheduler notices the change itself (it looks every second here).
  void WritePlaybook(const std::string& text, bool signal = true);
  std::string ReadPlaybook();
  // Until the scheduler's metric says this version is in force (bounded: 30 s).
  bool WaitForVersion(const std::string& version);

  void Publish(const lifecycle::v1::LifecycleEvent& e);
  // A profile, once notification keeps it.
  void Profile(const customer::v1::CustomerProfile& p);

  // An owner's notification command whose text names `marker` (a new command id).
  notification::v1::SendNotificationCommand Command(const std::string& customer,
                                                    const std::string& marker);

  // Each line of a JSON-lines file that parses (a line being written may not yet).
  static std::vector<nlohmann::json> JsonLines(const std::string& path);
  // What the local HTTP providers received (deploy/local/webhook_sink.py).
  std::vector<nlohmann::json> WebhookRecords();
  // A robot message's text ("" for another record: SMS, push).
  static std::string RobotText(const nlohmann::json& r);
  int WebhookMessagesMentioning(const std::string& text);

  // Stops or starts one component of the mesh (deploy/local/mesh stop|start NAME).
  // `vars`: more of the mesh script's variables ("MOT_MESH_CALLER_RATE=5 ").
  void Mesh(const std::string& verb, const std::string& name, const std::string& vars = "");

  // A consumer of `topic` from its beginning, in a group of its own.
  std::unique_ptr<RdKafka::KafkaConsumer> ReadFromStart(const std::string& topic);
  // Reads `consumer` until `done` holds after a message it was given, or `timeout` has
  // passed; whether it did. Each consume waits up to 500 ms for a message.
  static ::testing::AssertionResult ReadUntil(RdKafka::KafkaConsumer& consumer,
                                              std::chrono::milliseconds timeout,
                                              const std::function<bool(RdKafka::Message&)>& done,
                                              const std::string& what);
  // A message's payload, and the value of its header `key` ("" if it has none; reading
  // headers needs a non-const message).
  static std::string Payload(const RdKafka::Message& m);
  static std::string Header(RdKafka::Message& m, const std::string& key);
  // The mot-dlq-reason of the message with this payload on <topic>.dlq ("" if none in 30 s).
  std::string DeadLetterReason(const std::string& topic, const std::string& payload);

  notification::v1::ListDeliveriesResponse Deliveries(const std::string& customer);
  survey::v1::ListSurveyInstancesResponse Surveys(const std::string& customer);
  // The ticket with this id (an empty one while it is not there).
  ticketing::v1::Ticket Ticket(const std::string& id);
  // The tickets of a project, the newest first.
  std::vector<ticketing::v1::Ticket> ProjectTickets(const std::string& project);

  std::string ServiceLog(const std::string& name);

  std::map<std::string, std::string> env_;
  std::unique_ptr<KafkaProducer> producer_;
  std::unique_ptr<scheduler::v1::SchedulerService::Stub> scheduler_;
  std::unique_ptr<RedisClient> redis_;
};

}  // namespace mot::testkit

namespace mot {
// What every mesh test file names.
namespace sv1 = scheduler::v1;
using std::chrono::hours;
using std::chrono::seconds;
using testkit::Eventually;
using testkit::MeshTest;
using testkit::Metric;
using testkit::Unique;
}  // namespace mot
