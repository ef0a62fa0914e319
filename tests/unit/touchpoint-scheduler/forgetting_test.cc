// customer_forgotten in the scheduler: the journey ends, the record is erased, a
// tombstone refuses the owner's later events until a newer profile brings them back.
#include "scheduler_app_fixture.h"
#include "touchpoint-scheduler/app/profile_consumer.h"
#include "touchpoint-scheduler/app/scheduler_service.h"

namespace mot::scheduler {
namespace {

using std::chrono::hours;

class ForgettingTest : public SchedulerAppTest {
 protected:
  // A profile of C-1 with a birthday and a segment, updated at `updated` (none: unset).
  void KeepProfile(std::optional<TimePoint> updated) {
    customer::v1::CustomerProfile p;
    p.set_customer_id("C-1");
    p.set_tier("B");
    p.set_segment("elderly");
    p.set_birth_month(3);
    p.set_birth_day(14);
    if (updated) *p.mutable_updated_at() = ToProto(*updated);
    std::vector<Work> batch;
    NoPublisher none;
    batch.push_back({testkit::Message(kCustomerTopic, p.SerializeAsString()), &none, {}});
    ProfileHandler(store_, clock_, *metrics_).HandleBatch(batch);
    ASSERT_TRUE(batch[0].status.ok()) << batch[0].status;
  }
  CustomerFacts Facts() { return store_.Facts({"C-1"}, playbook_.stages())->at("C-1"); }
  std::vector<v1::Touchpoint> Journey() { return *store_.Journey("C-1"); }
  int Count(v1::TouchpointStatus status) {
    int n = 0;
    for (const auto& tp : Journey()) n += tp.status() == status;
    return n;
  }
};

TEST_F(ForgettingTest, TheJourneyEndsAndTheRecordIsErased) {
  KeepProfile(kNow - hours(24));
  ASSERT_TRUE(handler_.Handle(EventMessage("handover", kNow - hours(1)), publisher_).ok());
  const int scheduled = Count(v1::TOUCHPOINT_STATUS_SCHEDULED);
  ASSERT_GT(scheduled, 10);
  ASSERT_EQ(Facts().birth_month, 3);
  const size_t sent = publisher_.sent.size();

  ASSERT_TRUE(handler_.Handle(EventMessage("customer_forgotten", kNow), publisher_).ok());
  EXPECT_EQ(Count(v1::TOUCHPOINT_STATUS_SCHEDULED), 0);
  EXPECT_EQ(Count(v1::TOUCHPOINT_STATUS_CANCELLED), scheduled);
  for (const auto& tp : Journey()) {
    if (tp.status() == v1::TOUCHPOINT_STATUS_CANCELLED) EXPECT_EQ(tp.outcome(), "forgotten");
  }
  EXPECT_EQ(store_.Timers()->armed, 0) << "no timer is left to fire";
  EXPECT_EQ(publisher_.sent.size(), sent) << "nothing is sent for a forgetting";
  const CustomerFacts f = Facts();
  EXPECT_EQ(f.birth_month, 0);
  EXPECT_EQ(f.segment, "");
  EXPECT_EQ(f.tier, "");
  EXPECT_FALSE(f.handover_at.has_value());
  EXPECT_EQ(store_.Forgotten({"C-1", "C-2"})->size(), 1u);
  EXPECT_EQ(store_.Forgotten({"C-1"})->at("C-1"), kNow);
  EXPECT_EQ(metrics_->owners_forgotten->Value(), 1);
  // Redelivered: nothing more changes, the tombstone keeps its first time.
  clock_.Advance(hours(2));
  ASSERT_TRUE(
      handler_.Handle(EventMessage("customer_forgotten", kNow + hours(1)), publisher_).ok());
  EXPECT_EQ(store_.Forgotten({"C-1"})->at("C-1"), kNow);
}

TEST_F(ForgettingTest, ALaterEventIsRefusedWithTheReason) {
  ASSERT_TRUE(handler_.Handle(EventMessage("customer_forgotten", kNow), publisher_).ok());
  auto s = handler_.Handle(EventMessage("contract_signed", kNow), publisher_);
  EXPECT_TRUE(absl::IsInvalidArgument(s)) << s;
  EXPECT_NE(std::string(s.message()).find("customer_id: the owner was forgotten"),
            std::string::npos)
      << s;
  EXPECT_EQ(std::string(s.message()).find("C-1"), std::string::npos) << "no id in the reason";
  EXPECT_TRUE(store_.Journey("C-1")->empty());
  EXPECT_TRUE(publisher_.sent.empty());
  EXPECT_EQ(metrics_->events_set_aside->Value(), 1);
}

TEST_F(ForgettingTest, InOneBatchWhatComesAfterTheForgettingIsSetAside) {
  std::vector<Work> batch;
  for (const char* type : {"handover", "customer_forgotten", "repair_requested"}) {
    batch.push_back({EventMessage(type, kNow), &publisher_, {}});
  }
  handler_.HandleBatch(batch);
  EXPECT_TRUE(batch[0].status.ok()) << batch[0].status;
  EXPECT_TRUE(batch[1].status.ok()) << batch[1].status;
  EXPECT_TRUE(absl::IsInvalidArgument(batch[2].status)) << batch[2].status;
  EXPECT_EQ(Count(v1::TOUCHPOINT_STATUS_SCHEDULED), 0) << "the handover's steps are cancelled";
  for (const auto& tp : Journey()) EXPECT_NE(tp.step_id(), "repair_ticket");
  for (const auto& m : publisher_.sent) EXPECT_NE(m.topic, kTicketingCommandsTopic);
}

TEST_F(ForgettingTest, ATriggerFromAnotherServiceIsDroppedNotRefused) {
  ASSERT_TRUE(handler_.Handle(EventMessage("customer_forgotten", kNow), publisher_).ok());
  lifecycle::v1::LifecycleEvent e;
  ASSERT_TRUE(e.ParseFromString(EventMessage("repair_requested", kNow).payload));
  std::vector<std::pair<size_t, lifecycle::v1::LifecycleEvent>> events{{0, e}};
  std::vector<Work> batch{{EventMessage("repair_requested", kNow), &publisher_, {}}};
  handler_.HandleEvents(playbook_, events, batch, kNow, LifecycleHandler::OfForgotten::kDrop);
  EXPECT_TRUE(batch[0].status.ok()) << batch[0].status;
  EXPECT_TRUE(store_.Journey("C-1")->empty());
}

TEST_F(ForgettingTest, AProfileUpdatedSinceBringsTheOwnerBack) {
  ASSERT_TRUE(handler_.Handle(EventMessage("customer_forgotten", kNow), publisher_).ok());
  KeepProfile(kNow - hours(1));  // older than the forgetting: a late copy, ignored
  EXPECT_EQ(Facts().birth_month, 0);
  KeepProfile(std::nullopt);  // no updated_at: speaks for its arrival, the same instant
  EXPECT_EQ(Facts().birth_month, 0);
  EXPECT_EQ(store_.Forgotten({"C-1"})->size(), 1u);

  KeepProfile(kNow + hours(1));  // they came back
  EXPECT_EQ(Facts().birth_month, 3);
  EXPECT_TRUE(store_.Forgotten({"C-1"})->empty());
  ASSERT_TRUE(handler_.Handle(EventMessage("contract_signed", kNow), publisher_).ok());
  EXPECT_GT(Count(v1::TOUCHPOINT_STATUS_SCHEDULED), 0);
}

TEST_F(ForgettingTest, AProfileWithoutUpdatedAtCountsFromItsArrival) {
  ASSERT_TRUE(handler_.Handle(EventMessage("customer_forgotten", kNow), publisher_).ok());
  clock_.Advance(hours(1));
  KeepProfile(std::nullopt);
  EXPECT_EQ(Facts().segment, "elderly");
  EXPECT_TRUE(store_.Forgotten({"C-1"})->empty());
}

TEST_F(ForgettingTest, TheExportShowsTheRecordInClearThenOnlyTheTombstone) {
  KeepProfile(kNow - hours(24));
  ASSERT_TRUE(handler_.Handle(EventMessage("handover", kNow - hours(1)), publisher_).ok());
  SchedulerGrpc grpc(live_, store_, publisher_, clock_, PlanningLimits{}, *metrics_, 100);
  grpc::ServerContext ctx;
  v1::ExportCustomerRequest req;
  v1::ExportCustomerResponse out;
  auto s = grpc.ExportCustomer(&ctx, &req, &out);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(s.error_message(), "customer_id is required");

  req.set_customer_id("C-1");
  ASSERT_TRUE(grpc.ExportCustomer(&ctx, &req, &out).ok());
  EXPECT_EQ(out.segment(), "elderly");
  EXPECT_EQ(out.birth_month(), 3);
  EXPECT_EQ(out.birth_day(), 14);
  EXPECT_EQ(FromProto(out.handover_at()), kNow - hours(1));
  EXPECT_EQ(out.touchpoints_size(), 15);
  EXPECT_FALSE(out.has_forgotten_at());

  ASSERT_TRUE(handler_.Handle(EventMessage("customer_forgotten", kNow), publisher_).ok());
  out.Clear();
  ASSERT_TRUE(grpc.ExportCustomer(&ctx, &req, &out).ok());
  EXPECT_EQ(out.segment(), "");
  EXPECT_EQ(out.tier(), "");
  EXPECT_EQ(out.birth_month(), 0);
  EXPECT_FALSE(out.has_handover_at());
  EXPECT_EQ(out.project_id(), "");
  EXPECT_EQ(FromProto(out.forgotten_at()), kNow);
  EXPECT_EQ(out.touchpoints_size(), 15) << "the journey stays, with no personal data";
}

}  // namespace
}  // namespace mot::scheduler
