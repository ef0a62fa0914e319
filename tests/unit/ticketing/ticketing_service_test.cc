// The gRPC service in-process over in-memory parts: creates, changes, lists.
#include <set>
#include <thread>

#include "absl/strings/str_cat.h"
#include "fixtures.h"

namespace mot::ticketing {
namespace {

using TicketingServiceTest = WorldTest;

TEST_F(TicketingServiceTest, ValidatesRequests) {
  v1::GetTicketRequest req;
  v1::GetTicketResponse resp;
  auto s = world_.service.GetTicket(nullptr, &req, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(s.error_message(), "ticket_id is required");
  req.set_ticket_id("tk-none");
  EXPECT_EQ(world_.service.GetTicket(nullptr, &req, &resp).error_code(),
            grpc::StatusCode::NOT_FOUND);
}

TEST_F(TicketingServiceTest, ATransitionOverGrpcIsStoredAndPublishedAndARetryPublishesAgain) {
  const std::string id = Consume(RepairCommand(t0_));
  clock_.Advance(hours(1));
  v1::TransitionTicketRequest req = Acknowledgement(id);
  v1::Ticket t;
  ASSERT_TRUE(world_.service.TransitionTicket(nullptr, &req, &t).ok());
  EXPECT_EQ(t.status(), v1::TICKET_STATUS_ACKNOWLEDGED);
  // ACKNOWLEDGED, MILESTONE_MET (respond) and the owner's message.
  ASSERT_EQ(publisher_.sent.size(), 4u);
  v1::TicketEvent ack;
  ASSERT_TRUE(ack.ParseFromString(publisher_.sent[1].payload));
  EXPECT_EQ(ack.type(), v1::TICKET_EVENT_TYPE_ACKNOWLEDGED);
  EXPECT_EQ(publisher_.sent[1].topic, kTicketEventsTopic);
  EXPECT_EQ(FromProto(ack.occurred_at()), t0_ + hours(1));
  // The same request again: nothing changes, the messages go out again.
  ASSERT_TRUE(world_.service.TransitionTicket(nullptr, &req, &t).ok());
  EXPECT_EQ(t.history_size(), 1);
  EXPECT_EQ(publisher_.sent.size(), 7u);
  EXPECT_EQ(publisher_.sent[4].payload, publisher_.sent[1].payload) << "the same event";
  v1::GetTicketRequest get;
  get.set_ticket_id(t.id());
  v1::GetTicketResponse got;
  ASSERT_TRUE(world_.service.GetTicket(nullptr, &get, &got).ok());
  EXPECT_EQ(got.ticket().history_size(), 1) << "stored once";
  req.set_to(v1::TICKET_STATUS_CLOSED);
  req.set_request_id("req-2");
  auto s = world_.service.TransitionTicket(nullptr, &req, &t);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(s.error_message(),
            "the ticket is ACKNOWLEDGED; it cannot go to CLOSED (from ACKNOWLEDGED: IN_PROGRESS, "
            "WAITING_ON_OWNER, WAITING_ON_PARTS, RESOLVED)");
  req.set_ticket_id("tk-none");
  EXPECT_EQ(world_.service.TransitionTicket(nullptr, &req, &t).error_code(),
            grpc::StatusCode::NOT_FOUND);
}

TEST_F(TicketingServiceTest, AChangeRearmsTheTicketsSlaTimerAndMovesItsIndexes) {
  const std::string id = Consume(RepairCommand(t0_));
  const int partition = world_.timers.layout().PartitionOf(id);
  EXPECT_EQ(*world_.timers.DueAt(partition, id), t0_ + std::chrono::minutes(96))
      << "respond's warning";
  clock_.Advance(std::chrono::minutes(30));
  v1::TransitionTicketRequest req = Acknowledgement(id);
  v1::Ticket t;
  ASSERT_TRUE(world_.service.TransitionTicket(nullptr, &req, &t).ok());
  EXPECT_EQ(*world_.timers.DueAt(partition, id), t0_ + std::chrono::minutes(24 * 48))
      << "responded: next, plan's warning at 80 % of 24 h";
  v1::ListTicketsRequest list;
  list.set_status(v1::TICKET_STATUS_ACKNOWLEDGED);
  v1::ListTicketsResponse listed;
  ASSERT_TRUE(world_.service.ListTickets(nullptr, &list, &listed).ok());
  ASSERT_EQ(listed.tickets_size(), 1);
  EXPECT_EQ(listed.tickets(0).id(), id);
}

TEST_F(TicketingServiceTest, AnAgentSeesTheDeadlinesMoveWhileTheTicketWaits) {
  const std::string id = Consume(RepairCommand(t0_));
  clock_.Advance(std::chrono::minutes(30));
  v1::TransitionTicketRequest req;
  req.set_ticket_id(id);
  req.set_actor("agent-wang");
  req.set_to(v1::TICKET_STATUS_ACKNOWLEDGED);
  v1::Ticket t;
  ASSERT_TRUE(world_.service.TransitionTicket(nullptr, &req, &t).ok());
  req.set_to(v1::TICKET_STATUS_WAITING_ON_OWNER);
  req.set_reason("owner away until evening");
  ASSERT_TRUE(world_.service.TransitionTicket(nullptr, &req, &t).ok());
  EXPECT_FALSE(t.deadlines(2).has_due_at()) << "the fix clock stands while waiting";
  clock_.Advance(hours(5));
  req.set_to(v1::TICKET_STATUS_IN_PROGRESS);
  req.set_reason("");
  ASSERT_TRUE(world_.service.TransitionTicket(nullptr, &req, &t).ok());
  v1::GetTicketRequest get;
  get.set_ticket_id(t.id());
  v1::GetTicketResponse got;
  ASSERT_TRUE(world_.service.GetTicket(nullptr, &get, &got).ok());
  EXPECT_EQ(FromProto(got.ticket().deadlines(2).due_at()), t0_ + hours(72 + 5))
      << "fix: 72 h + 5 h waited";
}

TEST_F(TicketingServiceTest, AnAgentCreatesATicketOnceForARequest) {
  auto& service = world_.service;
  v1::CreateTicketRequest req;
  req.set_kind("complaint_major");
  req.set_customer_id("C-7");
  req.set_summary("质量投诉：外墙开裂");
  v1::Ticket t;
  EXPECT_EQ(service.Create(&req, &t).error_message(), "request_id is required");
  req.set_request_id("hotline-42");
  EXPECT_EQ(service.Create(&req, &t).error_message(), "actor is required");
  req.set_actor("agent-li");
  req.set_kind("complaint_huge");
  auto s = service.Create(&req, &t);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(s.error_message().rfind("kind is unknown", 0), 0u) << s.error_message();
  req.set_kind("complaint_major");
  ASSERT_TRUE(service.Create(&req, &t).ok());
  EXPECT_EQ(t.status(), v1::TICKET_STATUS_NEW);
  ASSERT_EQ(t.deadlines_size(), 3);
  EXPECT_EQ(FromProto(t.deadlines(0).due_at()) - t0_, hours(1)) << "manager on site within 1 h";
  ASSERT_EQ(t.history_size(), 1);
  EXPECT_EQ(t.history(0).actor(), "agent-li");
  v1::Ticket again;
  clock_.Advance(hours(1));
  ASSERT_TRUE(service.Create(&req, &again).ok());
  EXPECT_EQ(again.id(), t.id()) << "one ticket per request";
  EXPECT_EQ(FromProto(again.opened_at()), t0_) << "as first stored";
  v1::ListTicketsRequest list;
  list.set_customer_id("C-7");
  v1::ListTicketsResponse listed;
  ASSERT_TRUE(service.ListTickets(nullptr, &list, &listed).ok());
  EXPECT_EQ(listed.tickets_size(), 1);
  ASSERT_EQ(publisher_.sent.size(), 2u) << "the OPENED event, again on the retry";
  v1::TicketEvent e;
  ASSERT_TRUE(e.ParseFromString(publisher_.sent[0].payload));
  EXPECT_EQ(e.type(), v1::TICKET_EVENT_TYPE_OPENED);
}

// requested_at 9999-12-31 would open a ticket whose clocks never run: refused, naming
// the field (command_consumer_test: by the topic).
TEST_F(TicketingServiceTest, ARequestedAtFarFromNowIsRefusedNamingTheField) {
  v1::CreateTicketRequest req;
  req.set_request_id("hotline-far");
  req.set_actor("agent-li");
  req.set_kind("repair");
  req.set_customer_id("C-8");
  req.mutable_requested_at()->set_seconds(253402214400);
  v1::Ticket t;
  auto refused = world_.service.Create(&req, &t);
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(refused.error_message(), "requested_at 9999-12-31T00:00:00Z is too far in the future");
  EXPECT_TRUE(world_.store.ListRecent(10)->empty());
}

TEST_F(DeskTest, TeamsComeFromTheRulesAndAgentsReassignAndTakeNotes) {
  EXPECT_EQ(Create("repair", "C-1", "P-1", "plumbing").team(), "engineering_water_power");
  EXPECT_EQ(Create("repair", "C-1", "P-1").team(), "engineering_civil");
  EXPECT_EQ(Create("complaint_general", "C-1", "P-1").team(), "customer_service");
  const v1::Ticket t = Create("complaint_general", "C-2", "P-1", "property_service");
  EXPECT_EQ(t.team(), "property_service");
  v1::AssignTicketRequest req;
  req.set_ticket_id(t.id());
  req.set_actor("manager-zhao");
  req.set_request_id("as-1");
  v1::Ticket out;
  EXPECT_EQ(service_.AssignTicket(nullptr, &req, &out).error_message(),
            "team or assignee is required");
  req.set_team("night_shift");
  EXPECT_EQ(service_.AssignTicket(nullptr, &req, &out).error_message(),
            "team is not one of the configured teams");
  req.set_team("customer_service");
  req.set_assignee("agent-chen");
  req.set_reason("needs the complaint desk");
  ASSERT_TRUE(service_.AssignTicket(nullptr, &req, &out).ok());
  EXPECT_EQ(out.team(), "customer_service");
  EXPECT_EQ(out.assignee(), "agent-chen");
  const auto& change = out.history(out.history_size() - 1);
  EXPECT_EQ(change.actor(), "manager-zhao");
  EXPECT_EQ(change.to_assignee(), "agent-chen");
  EXPECT_EQ(EventTypes().back(), v1::TICKET_EVENT_TYPE_ASSIGNED);
  ASSERT_TRUE(service_.AssignTicket(nullptr, &req, &out).ok());
  EXPECT_EQ(out.history_size(), 2) << "the same request again changes nothing";

  v1::AddNoteRequest note;
  note.set_ticket_id(t.id());
  note.set_author("agent-chen");
  note.set_request_id("nt-1");
  EXPECT_EQ(service_.AddNote(nullptr, &note, &out).error_message(), "text is required");
  note.set_text("已电话联系业主，约定明早上门");
  ASSERT_TRUE(service_.AddNote(nullptr, &note, &out).ok());
  ASSERT_TRUE(service_.AddNote(nullptr, &note, &out).ok());
  ASSERT_EQ(out.notes_size(), 1);
  EXPECT_EQ(out.notes(0).author(), "agent-chen");
  EXPECT_EQ(EventTypes().back(), v1::TICKET_EVENT_TYPE_NOTE_ADDED);
  // Filtered by assignee, from its index.
  v1::ListTicketsRequest list;
  list.set_assignee("agent-chen");
  EXPECT_EQ(List(list), (std::vector<std::string>{t.summary()}));
}

TEST_F(DeskTest, ListsAreFilteredFromIndexesAndPagedWithTokens) {
  for (int i = 0; i < 4; ++i) Create("repair", "C-" + std::to_string(i), "P-1");  // 问题1..4
  Create("complaint_general", "C-9", "P-1");                                      // 问题5
  Create("repair", "C-8", "P-2");                                                 // 问题6
  v1::ListTicketsRequest req;
  req.set_project_id("P-1");
  std::string token;
  EXPECT_EQ(List(req, &token), (std::vector<std::string>{"问题5", "问题4", "问题3"}))
      << "newest first";
  ASSERT_FALSE(token.empty());
  req.set_page_token(token);
  EXPECT_EQ(List(req, &token), (std::vector<std::string>{"问题2", "问题1"}));
  EXPECT_TRUE(token.empty()) << "the last page";
  // Two filters: the index of one, the other checked on each ticket.
  req.clear_page_token();
  req.set_kind("repair");
  std::vector<std::string> all;
  do {
    for (auto& s : List(req, &token)) all.push_back(s);
    req.set_page_token(token);
  } while (!token.empty());
  EXPECT_EQ(all, (std::vector<std::string>{"问题4", "问题3", "问题2", "问题1"}));
  // By status: a moved ticket leaves NEW's index and joins ACKNOWLEDGED's.
  const auto first = List([] {
    v1::ListTicketsRequest r;
    r.set_kind("complaint_general");
    return r;
  }());
  ASSERT_EQ(first.size(), 1u);
  v1::ListTicketsRequest by_kind;
  by_kind.set_kind("repair");
  by_kind.set_project_id("P-2");
  const auto repairs = Tickets(by_kind);
  ASSERT_EQ(repairs.size(), 1u);
  ASSERT_TRUE(Move(repairs[0].id(), v1::TICKET_STATUS_ACKNOWLEDGED).ok());
  v1::ListTicketsRequest acked;
  acked.set_status(v1::TICKET_STATUS_ACKNOWLEDGED);
  EXPECT_EQ(List(acked), (std::vector<std::string>{"问题6"}));
  v1::ListTicketsRequest fresh;
  fresh.set_status(v1::TICKET_STATUS_NEW);
  fresh.set_project_id("P-2");
  EXPECT_TRUE(List(fresh).empty());
  // Bad tokens are named.
  req.set_page_token("tomorrow");
  v1::ListTicketsResponse bad;
  EXPECT_EQ(service_.ListTickets(nullptr, &req, &bad).error_message(),
            "page_token is not one this service gave out");
}

TEST_F(DeskTest, ARepeatComplaintIsLinkedWithinTheWindowOnly) {
  const auto first = Create("complaint_general", "C-1", "P-1", "property_service");
  const auto again = Create("complaint_general", "C-1", "P-1", "property_service");
  EXPECT_EQ(again.repeat_of(), first.id());
  EXPECT_EQ(EventTypes().back(), v1::TICKET_EVENT_TYPE_REPEAT_LINKED);
  EXPECT_TRUE(Create("complaint_general", "C-1", "P-1", "plumbing").repeat_of().empty())
      << "another category";
  EXPECT_TRUE(
      Create("complaint_general", "C-1", "P-1", "property_service", "", "U-2").repeat_of().empty())
      << "another unit";
  EXPECT_TRUE(Create("complaint_general", "C-2", "P-1", "property_service").repeat_of().empty())
      << "another owner";
  clock_.Advance(hours(24 * 91));
  EXPECT_TRUE(Create("complaint_general", "C-1", "P-1", "property_service").repeat_of().empty())
      << "outside the 90 days";
}

TEST_F(DeskTest, ASeverityChangeOverGrpcIsRecordedAndPublished) {
  const auto t = Create("complaint_general", "C-1", "P-1");
  v1::ReclassifyTicketRequest req;
  req.set_ticket_id(t.id());
  req.set_kind("complaint_major");
  req.set_actor("manager-zhao");
  req.set_reason("structural crack");
  req.set_request_id("rc-1");
  v1::Ticket out;
  ASSERT_TRUE(service_.ReclassifyTicket(nullptr, &req, &out).ok());
  EXPECT_EQ(out.kind(), "complaint_major");
  ASSERT_EQ(out.deadlines_size(), 3) << "the major ladder's deadlines";
  EXPECT_EQ(EventTypes().back(), v1::TICKET_EVENT_TYPE_RECLASSIFIED);
  v1::ListTicketsRequest list;
  list.set_kind("complaint_major");
  EXPECT_EQ(List(list), (std::vector<std::string>{t.summary()})) << "moved to the new kind's index";
}

// Agents creating at once are opened together (one commit for those that arrive while
// another is out): every request gets its one ticket, a request sent twice at once
// still one, every call its OPENED event.
TEST_F(DeskTest, AgentsCreatingAtOnceEachGetTheirOneTicket) {
  constexpr int kAgents = 8, kEach = 25;
  std::vector<std::vector<std::string>> ids(kAgents);
  std::vector<std::thread> agents;
  for (int a = 0; a < kAgents; ++a) {
    agents.emplace_back([&, a] {
      for (int i = 0; i < kEach; ++i) {
        v1::CreateTicketRequest req;
        req.set_request_id(absl::StrCat("rq-", a / 2, "-", i));  // two agents send each
        req.set_actor(absl::StrCat("agent-", a));
        req.set_kind("repair");
        req.set_customer_id(absl::StrCat("C-", a / 2));
        req.set_project_id("P-1");
        req.set_summary("报修");
        v1::Ticket t;
        auto s = service_.Create(&req, &t);
        EXPECT_TRUE(s.ok()) << s.error_message();
        ids[a].push_back(t.id());
      }
    });
  }
  for (auto& t : agents) t.join();
  std::set<std::string> distinct;
  for (int a = 0; a < kAgents; ++a) {
    ASSERT_EQ(ids[a].size(), size_t{kEach});
    if (a % 2 == 1) {
      EXPECT_EQ(ids[a], ids[a - 1]) << "the same request, the same ticket";
    }
    distinct.insert(ids[a].begin(), ids[a].end());
  }
  EXPECT_EQ(distinct.size(), size_t{kAgents / 2 * kEach});
  EXPECT_EQ(world_.store.ListRecent(1000)->size(), size_t{kAgents / 2 * kEach})
      << "stored once each";
  EXPECT_EQ(EventTypes().size(), size_t{kAgents * kEach}) << "an OPENED event for every call";
  v1::ListTicketsRequest list;
  list.set_project_id("P-1");
  list.set_page_size(3);
  std::string token;
  EXPECT_EQ(List(list, &token).size(), 3u);
  EXPECT_FALSE(token.empty()) << "indexed";
}

TEST_F(DeskTest, AnExportAnswersEveryTicketOfTheOwnerAndWhenEachClosedOneGoes) {
  v1::ExportCustomerRequest req;
  v1::ExportCustomerResponse resp;
  auto s = service_.ExportCustomer(nullptr, &req, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(s.error_message(), "customer_id is required");
  const v1::Ticket open = Create("repair", "C-5", "P-1");
  ASSERT_TRUE(Note(open.id(), "业主说下午在家").ok());
  const v1::Ticket done = Create("complaint_general", "C-5", "P-2");
  ASSERT_TRUE(Move(done.id(), v1::TICKET_STATUS_ACKNOWLEDGED).ok());
  ASSERT_TRUE(Move(done.id(), v1::TICKET_STATUS_RESOLVED).ok());
  const TimePoint closed_at = clock_.Now();
  ASSERT_TRUE(Move(done.id(), v1::TICKET_STATUS_CLOSED).ok());
  Create("repair", "C-6", "P-1");  // another owner's
  req.set_customer_id("C-5");
  ASSERT_TRUE(service_.ExportCustomer(nullptr, &req, &resp).ok());
  ASSERT_EQ(resp.tickets_size(), 2) << "the owner's, not another's";
  EXPECT_EQ(resp.tickets(0).id(), open.id()) << "oldest first";
  EXPECT_EQ(resp.tickets(0).summary(), open.summary());
  ASSERT_EQ(resp.tickets(0).notes_size(), 1);
  EXPECT_EQ(resp.tickets(0).notes(0).text(), "业主说下午在家");
  EXPECT_EQ(resp.tickets(1).id(), done.id());
  EXPECT_EQ(resp.tickets(1).status(), v1::TICKET_STATUS_CLOSED);
  EXPECT_EQ(resp.tickets(1).deadlines_size(), done.deadlines_size());
  ASSERT_EQ(resp.retained_until_size(), 1) << "only the closed one has an end";
  EXPECT_EQ(FromProto(resp.retained_until().at(done.id())), closed_at + hours(24 * 365 * 5));
  req.set_customer_id("C-none");
  v1::ExportCustomerResponse none;
  ASSERT_TRUE(service_.ExportCustomer(nullptr, &req, &none).ok());
  EXPECT_EQ(none.tickets_size(), 0) << "an owner with no tickets has an empty export";
}

}  // namespace
}  // namespace mot::ticketing
