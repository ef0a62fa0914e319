#include "mesh/fixture.h"

#include <signal.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "absl/time/time.h"
#include "mot/common/simulated_clock.h"
#include "mot/common/topics.h"

namespace mot::testkit {

using std::chrono::hours;
using std::chrono::seconds;
namespace sv1 = scheduler::v1;

void MeshTest::SetUp() {
  env_ = MeshEnv();
  ASSERT_FALSE(env_["MOT_KAFKA_BROKERS"].empty()) << "MOT_MESH_ENV does not name a running mesh";
  producer_ = std::make_unique<KafkaProducer>(env_["MOT_KAFKA_BROKERS"], "mesh-test", seconds(15));
  redis_ = MeshRedis(env_);
  ASSERT_EQ(env_["MOT_CLOCK"], "simulated") << "the test mesh runs on the simulated clock";
  // Owners are reached 09:00-20:00 their time: each test starts in their daytime.
  DaytimeForOwners(*redis_);
  scheduler_ = sv1::SchedulerService::NewStub(MeshChannel(env_, "MOT_SCHEDULER_ADDR"));
}

std::shared_ptr<grpc::Channel> MeshTest::ChannelAs(const std::string& addr_key,
                                                   const std::string& subject,
                                                   const std::set<Scope>& scopes) {
  std::ifstream in(env_["MOT_AUTH_JWT_SIGNING_KEY_FILE"]);
  std::stringstream key;
  key << in.rdbuf();
  auto token = IssueToken(key.str(), "motmesh", subject, scopes,
                          std::chrono::system_clock::now() + std::chrono::minutes(10));
  EXPECT_TRUE(token.ok()) << token.status();
  return SecureChannel(env_[addr_key], ClientSecurityOf(env_, token.ok() ? *token : ""));
}

TimePoint MeshTest::Now() {
  auto t = SimulatedTime(*redis_).Get();
  EXPECT_TRUE(t.ok()) << t.status();
  return t.ok() ? *t : TimePoint{};
}

TimePoint MeshTest::Advance(std::chrono::milliseconds d) {
  auto t = SimulatedTime(*redis_).Advance(d);
  EXPECT_TRUE(t.ok()) << t.status();
  return t.ok() ? *t : TimePoint{};
}

lifecycle::v1::LifecycleEvent MeshTest::Event(const std::string& type, const std::string& customer,
                                              TimePoint at) {
  lifecycle::v1::LifecycleEvent e;
  e.set_event_id(Unique("ev-"));
  e.set_type(type);
  e.set_customer_id(customer);
  e.set_unit_id("U-0801");
  e.set_project_id(Unique("P-"));
  e.set_source("mesh-test");
  *e.mutable_occurred_at() = ToProto(at);
  // What the playbook's steps need (docs/events.md): the planned handover 300 days
  // after the event, a warranty of five years.
  if (type == "contract_signed" || type == "handover_rescheduled") {
    (*e.mutable_attributes())["planned_handover_date"] = LocalDate(at + hours(24 * 300));
  }
  if (type == "handover") {
    (*e.mutable_attributes())["warranty_end_date"] = LocalDate(at + hours(24 * 365 * 5));
  }
  return e;
}

std::string MeshTest::LocalDate(TimePoint t) {
  absl::TimeZone zone;
  absl::LoadTimeZone("Asia/Shanghai", &zone);
  return absl::FormatTime("%Y-%m-%d", absl::FromUnixMillis(ToUnixMillis(t)), zone);
}

sv1::Touchpoint MeshTest::Step(const sv1::GetJourneyResponse& j, const std::string& step) {
  for (const auto& tp : j.touchpoints()) {
    if (tp.step_id() == step) return tp;
  }
  return {};
}

sv1::GetJourneyResponse MeshTest::Journey(const std::string& customer) {
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + seconds(10));
  sv1::GetJourneyRequest req;
  req.set_customer_id(customer);
  sv1::GetJourneyResponse resp;
  auto s = scheduler_->GetJourney(&ctx, req, &resp);
  EXPECT_TRUE(s.ok()) << s.error_message();
  return resp;
}

sv1::GetJourneyResponse MeshTest::WaitUntil(
    const std::string& customer, const std::function<bool(const sv1::GetJourneyResponse&)>& ready,
    const std::string& what) {
  sv1::GetJourneyResponse j;
  if (Eventually(
          [&] {
            j = Journey(customer);
            return ready(j);
          },
          seconds(60), what, std::chrono::milliseconds(200))) {
    return j;
  }
  ADD_FAILURE() << "journey of " << customer << " not " << what << " in 60 s: " << j.DebugString();
  return j;
}

sv1::GetJourneyResponse MeshTest::WaitForSteps(const std::string& customer,
                                               const std::vector<std::string>& steps) {
  return WaitUntil(
      customer,
      [&](const sv1::GetJourneyResponse& j) {
        return std::all_of(steps.begin(), steps.end(), [&](const std::string& step) {
          return Step(j, step).status() == sv1::TOUCHPOINT_STATUS_DONE;
        });
      },
      "done with its steps");
}

sv1::GetJourneyResponse MeshTest::WaitForDone(const std::string& customer, int count) {
  return WaitUntil(
      customer,
      [count](const sv1::GetJourneyResponse& j) {
        int done = 0;
        for (const auto& tp : j.touchpoints()) done += tp.status() == sv1::TOUCHPOINT_STATUS_DONE;
        return j.touchpoints_size() == count && done == count;
      },
      "done");
}

sv1::GetJourneyResponse MeshTest::WaitForWelcome(const std::string& customer) {
  return WaitForSteps(customer, {"welcome_after_signing"});
}

void MeshTest::WritePlaybook(const std::string& text, bool signal) {
  std::ofstream(env_["MOT_MESH_PLAYBOOK"]) << text;
  if (!signal) return;
  std::ifstream pid_file(env_["MOT_MESH_PIDS"] + "/touchpoint-scheduler.pid");
  int pid = 0;
  pid_file >> pid;
  ASSERT_GT(pid, 0);
  ASSERT_EQ(::kill(pid, SIGHUP), 0);
}

std::string MeshTest::ReadPlaybook() {
  std::ifstream in(env_["MOT_MESH_PLAYBOOK"]);
  std::stringstream buf;
  buf << in.rdbuf();
  return buf.str();
}

bool MeshTest::WaitForVersion(const std::string& version) {
  const std::string series = "mot_scheduler_playbook_info{version=\"" + version + "\"}";
  return Eventually([&] { return Metric(env_["MOT_SCHEDULER_METRICS"], series) == 1; }, seconds(30),
                    "playbook " + version + " in force", std::chrono::milliseconds(200));
}

void MeshTest::Publish(const lifecycle::v1::LifecycleEvent& e) {
  ASSERT_TRUE(producer_->Publish(kLifecycleTopic, e.customer_id(), e.SerializeAsString()).ok());
}

void MeshTest::Profile(const customer::v1::CustomerProfile& p) {
  ASSERT_TRUE(producer_->Publish(kCustomerTopic, p.customer_id(), p.SerializeAsString()).ok());
  const std::string key = "mot:notification:rec:owner:" + p.customer_id();
  ASSERT_TRUE(Eventually(
      [&] {
        auto r = redis_->Command({"EXISTS", key});
        return r.ok() && r->integer == 1;
      },
      seconds(30), "the profile kept"))
      << "the profile was not kept";
}

notification::v1::SendNotificationCommand MeshTest::Command(const std::string& customer,
                                                            const std::string& marker) {
  notification::v1::SendNotificationCommand cmd;
  cmd.set_command_id(Unique("cmd-"));
  cmd.set_customer_id(customer);
  cmd.set_template_id("tier_a_second_touch");
  (*cmd.mutable_variables())["project_id"] = marker;
  return cmd;
}

std::vector<nlohmann::json> MeshTest::JsonLines(const std::string& path) {
  std::vector<nlohmann::json> out;
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    auto j = nlohmann::json::parse(line, nullptr, false);
    if (!j.is_discarded()) out.push_back(j);
  }
  return out;
}

std::vector<nlohmann::json> MeshTest::WebhookRecords() {
  return JsonLines(env_["MOT_WEBHOOK_LOG"]);
}

std::string MeshTest::RobotText(const nlohmann::json& r) {
  const auto body = r.find("body");
  if (body == r.end() || !body->is_object()) return "";
  const auto text = body->find("text");
  if (text == body->end() || !text->is_object()) return "";
  const auto content = text->find("content");
  return content != text->end() && content->is_string() ? content->get<std::string>() : "";
}

int MeshTest::WebhookMessagesMentioning(const std::string& text) {
  int n = 0;
  for (const auto& r : WebhookRecords()) {
    if (RobotText(r).find(text) != std::string::npos) ++n;
  }
  return n;
}

void MeshTest::Mesh(const std::string& verb, const std::string& name, const std::string& vars) {
  const std::string cmd = vars + "MOT_MESH_DIR='" + env_["MOT_MESH_DIR"] + "' MOT_BUILD_DIR='" +
                          env_["MOT_BUILD_DIR"] + "' '" + env_["MOT_MESH_SCRIPT"] + "' " + verb +
                          " " + name;
  ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
}

std::unique_ptr<RdKafka::KafkaConsumer> MeshTest::ReadFromStart(const std::string& topic) {
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

::testing::AssertionResult MeshTest::ReadUntil(RdKafka::KafkaConsumer& consumer,
                                               std::chrono::milliseconds timeout,
                                               const std::function<bool(RdKafka::Message&)>& done,
                                               const std::string& what) {
  return Eventually(
      [&] {
        std::unique_ptr<RdKafka::Message> m(consumer.consume(500));
        return m->err() == RdKafka::ERR_NO_ERROR && done(*m);
      },
      timeout, what, std::chrono::milliseconds(0));  // the consume waits by itself
}

std::string MeshTest::Payload(const RdKafka::Message& m) {
  return std::string(static_cast<const char*>(m.payload()), m.len());
}

std::string MeshTest::Header(RdKafka::Message& m, const std::string& key) {
  std::string value;
  if (RdKafka::Headers* headers = m.headers()) {
    for (const auto& h : headers->get_all()) {
      if (h.key() == key) value.assign(static_cast<const char*>(h.value()), h.value_size());
    }
  }
  return value;
}

std::string MeshTest::DeadLetterReason(const std::string& topic, const std::string& payload) {
  auto consumer = ReadFromStart(topic + ".dlq");
  if (!consumer) return "";
  std::string reason;
  ReadUntil(
      *consumer, seconds(30),
      [&](RdKafka::Message& m) {
        if (Payload(m) == payload) reason = Header(m, "mot-dlq-reason");
        return !reason.empty();
      },
      "the dead letter");
  consumer->close();
  return reason;
}

namespace {

// One call of `method` on the mesh's `Service` at the address in `env[address]`,
// expected to succeed (or to answer `also`): its response (empty when it did not).
template <typename Service, typename Request, typename Response>
Response Call(std::map<std::string, std::string>& env, const std::string& address,
              grpc::Status (Service::Stub::*method)(grpc::ClientContext*, const Request&,
                                                    Response*),
              const Request& req, grpc::StatusCode also = grpc::StatusCode::OK) {
  auto stub = Service::NewStub(MeshChannel(env, address));
  grpc::ClientContext ctx;
  Response resp;
  auto s = ((*stub).*method)(&ctx, req, &resp);
  EXPECT_TRUE(s.ok() || s.error_code() == also) << s.error_message();
  return resp;
}

}  // namespace

notification::v1::ListDeliveriesResponse MeshTest::Deliveries(const std::string& customer) {
  notification::v1::ListDeliveriesRequest req;
  req.set_customer_id(customer);
  return Call<notification::v1::NotificationService>(
      env_, "MOT_NOTIFICATION_ADDR", &notification::v1::NotificationService::Stub::ListDeliveries,
      req);
}

survey::v1::ListSurveyInstancesResponse MeshTest::Surveys(const std::string& customer) {
  survey::v1::ListSurveyInstancesRequest req;
  req.set_customer_id(customer);
  return Call<survey::v1::SurveyService>(
      env_, "MOT_SURVEY_ADDR", &survey::v1::SurveyService::Stub::ListSurveyInstances, req);
}

ticketing::v1::Ticket MeshTest::Ticket(const std::string& id) {
  ticketing::v1::GetTicketRequest req;
  req.set_ticket_id(id);
  return Call<ticketing::v1::TicketingService>(env_, "MOT_TICKETING_ADDR",
                                               &ticketing::v1::TicketingService::Stub::GetTicket,
                                               req, grpc::StatusCode::NOT_FOUND)
      .ticket();
}

std::vector<ticketing::v1::Ticket> MeshTest::ProjectTickets(const std::string& project) {
  ticketing::v1::ListTicketsRequest req;
  req.set_project_id(project);
  auto resp = Call<ticketing::v1::TicketingService>(
      env_, "MOT_TICKETING_ADDR", &ticketing::v1::TicketingService::Stub::ListTickets, req);
  return {resp.tickets().begin(), resp.tickets().end()};
}

std::string MeshTest::ServiceLog(const std::string& name) {
  std::ifstream in(env_["MOT_MESH_LOGS"] + "/" + name + ".log");
  std::stringstream buf;
  buf << in.rdbuf();
  return buf.str();
}

}  // namespace mot::testkit
