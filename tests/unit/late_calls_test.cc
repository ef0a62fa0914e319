// Deadlines honoured: a call whose deadline passes before its handler runs (it waited
// for a thread, or crossed a slow network) does no work and changes nothing. Every RPC
// of the four services is called in process (no network) through an interceptor that
// holds each call until its deadline has passed, as a busy server would.
#include <chrono>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/escaping.h"
#include "fake_journey_store.h"
#include "fakes.h"
#include "google/protobuf/descriptor.h"
#include "grpcpp/generic/generic_stub.h"
#include "grpcpp/grpcpp.h"
#include "grpcpp/support/server_interceptor.h"
#include "gtest/gtest.h"
#include "memory_record_store.h"
#include "mot/common/gate.h"
#include "mot/common/served.h"
#include "notification/app/notification_service.h"
#include "notification/app/owner_book.h"
#include "prometheus/registry.h"
#include "survey/app/survey_service.h"
#include "ticketing_world.h"
#include "touchpoint-scheduler/app/scheduler_service.h"

namespace mot {
namespace {

using namespace std::chrono_literals;

// Holds every call, once its request is read, until its deadline has passed.
class HoldUntilLate : public grpc::experimental::Interceptor {
 public:
  explicit HoldUntilLate(grpc::experimental::ServerRpcInfo* info) : info_(info) {}
  void Intercept(grpc::experimental::InterceptorBatchMethods* methods) override {
    if (methods->QueryInterceptionHookPoint(
            grpc::experimental::InterceptionHookPoints::POST_RECV_MESSAGE)) {
      const auto deadline = info_->server_context()->deadline();
      const auto give_up = std::chrono::system_clock::now() + 5s;
      while (std::chrono::system_clock::now() <= deadline &&
             std::chrono::system_clock::now() < give_up) {
        std::this_thread::sleep_for(1ms);
      }
    }
    methods->Proceed();
  }

 private:
  grpc::experimental::ServerRpcInfo* info_;
};

class HoldUntilLateFactory : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  grpc::experimental::Interceptor* CreateServerInterceptor(
      grpc::experimental::ServerRpcInfo* info) override {
    return new HoldUntilLate(info);
  }
};

std::vector<std::string> MethodsOf(const std::string& service) {
  const auto* d = google::protobuf::DescriptorPool::generated_pool()->FindServiceByName(service);
  std::vector<std::string> out;
  for (int i = 0; d != nullptr && i < d->method_count(); ++i) out.push_back(d->method(i)->name());
  return out;
}

double Refused(prometheus::Registry& registry, const std::string& method,
               const std::string& reason) {
  for (const auto& family : registry.Collect()) {
    if (family.name != "mot_grpc_refusals_total") continue;
    for (const auto& m : family.metric) {
      std::map<std::string, std::string> labels;
      for (const auto& l : m.label) labels[l.name] = l.value;
      if (labels["method"] == method && labels["reason"] == reason) return m.counter.value;
    }
  }
  return 0;
}

class LateCallsTest : public ::testing::Test {
 protected:
  const TimePoint now_ = FromUnixMillis(1'793'520'000'000);
  testkit::ManualClock clock_{now_};
  testkit::FakePublisher publisher_;
  prometheus::Registry registry_;
  // Scheduler
  scheduler::Playbook playbook_ =
      *scheduler::Playbook::FromYaml(testkit::ShippedConfig("playbook.yaml"));
  scheduler::LivePlaybook live_{playbook_};
  testkit::FakeJourneyStore journeys_;
  prometheus::Registry scheduler_registry_;
  std::unique_ptr<scheduler::SchedulerMetrics> scheduler_metrics_ =
      scheduler::MakeSchedulerMetrics(scheduler_registry_, playbook_);
  scheduler::SchedulerGrpc scheduler_{
      live_, journeys_, publisher_, clock_, scheduler::PlanningLimits{}, *scheduler_metrics_, 100};
  // Ticketing, wired over in-memory parts.
  testkit::TicketingWorld ticketing_world_{clock_, publisher_};
  testkit::MemoryRecordStore& tickets_ = ticketing_world_.store;
  ticketing::TicketingService& ticketing_ = ticketing_world_.service;
  // Notification
  notification::TemplateSet templates_ =
      *notification::TemplateSet::FromYaml(testkit::ShippedConfig("templates.yaml"));
  notification::Routing routing_ =
      *notification::Routing::FromYaml(testkit::ShippedConfig("channels.yaml"));
  notification::ContactVault vault_ =
      *notification::ContactVault::FromSpec("k1:" + absl::Base64Escape(std::string(32, 'k')));
  testkit::MemoryRecordStore deliveries_;
  notification::OwnerBook owners_{deliveries_, vault_};
  notification::OwnerExport exporter_{
      {owners_, deliveries_, templates_, std::chrono::hours(24 * 365 * 5)}};
  notification::NotificationGrpc notification_{
      {deliveries_, 10, templates_, routing_, owners_, publisher_, exporter_}};
  // Survey: its Redis is never reached (nothing is done for a late call); port 1 refuses.
  survey::SurveyCatalogue catalogue_ =
      *survey::SurveyCatalogue::FromYaml(testkit::ShippedConfig("surveys.yaml"));
  RedisClient redis_{"127.0.0.1", 1, "", 200ms};
  RedisRecordStore answers_{redis_, "survey"};
  survey::KpiCounter kpi_{redis_};
  survey::Responses responses_{{answers_, redis_, catalogue_, publisher_, clock_, 24h}};
  survey::SurveyGrpc survey_{{responses_, answers_, redis_, catalogue_, 10, kpi_, 10, 24h}};

  const std::vector<std::pair<std::string, ServedMethods*>> services_ = {
      {"mot.scheduler.v1.SchedulerService", &scheduler_},
      {"mot.ticketing.v1.TicketingService", &ticketing_},
      {"mot.notification.v1.NotificationService", &notification_},
      {"mot.survey.v1.SurveyService", &survey_},
  };
};

TEST_F(LateCallsTest, EveryRpcOfEveryServiceDoesNothingForACallPastItsDeadline) {
  AccessPolicy policy;
  for (const auto& [name, service] : services_) {
    for (const auto& m : MethodsOf(name)) policy["/" + name + "/" + m] = Scope::kReader;
  }
  Gate gate(GateConfig{}, policy, &registry_);  // counts the refusals
  grpc::ServerBuilder builder;
  std::vector<std::unique_ptr<DeadlineGuard>> guards;  // as Runtime::Serve registers them
  for (const auto& [name, service] : services_) {
    builder.RegisterService(guards.emplace_back(new DeadlineGuard(*service)).get());
  }
  std::vector<std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>> interceptors;
  interceptors.push_back(std::make_unique<HoldUntilLateFactory>());
  builder.experimental().SetInterceptorCreators(std::move(interceptors));
  auto server = builder.BuildAndStart();
  ASSERT_NE(server, nullptr);
  auto channel = server->InProcessChannel(grpc::ChannelArguments());
  grpc::GenericStub stub(channel);

  // A ticket, and the note a late AddNote would add to it.
  ticketing::v1::CreateTicketRequest create;
  create.set_request_id("r-1");
  create.set_actor("agent-li");
  create.set_kind("repair");
  create.set_customer_id("C-1");
  ticketing::v1::Ticket opened;
  ASSERT_TRUE(ticketing_.Create(&create, &opened).ok());
  std::map<std::string, std::string> requests;  // method -> a valid request, where it matters
  ticketing::v1::AddNoteRequest note;
  note.set_ticket_id(opened.id());
  note.set_text("called the owner back");
  note.set_author("agent-li");
  note.set_request_id("n-1");
  requests["AddNote"] = note.SerializeAsString();
  notification::v1::SetPreferencesRequest prefs;
  prefs.set_customer_id("C-1");
  prefs.mutable_preferences()->add_opted_out_channels("sms");
  requests["SetPreferences"] = prefs.SerializeAsString();
  ticketing::v1::CreateTicketRequest second = create;
  second.set_request_id("r-2");
  requests["CreateTicket"] = second.SerializeAsString();

  int called = 0;
  for (const auto& [name, service] : services_) {
    for (const auto& method : MethodsOf(name)) {
      ++called;
      grpc::ClientContext ctx;
      ctx.set_deadline(std::chrono::system_clock::now() + 30ms);
      grpc::ByteBuffer request, response;
      auto it = requests.find(method);
      grpc::Slice slice(it == requests.end() ? std::string() : it->second);
      request = grpc::ByteBuffer(&slice, 1);
      std::mutex mu;
      std::condition_variable cv;
      bool done = false;
      grpc::Status status;
      stub.UnaryCall(&ctx, "/" + name + "/" + method, grpc::StubOptions(), &request, &response,
                     [&](grpc::Status s) {
                       std::lock_guard lock(mu);
                       status = s;
                       done = true;
                       cv.notify_one();
                     });
      std::unique_lock lock(mu);
      ASSERT_TRUE(cv.wait_for(lock, 10s, [&] { return done; })) << method;
      EXPECT_EQ(status.error_code(), grpc::StatusCode::DEADLINE_EXCEEDED) << method;
      // Once the interceptor lets the call go, the guard must see the deadline and
      // count the refusal under the method's own name.
      const std::string label = name.substr(name.rfind('.') + 1) + "/" + method;
      const auto until = std::chrono::steady_clock::now() + 5s;
      while (Refused(registry_, label, "deadline") < 1 &&
             std::chrono::steady_clock::now() < until) {
        std::this_thread::sleep_for(2ms);
      }
      EXPECT_EQ(Refused(registry_, label, "deadline"), 1)
          << label << " did not check its deadline first";
    }
  }
  std::printf("late calls: %d methods called past their deadline, %g refused as late\n", called,
              [&] {
                double n = 0;
                for (const auto& [full, scope] : policy) {
                  n += Refused(registry_, full.substr(full.rfind('.') + 1), "deadline");
                }
                return n;
              }());
  EXPECT_EQ(called, 29);
  // Nothing changed: no note, no second ticket, no preferences, nothing published but
  // the first ticket's event.
  ticketing::v1::GetTicketRequest get;
  get.set_ticket_id(opened.id());
  ticketing::v1::GetTicketResponse got;
  ASSERT_TRUE(ticketing_.GetTicket(nullptr, &get, &got).ok());
  EXPECT_EQ(got.ticket().notes_size(), 0);
  EXPECT_EQ(tickets_.ListRecent(10)->size(), 1u);
  notification::v1::GetPreferencesRequest ask;
  ask.set_customer_id("C-1");
  notification::v1::GetPreferencesResponse answer;
  ASSERT_TRUE(notification_.GetPreferences(nullptr, &ask, &answer).ok());
  EXPECT_EQ(answer.preferences().opted_out_channels_size(), 0);
  EXPECT_EQ(publisher_.sent.size(), 1u);
  server->Shutdown();
}

}  // namespace
}  // namespace mot
