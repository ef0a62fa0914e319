#pragma once

// What ticketing's unit tests share: a repair command, the shipped policy at a fixed
// instant, and ticketing wired over in-memory parts (testkit::TicketingWorld).

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "fakes.h"
#include "gtest/gtest.h"
#include "metric_value.h"
#include "mot/common/clock.h"
#include "mot/common/topics.h"
#include "prometheus/registry.h"
#include "ticketing/domain/sla_policy.h"
#include "ticketing_world.h"

namespace mot::ticketing {

using std::chrono::hours;

inline v1::OpenTicketCommand RepairCommand(TimePoint at) {
  auto cmd = testkit::FromText<v1::OpenTicketCommand>(
      "command_id: 'tp-1' touchpoint_id: 'tp-1' customer_id: 'C-1' kind: 'repair'");
  *cmd.mutable_requested_at() = ToProto(at);
  return cmd;
}

class TicketingTest : public ::testing::Test {
 protected:
  SlaPolicy policy_ = *SlaPolicy::FromYaml(testkit::ShippedConfig("sla.yaml"));
  // 2026-11-01 08:00 UTC, 16:00 in Shanghai.
  TimePoint t0_ = FromUnixMillis(1'793'520'000'000);
};

// Ticketing wired as main.cc does it, over in-memory parts, its clock at t0_.
class WorldTest : public TicketingTest {
 protected:
  explicit WorldTest(testkit::TicketingWorld::Options options = {})
      : clock_(t0_), world_(clock_, publisher_, options) {}
  // The ticket `cmd` opens, consumed from the command topic: its id.
  std::string Consume(const v1::OpenTicketCommand& cmd) {
    auto s = world_.consumer.Handle(
        testkit::Message(kTicketingCommandsTopic, cmd.SerializeAsString()), publisher_);
    EXPECT_TRUE(s.ok()) << s;
    return TicketIdFor(cmd.command_id());
  }
  // Agent Wang acknowledging ticket `id` (request req-1).
  static v1::TransitionTicketRequest Acknowledgement(const std::string& id) {
    v1::TransitionTicketRequest req;
    req.set_ticket_id(id);
    req.set_to(v1::TICKET_STATUS_ACKNOWLEDGED);
    req.set_actor("agent-wang");
    req.set_request_id("req-1");
    return req;
  }
  // The ticket events published so far, in order.
  std::vector<v1::TicketEvent> Events() const {
    std::vector<v1::TicketEvent> out;
    for (const auto& m : publisher_.sent) {
      v1::TicketEvent e;
      if (m.topic == kTicketEventsTopic && e.ParseFromString(m.payload)) out.push_back(e);
    }
    return out;
  }
  std::vector<v1::TicketEventType> EventTypes() const {
    std::vector<v1::TicketEventType> out;
    for (const auto& e : Events()) out.push_back(e.type());
    return out;
  }

  testkit::ManualClock clock_;
  testkit::FakePublisher publisher_;
  testkit::TicketingWorld world_;
};

// An agents' desk: tickets created, changed and listed as the gRPC service does it
// (pages of at most 3).
class DeskTest : public WorldTest {
 protected:
  DeskTest()
      : WorldTest([] {
          testkit::TicketingWorld::Options o;
          o.service.max_page_size = 3;
          return o;
        }()) {}
  v1::Ticket Create(const std::string& kind, const std::string& customer,
                    const std::string& project, const std::string& category = "",
                    const std::string& defect = "", const std::string& unit = "U-1") {
    v1::CreateTicketRequest req;
    req.set_request_id("rq-" + std::to_string(++n_));
    req.set_actor("agent-li");
    req.set_kind(kind);
    req.set_customer_id(customer);
    req.set_project_id(project);
    req.set_unit_id(unit);
    req.set_category(category);
    req.set_defect_code(defect);
    req.set_summary("问题" + std::to_string(n_));
    v1::Ticket t;
    auto s = service_.Create(&req, &t);
    EXPECT_TRUE(s.ok()) << s.error_message();
    clock_.Advance(std::chrono::minutes(1));
    return t;
  }
  grpc::Status Move(const std::string& id, v1::TicketStatus to, const std::string& reason = "",
                    const std::string& defect = "") {
    v1::TransitionTicketRequest req;
    req.set_ticket_id(id);
    req.set_to(to);
    req.set_actor("agent-wang");
    req.set_reason(reason);
    req.set_defect_code(defect);
    req.set_request_id("mv-" + std::to_string(++n_));
    v1::Ticket t;
    return service_.TransitionTicket(nullptr, &req, &t);
  }
  grpc::Status Note(const std::string& id, const std::string& text) {
    v1::AddNoteRequest req;
    req.set_ticket_id(id);
    req.set_author("agent-li");
    req.set_text(text);
    req.set_request_id("nt-" + std::to_string(++n_));
    v1::Ticket t;
    return service_.AddNote(nullptr, &req, &t);
  }
  // One page of ListTickets: its tickets, and its next page token in `token`.
  std::vector<v1::Ticket> Tickets(const v1::ListTicketsRequest& req, std::string* token = nullptr) {
    v1::ListTicketsResponse resp;
    auto s = service_.ListTickets(nullptr, &req, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    if (token) *token = resp.next_page_token();
    return {resp.tickets().begin(), resp.tickets().end()};
  }
  // The same page's summaries.
  std::vector<std::string> List(const v1::ListTicketsRequest& req, std::string* token = nullptr) {
    std::vector<std::string> out;
    for (const auto& t : Tickets(req, token)) out.push_back(t.summary());
    return out;
  }

  TicketingService& service_ = world_.service;
  int n_ = 0;
};

}  // namespace mot::ticketing
