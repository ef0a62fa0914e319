// The owner consumer: customer_forgotten erases the owner's free text from every
// ticket; the tickets' facts stay.
#include "ticketing/app/owner_consumer.h"

#include <string>
#include <vector>

#include "fixtures.h"
#include "mot/lifecycle/v1/event.pb.h"
#include "ticketing/domain/erasure.h"

namespace mot::ticketing {
namespace {

Work At(const std::string& payload, Publisher* out) {
  return Work{testkit::Message(kLifecycleTopic, payload), out, {}};
}

std::string Event(const std::string& type, const std::string& customer) {
  lifecycle::v1::LifecycleEvent e;
  e.set_event_id("ev-" + type);
  e.set_type(type);
  e.set_customer_id(customer);
  return e.SerializeAsString();
}

// Every stored record's bytes.
std::string AllStored(testkit::MemoryRecordStore& store) {
  std::string out;
  const auto all = store.ListRecent(1000);
  EXPECT_TRUE(all.ok()) << all.status();
  for (const auto& bytes : *all) out += bytes;
  return out;
}

class OwnerConsumerTest : public DeskTest {
 protected:
  v1::Ticket CreateWith(const std::string& customer, const std::string& summary) {
    v1::CreateTicketRequest req;
    req.set_request_id("own-" + std::to_string(++n_));
    req.set_actor("agent-li");
    req.set_kind("complaint_general");
    req.set_customer_id(customer);
    req.set_project_id("P-1");
    req.set_unit_id("U-9");
    req.set_category("property_service");
    req.set_summary(summary);
    v1::Ticket t;
    EXPECT_TRUE(service_.Create(&req, &t).ok());
    clock_.Advance(std::chrono::minutes(1));
    return t;
  }
  v1::Ticket Stored(const std::string& id) {
    auto t = ProtoStore<v1::Ticket>(world_.store).Get(id);
    EXPECT_TRUE(t.ok() && t->has_value());
    return **t;
  }
  double Erasures() {
    return MetricValue(world_.registry, "mot_ticketing_erasures_total", {}).value_or(-1);
  }

  OwnerConsumer owners_{world_.store, clock_, world_.metrics};
};

TEST_F(OwnerConsumerTest, AForgottenOwnersTextIsErasedFromEveryTicketAndTheFactsStay) {
  // Text planted through every way the desk takes it.
  const v1::Ticket a = CreateWith("C-7", "PLANT-summary 物业费发票开错了");
  ASSERT_TRUE(Note(a.id(), "PLANT-note 业主周末在家").ok());
  ASSERT_TRUE(Move(a.id(), v1::TICKET_STATUS_ACKNOWLEDGED, "PLANT-ack 已联系").ok());
  ASSERT_TRUE(Move(a.id(), v1::TICKET_STATUS_WAITING_ON_OWNER, "PLANT-wait 业主出差").ok());
  v1::AssignTicketRequest assign;
  assign.set_ticket_id(a.id());
  assign.set_assignee("agent-chen");
  assign.set_actor("manager-zhao");
  assign.set_reason("PLANT-assign 需要投诉组");
  assign.set_request_id("as-1");
  v1::Ticket out;
  ASSERT_TRUE(service_.AssignTicket(nullptr, &assign, &out).ok());
  const v1::Ticket b = CreateWith("C-7", "PLANT-second 电梯噪音");
  ASSERT_TRUE(Move(b.id(), v1::TICKET_STATUS_ACKNOWLEDGED).ok());
  ASSERT_TRUE(Move(b.id(), v1::TICKET_STATUS_RESOLVED, "PLANT-resolved 更换了轴承").ok());
  ASSERT_TRUE(Move(b.id(), v1::TICKET_STATUS_CLOSED).ok());
  const v1::Ticket other = CreateWith("C-8", "KEEP-other 另一位业主");
  const v1::Ticket a_before = Stored(a.id()), b_before = Stored(b.id()),
                   other_before = Stored(other.id());
  ASSERT_NE(AllStored(world_.store).find("PLANT-"), std::string::npos);
  const auto b_expiry = world_.store.ExpiresAt(b.id());
  ASSERT_TRUE(b_expiry.has_value());
  EXPECT_EQ(Erasures(), 0) << "made at start";

  clock_.Advance(hours(1));
  std::vector<Work> batch = {At(Event("customer_forgotten", "C-7"), &publisher_)};
  owners_.HandleBatch(batch);
  ASSERT_TRUE(batch[0].status.ok()) << batch[0].status;

  const std::string stored = AllStored(world_.store);
  EXPECT_EQ(stored.find("PLANT-"), std::string::npos) << "no planted text is left anywhere";
  EXPECT_NE(stored.find("KEEP-other"), std::string::npos) << "another owner's ticket stays";
  EXPECT_EQ(Stored(other.id()).SerializeAsString(), other_before.SerializeAsString());
  EXPECT_EQ(Erasures(), 2);
  for (const auto& [before, after] :
       {std::pair{a_before, Stored(a.id())}, std::pair{b_before, Stored(b.id())}}) {
    EXPECT_EQ(after.summary(), kErased);
    for (const auto& n : after.notes()) EXPECT_EQ(n.text(), kErased);
    EXPECT_EQ(after.kind(), before.kind());
    EXPECT_EQ(after.customer_id(), before.customer_id());
    EXPECT_EQ(after.project_id(), before.project_id());
    EXPECT_EQ(after.unit_id(), before.unit_id());
    EXPECT_EQ(after.category(), before.category());
    EXPECT_EQ(after.status(), before.status());
    EXPECT_EQ(after.team(), before.team());
    EXPECT_EQ(after.assignee(), before.assignee());
    EXPECT_EQ(after.opened_at().SerializeAsString(), before.opened_at().SerializeAsString());
    EXPECT_EQ(after.deadlines().size(), before.deadlines().size());
    for (int i = 0; i < before.deadlines_size(); ++i) {
      EXPECT_EQ(after.deadlines(i).SerializeAsString(), before.deadlines(i).SerializeAsString());
    }
    ASSERT_EQ(after.history_size(), before.history_size() + 1);
    for (int i = 0; i < before.history_size(); ++i) {
      EXPECT_EQ(after.history(i).from(), before.history(i).from());
      EXPECT_EQ(after.history(i).to(), before.history(i).to());
      EXPECT_EQ(after.history(i).actor(), before.history(i).actor());
      EXPECT_EQ(after.history(i).at().SerializeAsString(),
                before.history(i).at().SerializeAsString());
    }
    const auto& entry = after.history(after.history_size() - 1);
    EXPECT_EQ(entry.reason(), "text erased: the owner was forgotten");
    EXPECT_EQ(FromProto(entry.at()), clock_.Now());
  }
  EXPECT_EQ(world_.store.ExpiresAt(b.id()), b_expiry) << "the retention stays";
  // What the desk answers.
  v1::GetTicketRequest get;
  get.set_ticket_id(a.id());
  v1::GetTicketResponse got;
  ASSERT_TRUE(service_.GetTicket(nullptr, &get, &got).ok());
  EXPECT_EQ(got.ticket().summary(), kErased);

  // Delivered again: nothing changes, nothing is counted.
  const std::string once = AllStored(world_.store);
  clock_.Advance(hours(1));
  std::vector<Work> again = {At(Event("customer_forgotten", "C-7"), &publisher_)};
  owners_.HandleBatch(again);
  EXPECT_TRUE(again[0].status.ok()) << again[0].status;
  EXPECT_EQ(AllStored(world_.store), once);
  EXPECT_EQ(Erasures(), 2);
}

TEST_F(OwnerConsumerTest, OtherEventsAndUndecodableOnesPassAndANamelessOneIsRefused) {
  const v1::Ticket a = CreateWith("C-7", "PLANT-summary");
  const std::string before = AllStored(world_.store);
  const size_t sent = publisher_.sent.size();
  std::vector<Work> batch = {At(Event("handover", "C-7"), &publisher_),
                             At("\xff\xfe not an event", &publisher_),
                             At(Event("customer_forgotten", ""), &publisher_),
                             At(Event("repair_requested", "C-7"), &publisher_)};
  owners_.HandleBatch(batch);
  EXPECT_TRUE(batch[0].status.ok()) << batch[0].status;
  EXPECT_TRUE(batch[1].status.ok()) << "the scheduler dead-letters it: " << batch[1].status;
  EXPECT_TRUE(absl::IsInvalidArgument(batch[2].status));
  EXPECT_EQ(batch[2].status.message(), "customer_id is required");
  EXPECT_TRUE(batch[3].status.ok()) << batch[3].status;
  EXPECT_EQ(AllStored(world_.store), before);
  EXPECT_EQ(publisher_.sent.size(), sent) << "an erasure publishes nothing";
  EXPECT_EQ(Erasures(), 0);
}

// A store whose ticket gets a note from an agent while it is being erased: the first
// compare and set fails.
class ChangingStore : public testkit::MemoryRecordStore {
 public:
  absl::StatusOr<bool> Replace(const std::string& id, const std::string& expected,
                               const std::string& bytes) override {
    if (!changed_) {
      changed_ = true;
      v1::Ticket t;
      t.ParseFromString(**Get(id));
      t.add_notes()->set_text("PLANT-meanwhile");
      if (auto s = Put(id, t.SerializeAsString()); !s.ok()) return s;
    }
    return MemoryRecordStore::Replace(id, expected, bytes);
  }

 private:
  bool changed_ = false;
};

TEST_F(OwnerConsumerTest, ATicketChangedWhileBeingErasedIsReadAgainAndErased) {
  ChangingStore store;
  v1::Ticket t;
  t.set_id("tk-1");
  t.set_customer_id("C-7");
  t.set_summary("PLANT-summary");
  ASSERT_TRUE(*store.Insert("tk-1", "C-7", 1, t.SerializeAsString()));
  OwnerConsumer owners(store, clock_, world_.metrics);
  std::vector<Work> batch = {At(Event("customer_forgotten", "C-7"), &publisher_)};
  owners.HandleBatch(batch);
  ASSERT_TRUE(batch[0].status.ok()) << batch[0].status;
  EXPECT_EQ(AllStored(store).find("PLANT-"), std::string::npos);
  EXPECT_EQ(Erasures(), 1);
}

}  // namespace
}  // namespace mot::ticketing
