// OpenTicketCommand consumed: one ticket per command, its event again on a redelivery,
// its SLA timer armed and its indexes joined.
#include "fixtures.h"
#include "mot/common/codec.h"
#include "ticketing/domain/ticket_index.h"

namespace mot::ticketing {
namespace {

using CommandConsumerTest = WorldTest;

Incoming Command(const v1::OpenTicketCommand& cmd) {
  return testkit::Message(kTicketingCommandsTopic, cmd.SerializeAsString());
}

TEST_F(CommandConsumerTest, RedeliveredCommandOpensOneTicketAndRepublishes) {
  const auto in = Command(RepairCommand(t0_));
  ASSERT_TRUE(world_.consumer.Handle(in, publisher_).ok());
  ASSERT_TRUE(world_.consumer.Handle(in, publisher_).ok());
  EXPECT_EQ(world_.store.ListRecent(10)->size(), 1u);
  ASSERT_EQ(publisher_.sent.size(), 2u);
  v1::TicketEvent event;
  ASSERT_TRUE(event.ParseFromString(publisher_.sent[1].payload));
  EXPECT_EQ(publisher_.sent[1].topic, kTicketEventsTopic);
  EXPECT_EQ(event.ticket().touchpoint_id(), "tp-1");
  EXPECT_EQ(event.ticket().deadlines_size(), 3);
}

TEST_F(CommandConsumerTest, ABatchOpensEachTicketOnceAndDeadLettersOnlyTheBadOne) {
  auto bad = RepairCommand(t0_);
  bad.set_kind("teleport");
  std::vector<Work> batch;
  for (const auto& cmd : {RepairCommand(t0_), bad, RepairCommand(t0_)}) {
    batch.push_back({Command(cmd), &publisher_, {}});
  }
  world_.consumer.HandleBatch(batch);
  EXPECT_TRUE(batch[0].status.ok()) << batch[0].status;
  EXPECT_TRUE(absl::IsInvalidArgument(batch[1].status)) << batch[1].status;
  EXPECT_TRUE(batch[2].status.ok()) << batch[2].status;
  EXPECT_EQ(world_.store.ListRecent(10)->size(), 1u);  // the same command twice: one ticket
  ASSERT_EQ(publisher_.sent.size(), 2u);
  v1::TicketEvent first, second;
  ASSERT_TRUE(first.ParseFromString(publisher_.sent[0].payload));
  ASSERT_TRUE(second.ParseFromString(publisher_.sent[1].payload));
  EXPECT_EQ(first.ticket().id(), second.ticket().id());
  EXPECT_EQ(second.ticket().opened_at().seconds(), first.ticket().opened_at().seconds());
}

TEST_F(CommandConsumerTest, PublishFailureIsRetryable) {
  publisher_.fail_with = absl::UnavailableError("broker down");
  auto s = world_.consumer.Handle(Command(RepairCommand(t0_)), publisher_);
  EXPECT_TRUE(absl::IsUnavailable(s));
}

TEST_F(CommandConsumerTest, AnOpenedTicketHasItsSlaTimerAndItsIndexes) {
  ASSERT_TRUE(world_.consumer.Handle(Command(RepairCommand(t0_)), publisher_).ok());
  const std::string id = TicketIdFor("tp-1");
  const int partition = world_.timers.layout().PartitionOf(id);
  ASSERT_TRUE(world_.timers.DueAt(partition, id).has_value());
  EXPECT_EQ(*world_.timers.DueAt(partition, id), t0_ + std::chrono::minutes(96))
      << "80 % of the 2 h to respond";
  auto open = world_.index.RevRange(index::Open("repair"), INT64_MAX, INT64_MIN, 0, 10);
  ASSERT_TRUE(open.ok());
  ASSERT_EQ(open->size(), 1u);
  EXPECT_EQ((*open)[0].first, id);
}

// requested_at 9999-12-31 would open a ticket whose clocks never run; 1900 one breached
// a century ago: both refused, naming the field (ticketing_service_test: by the API).
TEST_F(CommandConsumerTest, ARequestedAtFarFromNowIsRefusedNamingTheField) {
  for (int64_t seconds : {int64_t{253402214400}, int64_t{-2208988800}}) {
    auto cmd = RepairCommand(t0_);
    cmd.mutable_requested_at()->set_seconds(seconds);
    auto s = world_.consumer.Handle(Command(cmd), publisher_);
    EXPECT_TRUE(absl::IsInvalidArgument(s)) << s;
    EXPECT_EQ(std::string(s.message()).rfind("requested_at ", 0), 0u) << s;
    EXPECT_NE(std::string(s.message()).find("is too far in the"), std::string::npos) << s;
  }
  auto cmd = RepairCommand(t0_);
  cmd.mutable_requested_at()->set_nanos(-1);
  EXPECT_EQ(world_.consumer.Handle(Command(cmd), publisher_).message(),
            "requested_at is not a valid time");
  EXPECT_TRUE(world_.store.ListRecent(10)->empty());
  ASSERT_TRUE(world_.consumer.Handle(Command(RepairCommand(t0_)), publisher_).ok())
      << "a time within the window opens";
}

}  // namespace
}  // namespace mot::ticketing
