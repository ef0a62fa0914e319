#include "app/ticketing_app.h"
#include "domain/lifecycle.h"
#include "domain/sla_policy.h"
#include "fakes.h"
#include "gtest/gtest.h"
#include "mot/common/topics.h"
#include "memory_record_store.h"
#include "mot/common/clock.h"
#include "mot/common/codec.h"

namespace mot::ticketing {
namespace {

using std::chrono::hours;

v1::OpenTicketCommand RepairCommand(TimePoint at) {
  v1::OpenTicketCommand cmd;
  cmd.set_command_id("tp-1");
  cmd.set_touchpoint_id("tp-1");
  cmd.set_customer_id("C-1");
  cmd.set_kind("repair");
  *cmd.mutable_requested_at() = ToProto(at);
  return cmd;
}

class TicketingTest : public ::testing::Test {
 protected:
  SlaPolicy policy_ = *SlaPolicy::FromYaml(testing::ShippedConfig("sla.yaml"));
  TimePoint t0_ = FromUnixMillis(1'793'520'000'000);
};

TEST_F(TicketingTest, ShippedRepairPolicyHasTheDomainDefaults) {
  auto ticket = OpenTicket(policy_, RepairCommand(t0_));
  ASSERT_TRUE(ticket.ok()) << ticket.status();
  ASSERT_EQ(ticket->deadlines_size(), 3);
  const std::pair<const char*, hours> expected[] = {
      {"respond", hours(2)}, {"plan", hours(24)}, {"fix", hours(72)}};
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(ticket->deadlines(i).milestone(), expected[i].first);
    EXPECT_EQ(FromProto(ticket->deadlines(i).due_at()) - t0_, expected[i].second);
  }
  EXPECT_EQ(ticket->id(), TicketIdFor("tp-1"));
  EXPECT_EQ(ticket->status(), v1::TICKET_STATUS_NEW);
}

TEST_F(TicketingTest, MajorComplaintHasThreeLevels) {
  auto cmd = RepairCommand(t0_);
  cmd.set_kind("complaint_major");
  auto ticket = OpenTicket(policy_, cmd);
  ASSERT_TRUE(ticket.ok());
  ASSERT_EQ(ticket->deadlines_size(), 3);
  EXPECT_EQ(FromProto(ticket->deadlines(0).due_at()) - t0_, hours(1));
  EXPECT_EQ(FromProto(ticket->deadlines(2).due_at()) - t0_, hours(24));
}

TEST_F(TicketingTest, BadCommandsNameTheField) {
  auto cmd = RepairCommand(t0_);
  cmd.clear_customer_id();
  EXPECT_EQ(OpenTicket(policy_, cmd).status().message(), "customer_id is required");
  cmd = RepairCommand(t0_);
  cmd.set_kind("teleport");
  auto s = OpenTicket(policy_, cmd).status();
  EXPECT_TRUE(absl::IsInvalidArgument(s));
  EXPECT_NE(std::string(s.message()).find("kind 'teleport' is unknown"), std::string::npos);
  cmd = RepairCommand(t0_);
  cmd.clear_requested_at();
  EXPECT_EQ(OpenTicket(policy_, cmd).status().message(), "requested_at is required");
}

TEST(SlaPolicy, RejectsBadYaml) {
  EXPECT_FALSE(SlaPolicy::FromYaml("kinds: {}").ok());
  auto s = SlaPolicy::FromYaml("kinds: {repair: [{milestone: respond, within: soon}]}").status();
  EXPECT_NE(std::string(s.message()).find("kind 'repair'"), std::string::npos);
}

TEST_F(TicketingTest, RedeliveredCommandOpensOneTicketAndRepublishes) {
  testing::MemoryRecordStore store;
  testing::FakePublisher publisher;
  CommandHandler handler(policy_, store);
  const auto in = testing::Message(kTicketingCommandsTopic,
                                   RepairCommand(t0_).SerializeAsString());
  ASSERT_TRUE(handler.Handle(in, publisher).ok());
  ASSERT_TRUE(handler.Handle(in, publisher).ok());
  EXPECT_EQ(store.ListRecent(10)->size(), 1u);
  ASSERT_EQ(publisher.sent.size(), 2u);
  v1::TicketEvent event;
  ASSERT_TRUE(event.ParseFromString(publisher.sent[1].payload));
  EXPECT_EQ(publisher.sent[1].topic, kTicketEventsTopic);
  EXPECT_EQ(event.ticket().touchpoint_id(), "tp-1");
  EXPECT_EQ(event.ticket().deadlines_size(), 3);
}

TEST_F(TicketingTest, ABatchOpensEachTicketOnceAndDeadLettersOnlyTheBadOne) {
  testing::MemoryRecordStore store;
  testing::FakePublisher publisher;
  CommandHandler handler(policy_, store);
  auto bad = RepairCommand(t0_);
  bad.set_kind("teleport");
  std::vector<Work> batch;
  for (const auto& cmd : {RepairCommand(t0_), bad, RepairCommand(t0_)}) {
    batch.push_back(
        {testing::Message(kTicketingCommandsTopic, cmd.SerializeAsString()), &publisher, {}});
  }
  handler.HandleBatch(batch);
  EXPECT_TRUE(batch[0].status.ok()) << batch[0].status;
  EXPECT_TRUE(absl::IsInvalidArgument(batch[1].status)) << batch[1].status;
  EXPECT_TRUE(batch[2].status.ok()) << batch[2].status;
  EXPECT_EQ(store.ListRecent(10)->size(), 1u);  // the same command twice: one ticket
  ASSERT_EQ(publisher.sent.size(), 2u);
  v1::TicketEvent first, second;
  ASSERT_TRUE(first.ParseFromString(publisher.sent[0].payload));
  ASSERT_TRUE(second.ParseFromString(publisher.sent[1].payload));
  EXPECT_EQ(first.ticket().id(), second.ticket().id());
  EXPECT_EQ(second.ticket().opened_at().seconds(), first.ticket().opened_at().seconds());
}

TEST_F(TicketingTest, PublishFailureIsRetryable) {
  testing::MemoryRecordStore store;
  testing::FakePublisher publisher;
  publisher.fail_with = absl::UnavailableError("broker down");
  CommandHandler handler(policy_, store);
  auto s = handler.Handle(
      testing::Message(kTicketingCommandsTopic, RepairCommand(t0_).SerializeAsString()), publisher);
  EXPECT_TRUE(absl::IsUnavailable(s));
}

TEST(TicketingGrpc, ValidatesRequests) {
  testing::MemoryRecordStore store;
  TicketingGrpc service(store, 10);
  v1::GetTicketRequest req;
  v1::GetTicketResponse resp;
  auto s = service.GetTicket(nullptr, &req, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(s.error_message(), "ticket_id is required");
  req.set_ticket_id("tk-none");
  EXPECT_EQ(service.GetTicket(nullptr, &req, &resp).error_code(), grpc::StatusCode::NOT_FOUND);
}

// The life of a ticket: each move allowed from where it is, the others refused naming
// the current state; who, when and why recorded; a retried request changes nothing.
TEST_F(TicketingTest, ATicketMovesAlongItsLifeAndRefusesIllegalMoves) {
  v1::Ticket t = *OpenTicket(policy_, RepairCommand(t0_));
  ASSERT_EQ(t.status(), v1::TICKET_STATUS_NEW);
  bool replayed = false;
  auto move = [&](v1::TicketStatus to, const std::string& reason = "", const std::string& id = "") {
    return Transition(t, {to, "agent-wang", reason, id}, t0_ + hours(1), &replayed);
  };
  auto s = move(v1::TICKET_STATUS_RESOLVED).status();
  EXPECT_TRUE(absl::IsFailedPrecondition(s));
  EXPECT_EQ(s.message(), "the ticket is NEW; it cannot go to RESOLVED (from NEW: ACKNOWLEDGED)");
  EXPECT_EQ(Transition(t, {v1::TICKET_STATUS_ACKNOWLEDGED, "", "", ""}, t0_, &replayed).status().message(),
            "actor is required");
  EXPECT_EQ(move(v1::TICKET_STATUS_NEW).status().code(), absl::StatusCode::kInvalidArgument);
  t = *move(v1::TICKET_STATUS_ACKNOWLEDGED, "", "r1");
  EXPECT_EQ(move(v1::TICKET_STATUS_WAITING_ON_PARTS).status().message(),
            "reason is required to go to WAITING_ON_PARTS");
  t = *move(v1::TICKET_STATUS_WAITING_ON_PARTS, "valve on order", "r2");
  t = *move(v1::TICKET_STATUS_IN_PROGRESS, "", "r3");
  t = *move(v1::TICKET_STATUS_RESOLVED, "valve replaced", "r4");
  t = *move(v1::TICKET_STATUS_CLOSED, "", "r5");
  EXPECT_EQ(move(v1::TICKET_STATUS_RESOLVED).status().message(),
            "the ticket is CLOSED; it cannot go to RESOLVED (from CLOSED: REOPENED)");
  // A retry of r4 changes nothing.
  auto again = move(v1::TICKET_STATUS_RESOLVED, "valve replaced", "r4");
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(replayed);
  EXPECT_EQ(again->history_size(), 5);
  t = *move(v1::TICKET_STATUS_REOPENED, "leaks again", "r6");
  ASSERT_EQ(t.history_size(), 6);
  const auto& waiting = t.history(1);
  EXPECT_EQ(waiting.from(), v1::TICKET_STATUS_ACKNOWLEDGED);
  EXPECT_EQ(waiting.to(), v1::TICKET_STATUS_WAITING_ON_PARTS);
  EXPECT_EQ(waiting.actor(), "agent-wang");
  EXPECT_EQ(waiting.reason(), "valve on order");
  EXPECT_EQ(FromProto(waiting.at()), t0_ + hours(1));
  EXPECT_EQ(EventFor(v1::TICKET_STATUS_WAITING_ON_OWNER), v1::TICKET_EVENT_TYPE_PAUSED);
  EXPECT_EQ(EventFor(v1::TICKET_STATUS_CLOSED), v1::TICKET_EVENT_TYPE_CLOSED);
  // Every status has somewhere to go (none is a dead end but by design).
  for (auto st : {v1::TICKET_STATUS_NEW, v1::TICKET_STATUS_ACKNOWLEDGED, v1::TICKET_STATUS_IN_PROGRESS,
                  v1::TICKET_STATUS_WAITING_ON_OWNER, v1::TICKET_STATUS_WAITING_ON_PARTS,
                  v1::TICKET_STATUS_RESOLVED, v1::TICKET_STATUS_CLOSED, v1::TICKET_STATUS_REOPENED}) {
    EXPECT_FALSE(NextStatuses(st).empty()) << StatusName(st);
  }
}

TEST_F(TicketingTest, ATransitionOverGrpcIsStoredAndPublishedAndARetryPublishesAgain) {
  testing::MemoryRecordStore store;
  testing::FakePublisher publisher;
  testing::ManualClock clock(t0_ + hours(1));
  CommandHandler handler(policy_, store);
  ASSERT_TRUE(handler.Handle(testing::Message(kTicketingCommandsTopic,
                                              RepairCommand(t0_).SerializeAsString()),
                             publisher).ok());
  v1::TicketEvent opened;
  ASSERT_TRUE(opened.ParseFromString(publisher.sent.at(0).payload));
  TicketingGrpc service(store, 10, &publisher, &clock);
  v1::TransitionTicketRequest req;
  req.set_ticket_id(opened.ticket().id());
  req.set_to(v1::TICKET_STATUS_ACKNOWLEDGED);
  req.set_actor("agent-wang");
  req.set_request_id("req-1");
  v1::Ticket t;
  ASSERT_TRUE(service.TransitionTicket(nullptr, &req, &t).ok());
  EXPECT_EQ(t.status(), v1::TICKET_STATUS_ACKNOWLEDGED);
  ASSERT_EQ(publisher.sent.size(), 2u);
  v1::TicketEvent ack;
  ASSERT_TRUE(ack.ParseFromString(publisher.sent[1].payload));
  EXPECT_EQ(ack.type(), v1::TICKET_EVENT_TYPE_ACKNOWLEDGED);
  EXPECT_EQ(publisher.sent[1].topic, kTicketEventsTopic);
  EXPECT_EQ(FromProto(ack.occurred_at()), t0_ + hours(1));
  // The same request again: nothing changes, the event goes out again.
  ASSERT_TRUE(service.TransitionTicket(nullptr, &req, &t).ok());
  EXPECT_EQ(t.history_size(), 1);
  EXPECT_EQ(publisher.sent.size(), 3u);
  v1::GetTicketRequest get;
  get.set_ticket_id(t.id());
  v1::GetTicketResponse got;
  ASSERT_TRUE(service.GetTicket(nullptr, &get, &got).ok());
  EXPECT_EQ(got.ticket().history_size(), 1) << "stored once";
  req.set_to(v1::TICKET_STATUS_CLOSED);
  req.set_request_id("req-2");
  auto s = service.TransitionTicket(nullptr, &req, &t);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(s.error_message(),
            "the ticket is ACKNOWLEDGED; it cannot go to CLOSED (from ACKNOWLEDGED: IN_PROGRESS, "
            "WAITING_ON_OWNER, WAITING_ON_PARTS, RESOLVED)");
  req.set_ticket_id("tk-none");
  EXPECT_EQ(service.TransitionTicket(nullptr, &req, &t).error_code(), grpc::StatusCode::NOT_FOUND);
}

}  // namespace
}  // namespace mot::ticketing
