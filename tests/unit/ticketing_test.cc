#include <map>
#include <optional>
#include <set>

#include "app/ticketing_app.h"
#include "domain/lifecycle.h"
#include "absl/strings/str_cat.h"
#include "domain/sla_clock.h"
#include "domain/sla_policy.h"
#include "fakes.h"
#include "gtest/gtest.h"
#include "mot/common/topics.h"
#include "memory_index_store.h"
#include "memory_record_store.h"
#include "mot/notification/v1/notification.pb.h"
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
  SlaPolicy policy_ = *SlaPolicy::FromYaml(testkit::ShippedConfig("sla.yaml"));
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
  EXPECT_NE(std::string(s.message()).find("kind is unknown"), std::string::npos);
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
  testkit::MemoryRecordStore store;
  testkit::FakePublisher publisher;
  CommandHandler handler(policy_, store);
  const auto in = testkit::Message(kTicketingCommandsTopic,
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
  testkit::MemoryRecordStore store;
  testkit::FakePublisher publisher;
  CommandHandler handler(policy_, store);
  auto bad = RepairCommand(t0_);
  bad.set_kind("teleport");
  std::vector<Work> batch;
  for (const auto& cmd : {RepairCommand(t0_), bad, RepairCommand(t0_)}) {
    batch.push_back(
        {testkit::Message(kTicketingCommandsTopic, cmd.SerializeAsString()), &publisher, {}});
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
  testkit::MemoryRecordStore store;
  testkit::FakePublisher publisher;
  publisher.fail_with = absl::UnavailableError("broker down");
  CommandHandler handler(policy_, store);
  auto s = handler.Handle(
      testkit::Message(kTicketingCommandsTopic, RepairCommand(t0_).SerializeAsString()), publisher);
  EXPECT_TRUE(absl::IsUnavailable(s));
}

TEST(TicketingGrpc, ValidatesRequests) {
  testkit::MemoryRecordStore store;
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
  EXPECT_EQ(EventFor(v1::TICKET_STATUS_IN_PROGRESS, v1::TICKET_STATUS_WAITING_ON_OWNER), v1::TICKET_EVENT_TYPE_PAUSED);
  EXPECT_EQ(EventFor(v1::TICKET_STATUS_RESOLVED, v1::TICKET_STATUS_CLOSED), v1::TICKET_EVENT_TYPE_CLOSED);
  EXPECT_EQ(EventFor(v1::TICKET_STATUS_WAITING_ON_PARTS, v1::TICKET_STATUS_IN_PROGRESS),
            v1::TICKET_EVENT_TYPE_RESUMED);
  EXPECT_EQ(EventFor(v1::TICKET_STATUS_ACKNOWLEDGED, v1::TICKET_STATUS_IN_PROGRESS),
            v1::TICKET_EVENT_TYPE_STARTED);
  // Every status has somewhere to go (none is a dead end but by design).
  for (auto st : {v1::TICKET_STATUS_NEW, v1::TICKET_STATUS_ACKNOWLEDGED, v1::TICKET_STATUS_IN_PROGRESS,
                  v1::TICKET_STATUS_WAITING_ON_OWNER, v1::TICKET_STATUS_WAITING_ON_PARTS,
                  v1::TICKET_STATUS_RESOLVED, v1::TICKET_STATUS_CLOSED, v1::TICKET_STATUS_REOPENED}) {
    EXPECT_FALSE(NextStatuses(st).empty()) << StatusName(st);
  }
}

TEST_F(TicketingTest, ATransitionOverGrpcIsStoredAndPublishedAndARetryPublishesAgain) {
  testkit::MemoryRecordStore store;
  testkit::FakePublisher publisher;
  testkit::ManualClock clock(t0_ + hours(1));
  CommandHandler handler(policy_, store);
  ASSERT_TRUE(handler.Handle(testkit::Message(kTicketingCommandsTopic,
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

// SLA arithmetic: working time on a business calendar, pauses, and deadlines derived
// from the ticket as it is now.
class SlaClockTest : public ::testing::Test {
 protected:
  SlaClockTest() {
    shanghai_.zone = *[] {
      absl::TimeZone z;
      absl::LoadTimeZone("Asia/Shanghai", &z);
      return std::optional<absl::TimeZone>(z);
    }();
    always_.always = true;
    // A holiday week: Thursday 1 to Wednesday 7 October 2026 off; Saturday 10 October
    // worked instead (a make-up day).
    for (int d = 1; d <= 7; ++d) shanghai_.holidays.insert(absl::CivilDay(2026, 10, d));
    shanghai_.makeup_days.insert(absl::CivilDay(2026, 10, 10));
  }
  TimePoint At(const std::string& local) const {
    absl::Time t;
    std::string err;
    EXPECT_TRUE(absl::ParseTime("%Y-%m-%d %H:%M", local, shanghai_.zone, &t, &err)) << err;
    return FromUnixMillis(absl::ToUnixMillis(t));
  }
  std::string Local(TimePoint t) const {
    return absl::FormatTime("%Y-%m-%d %H:%M %a", absl::FromUnixMillis(ToUnixMillis(t)), shanghai_.zone);
  }
  v1::Ticket TicketOf(const std::string& kind, TimePoint opened) {
    v1::Ticket t;
    t.set_id("tk-1");
    t.set_kind(kind);
    t.set_status(v1::TICKET_STATUS_NEW);
    *t.mutable_opened_at() = ToProto(opened);
    return t;
  }
  void Move(v1::Ticket* t, v1::TicketStatus to, TimePoint at) {
    bool replayed = false;
    auto next = Transition(*t, {to, "agent", "because", ""}, at, &replayed);
    ASSERT_TRUE(next.ok()) << next.status();
    *t = *next;
  }
  std::map<std::string, std::optional<TimePoint>> Due(const SlaPolicy& policy, const v1::Ticket& t,
                                                      const BusinessCalendar& c) {
    std::map<std::string, std::optional<TimePoint>> out;
    for (const auto& d : Deadlines(policy, t, c)) {
      out[d.milestone()] = d.has_due_at() ? std::optional<TimePoint>(FromProto(d.due_at())) : std::nullopt;
    }
    return out;
  }

  SlaPolicy policy_ = *SlaPolicy::FromYaml(testkit::ShippedConfig("sla.yaml"));
  BusinessCalendar shanghai_, always_;
};

TEST_F(SlaClockTest, EveryDefaultOfTheDomainOnAClockThatAlwaysRuns) {
  const TimePoint t0 = At("2026-11-02 10:00");
  const std::map<std::string, std::vector<std::pair<std::string, hours>>> expected = {
      {"repair", {{"respond", hours(2)}, {"plan", hours(24)}, {"fix", hours(72)}}},
      {"complaint_general", {{"respond", hours(2)}, {"resolve", hours(24)}}},
      {"complaint_major",
       {{"manager_on_site", hours(1)}, {"director_plan", hours(2)}, {"general_manager_solution", hours(24)}}},
      {"service_l1", {{"confirm", hours(2)}}},
      {"service_l2", {{"on_site", hours(24)}}},
      {"service_l3", {{"done", hours(72)}}},
      {"wall_seepage", {{"detect", hours(72)}, {"plan", hours(24 * 7)}}}};
  for (const auto& [kind, milestones] : expected) {
    auto due = Due(policy_, TicketOf(kind, t0), always_);
    ASSERT_EQ(due.size(), milestones.size()) << kind;
    for (const auto& [name, after] : milestones) {
      ASSERT_TRUE(due[name].has_value()) << kind << " " << name;
      EXPECT_EQ(*due[name] - t0, after) << kind << " " << name;
    }
  }
}

TEST_F(SlaClockTest, WorkingHoursWeekendsHolidaysAndMakeUpDays) {
  // Friday 17:00 + 2 working hours: Monday 10:00.
  EXPECT_EQ(Local(AddWorkingTime(At("2026-11-06 17:00"), hours(2), shanghai_)), "2026-11-09 10:00 Mon");
  // Opened on a Saturday: the clock starts Monday 09:00.
  EXPECT_EQ(Local(AddWorkingTime(At("2026-11-07 15:00"), hours(2), shanghai_)), "2026-11-09 11:00 Mon");
  // Opened at 20:00: the next morning.
  EXPECT_EQ(Local(AddWorkingTime(At("2026-11-03 20:00"), hours(1), shanghai_)), "2026-11-04 10:00 Wed");
  // 24 working hours = 2 days and 6 hours of 9-hour days.
  EXPECT_EQ(Local(AddWorkingTime(At("2026-11-02 09:00"), hours(24), shanghai_)), "2026-11-04 15:00 Wed");
  // Wednesday 30 September 17:00 + 2 h: the holidays (1-7 October) and the weekend are
  // skipped, Thursday 8 October 10:00.
  EXPECT_EQ(Local(AddWorkingTime(At("2026-09-30 17:00"), hours(2), shanghai_)), "2026-10-08 10:00 Thu");
  // Friday 9 October 17:00 + 2 h: Saturday 10 October is worked (make-up day).
  EXPECT_EQ(Local(AddWorkingTime(At("2026-10-09 17:00"), hours(2), shanghai_)), "2026-10-10 10:00 Sat");
  EXPECT_TRUE(shanghai_.IsWorkingDay(absl::CivilDay(2026, 10, 10)));
  EXPECT_FALSE(shanghai_.IsWorkingDay(absl::CivilDay(2026, 10, 5)));
  // Working time between Friday 17:00 and Monday 10:00: two hours.
  EXPECT_EQ(WorkingTimeBetween(At("2026-11-06 17:00"), At("2026-11-09 10:00"), shanghai_), hours(2));
  EXPECT_EQ(WorkingTimeBetween(At("2026-11-09 10:00"), At("2026-11-06 17:00"), shanghai_), hours(0));
  // 24x7 where the policy says so.
  EXPECT_EQ(AddWorkingTime(At("2026-11-07 15:00"), hours(2), always_), At("2026-11-07 17:00"));
}

TEST_F(SlaClockTest, PausesStopTheClock) {
  const TimePoint t0 = At("2026-11-02 10:00");
  // Paused 10:30-11:30: a 2-hour window ends an hour later.
  EXPECT_EQ(DueTime(t0, hours(2), {{At("2026-11-02 10:30"), At("2026-11-02 11:30")}}, always_),
            At("2026-11-02 13:00"));
  // A pause after the due time changes nothing; one before the clock started neither.
  EXPECT_EQ(DueTime(t0, hours(2), {{At("2026-11-02 15:00"), std::nullopt}}, always_), At("2026-11-02 12:00"));
  EXPECT_EQ(DueTime(t0, hours(2), {{At("2026-11-01 15:00"), At("2026-11-02 09:00")}}, always_),
            At("2026-11-02 12:00"));
  // While a pause lasts, the clock stands: no due time.
  EXPECT_FALSE(DueTime(t0, hours(2), {{At("2026-11-02 11:00"), std::nullopt}}, always_).has_value());
  // On working hours: paused from Monday 17:00 to Tuesday 10:00 (one working hour):
  // 2 h from Monday 16:00 ends Tuesday 11:00.
  EXPECT_EQ(Local(*DueTime(At("2026-11-02 16:00"), hours(2),
                           {{At("2026-11-02 17:00"), At("2026-11-03 10:00")}}, shanghai_)),
            "2026-11-03 11:00 Tue");
}

TEST_F(SlaClockTest, DeadlinesComeFromTheTicketsHistoryAndStayRight) {
  const TimePoint t0 = At("2026-11-02 10:00");
  v1::Ticket t = TicketOf("repair", t0);
  Move(&t, v1::TICKET_STATUS_ACKNOWLEDGED, t0 + std::chrono::minutes(10));
  Move(&t, v1::TICKET_STATUS_WAITING_ON_PARTS, t0 + std::chrono::minutes(30));
  auto due = Due(policy_, t, always_);
  EXPECT_FALSE(due["fix"].has_value()) << "waiting on parts: the clock stands";
  Move(&t, v1::TICKET_STATUS_IN_PROGRESS, t0 + std::chrono::minutes(90));
  due = Due(policy_, t, always_);
  EXPECT_EQ(*due["respond"], t0 + hours(3)) << "2 h + the hour paused";
  EXPECT_EQ(*due["fix"], t0 + hours(73));
  // The policy edited (respond within 4 h): recomputed from the opening, pause included.
  auto edited = *SlaPolicy::FromYaml(
      "kinds: {repair: [{milestone: respond, within: 4h}, {milestone: fix, within: 72h}]}");
  due = Due(edited, t, always_);
  EXPECT_EQ(*due["respond"], t0 + hours(5));
  EXPECT_EQ(due.count("plan"), 0u);
  // A complaint whose severity changes from general to major mid-way: the major
  // ladder, counted from the opening.
  v1::Ticket c = TicketOf("complaint_general", t0);
  EXPECT_EQ(*Due(policy_, c, always_)["resolve"], t0 + hours(24));
  c.set_kind("complaint_major");
  due = Due(policy_, c, always_);
  EXPECT_EQ(*due["manager_on_site"], t0 + hours(1));
  EXPECT_EQ(*due["general_manager_solution"], t0 + hours(24));
  EXPECT_EQ(due.count("resolve"), 0u);
  // Two pauses in the history.
  v1::Ticket r = TicketOf("repair", t0);
  Move(&r, v1::TICKET_STATUS_ACKNOWLEDGED, t0);
  Move(&r, v1::TICKET_STATUS_WAITING_ON_OWNER, t0 + hours(1));
  Move(&r, v1::TICKET_STATUS_IN_PROGRESS, t0 + hours(3));
  Move(&r, v1::TICKET_STATUS_WAITING_ON_PARTS, t0 + hours(4));
  Move(&r, v1::TICKET_STATUS_IN_PROGRESS, t0 + hours(10));
  ASSERT_EQ(PausesOf(r).size(), 2u);
  EXPECT_EQ(*Due(policy_, r, always_)["plan"], t0 + hours(24 + 2 + 6));
}

TEST_F(SlaClockTest, AKindRunsOnItsConfiguredCalendar) {
  const std::string calendars =
      "calendars:\n"
      "  office: {time_zone: Asia/Shanghai, hours: '09:00-18:00', weekdays: [mon, tue, wed, thu, fri],\n"
      "           holidays: [2026-11-09], makeup_days: [2026-11-14]}\n";
  auto policy = SlaPolicy::FromYaml(
      calendars + "kinds:\n  visit: {calendar: office, milestones: [{milestone: contact, within: 2h}]}\n"
                  "  repair: [{milestone: respond, within: 2h}]\n");
  ASSERT_TRUE(policy.ok()) << policy.status();
  v1::OpenTicketCommand cmd;
  cmd.set_command_id("c-1");
  cmd.set_customer_id("C-1");
  cmd.set_kind("visit");
  *cmd.mutable_requested_at() = ToProto(At("2026-11-06 17:00"));  // a Friday
  auto t = OpenTicket(*policy, cmd);
  ASSERT_TRUE(t.ok()) << t.status();
  // Friday 17:00 + 2 working hours, Monday 9 November a holiday: Tuesday 10:00.
  EXPECT_EQ(Local(FromProto(t->deadlines(0).due_at())), "2026-11-10 10:00 Tue");
  cmd.set_kind("repair");
  EXPECT_EQ(FromProto(OpenTicket(*policy, cmd)->deadlines(0).due_at()), At("2026-11-06 19:00"))
      << "24x7 when the kind names no calendar";
  const auto error = [&](const std::string& yaml) {
    return std::string(SlaPolicy::FromYaml(yaml).status().message());
  };
  EXPECT_EQ(error("kinds: {visit: {calendar: night, milestones: [{milestone: m, within: 1h}]}}"),
            "kind 'visit': calendar 'night' is not defined under 'calendars'");
  EXPECT_EQ(error("calendars: {office: {time_zone: Asia/Shanghai, hours: '9-6'}}\nkinds: {r: [{milestone: m, within: 1h}]}"),
            "calendar 'office': hours: expected working hours such as 09:00-18:00");
  EXPECT_EQ(error("calendars: {office: {time_zone: Mars/Base, hours: '09:00-18:00'}}\nkinds: {r: [{milestone: m, within: 1h}]}"),
            "calendar 'office': time_zone: expected an IANA name such as Asia/Shanghai");
  EXPECT_EQ(error("calendars: {office: {time_zone: UTC, hours: '09:00-18:00', holidays: [2026-02-30]}}\n"
                  "kinds: {r: [{milestone: m, within: 1h}]}"),
            "calendar 'office': holidays: '2026-02-30' is not a date YYYY-MM-DD");
}

TEST_F(SlaClockTest, AnAgentSeesTheDeadlinesMoveWhileTheTicketWaits) {
  testkit::MemoryRecordStore store;
  testkit::FakePublisher publisher;
  const TimePoint t0 = At("2026-11-02 10:00");
  testkit::ManualClock clock(t0 + std::chrono::minutes(30));
  CommandHandler handler(policy_, store);
  ASSERT_TRUE(handler.Handle(testkit::Message(kTicketingCommandsTopic, RepairCommand(t0).SerializeAsString()),
                             publisher).ok());
  v1::TicketEvent opened;
  ASSERT_TRUE(opened.ParseFromString(publisher.sent.at(0).payload));
  TicketingGrpc service(store, 10, &publisher, &clock, &policy_);
  v1::TransitionTicketRequest req;
  req.set_ticket_id(opened.ticket().id());
  req.set_actor("agent-wang");
  req.set_to(v1::TICKET_STATUS_ACKNOWLEDGED);
  v1::Ticket t;
  ASSERT_TRUE(service.TransitionTicket(nullptr, &req, &t).ok());
  req.set_to(v1::TICKET_STATUS_WAITING_ON_OWNER);
  req.set_reason("owner away until evening");
  ASSERT_TRUE(service.TransitionTicket(nullptr, &req, &t).ok());
  EXPECT_FALSE(t.deadlines(2).has_due_at()) << "the fix clock stands while waiting";
  clock.Advance(hours(5));
  req.set_to(v1::TICKET_STATUS_IN_PROGRESS);
  req.set_reason("");
  ASSERT_TRUE(service.TransitionTicket(nullptr, &req, &t).ok());
  v1::GetTicketRequest get;
  get.set_ticket_id(t.id());
  v1::GetTicketResponse got;
  ASSERT_TRUE(service.GetTicket(nullptr, &get, &got).ok());
  EXPECT_EQ(FromProto(got.ticket().deadlines(2).due_at()), t0 + hours(72 + 5)) << "fix: 72 h + 5 h waited";
}

// What the SLA asks for at each moment: the alerts due (once), the next time to look.
class SlaReviewTest : public SlaClockTest {
 protected:
  // Raises what is due at `now` on `t` (as the SLA watch records them): "kind milestone
  // role level" each.
  std::vector<std::string> RaiseAt(v1::Ticket* t, TimePoint now, std::optional<TimePoint>* next = nullptr) {
    auto review = Review(policy_, *t, now);
    std::vector<std::string> out;
    for (const auto& a : review.raise) {
      *t->add_alerts() = a;
      out.push_back(absl::StrCat(v1::SlaAlertKind_Name(a.kind()).substr(15), " ", a.milestone(), " ",
                                 a.role(), " ", a.level()));
    }
    if (next) *next = review.next;
    return out;
  }
};

TEST_F(SlaReviewTest, AMajorComplaintNobodyTouchesWalksTheLadderAt1h2hAnd24h) {
  const TimePoint t0 = At("2026-11-02 10:00");
  v1::Ticket t = TicketOf("complaint_major", t0);
  std::optional<TimePoint> next;
  EXPECT_TRUE(RaiseAt(&t, t0, &next).empty());
  EXPECT_EQ(*next, t0 + std::chrono::minutes(48)) << "80 % of the first hour";
  EXPECT_EQ(RaiseAt(&t, *next, &next), (std::vector<std::string>{"WARNING manager_on_site  0"}));
  EXPECT_EQ(*next, t0 + hours(1));
  EXPECT_EQ(RaiseAt(&t, *next, &next),
            (std::vector<std::string>{"BREACHED manager_on_site customer_service_manager 1"}));
  EXPECT_EQ(*next, t0 + std::chrono::minutes(96));
  EXPECT_EQ(RaiseAt(&t, *next, &next), (std::vector<std::string>{"WARNING director_plan  0"}));
  EXPECT_EQ(RaiseAt(&t, *next, &next),
            (std::vector<std::string>{"BREACHED director_plan engineering_director 2"}));
  EXPECT_EQ(*next, t0 + std::chrono::minutes(24 * 48)) << "80 % of 24 h: 19.2 h";
  EXPECT_EQ(RaiseAt(&t, *next, &next), (std::vector<std::string>{"WARNING general_manager_solution  0"}));
  EXPECT_EQ(RaiseAt(&t, *next, &next),
            (std::vector<std::string>{"BREACHED general_manager_solution general_manager 3"}));
  EXPECT_EQ(*next, t0 + hours(24 * 30)) << "then the 30-day risk warning";
  EXPECT_TRUE(RaiseAt(&t, t0 + hours(24 * 30) - std::chrono::seconds(1)).empty());
  EXPECT_EQ(RaiseAt(&t, *next, &next), (std::vector<std::string>{"RISK  general_manager 4"}));
  EXPECT_FALSE(next.has_value()) << "nothing left to raise";
  EXPECT_TRUE(RaiseAt(&t, t0 + hours(24 * 400)).empty()) << "each alert once";
}

TEST_F(SlaReviewTest, ALateSweepRaisesEverythingDueInOrderOfTime) {
  const TimePoint t0 = At("2026-11-02 10:00");
  v1::Ticket t = TicketOf("complaint_major", t0);
  EXPECT_EQ(RaiseAt(&t, t0 + hours(3)),
            (std::vector<std::string>{"WARNING manager_on_site  0",
                                      "BREACHED manager_on_site customer_service_manager 1",
                                      "WARNING director_plan  0",
                                      "BREACHED director_plan engineering_director 2"}));
}

TEST_F(SlaReviewTest, ARepairWithinItsSlaRaisesNothingAndRecordsEachMilestoneMet) {
  const TimePoint t0 = At("2026-11-02 10:00");
  v1::Ticket t = TicketOf("repair", t0);
  Move(&t, v1::TICKET_STATUS_ACKNOWLEDGED, t0 + std::chrono::minutes(40));
  Move(&t, v1::TICKET_STATUS_IN_PROGRESS, t0 + hours(5));
  v1::Ticket before = t;
  Move(&t, v1::TICKET_STATUS_RESOLVED, t0 + hours(30));
  EXPECT_EQ(NewlyMet(policy_, before, t), (std::vector<std::string>{"fix"}));
  Move(&t, v1::TICKET_STATUS_CLOSED, t0 + hours(31));
  std::optional<TimePoint> next;
  EXPECT_TRUE(RaiseAt(&t, t0 + hours(24 * 100), &next).empty());
  EXPECT_FALSE(next.has_value());
  const auto review = Review(policy_, t, t0 + hours(24 * 100));
  ASSERT_EQ(review.deadlines.size(), 3u);
  EXPECT_EQ(FromProto(review.deadlines[0].met_at()), t0 + std::chrono::minutes(40));
  EXPECT_EQ(FromProto(review.deadlines[1].met_at()), t0 + hours(5));
  EXPECT_EQ(FromProto(review.deadlines[2].met_at()), t0 + hours(30));
  for (const auto& d : review.deadlines) EXPECT_FALSE(d.breached()) << d.milestone();
  EXPECT_EQ(FromProto(review.deadlines[2].warn_at()), t0 + std::chrono::minutes(72 * 48));
}

TEST_F(SlaReviewTest, AMilestoneMetLateIsABreachWithNobodyToCall) {
  const TimePoint t0 = At("2026-11-02 10:00");
  v1::Ticket t = TicketOf("repair", t0);
  Move(&t, v1::TICKET_STATUS_ACKNOWLEDGED, t0 + hours(3));  // respond was due at 2 h
  EXPECT_EQ(RaiseAt(&t, t0 + hours(3)), (std::vector<std::string>{"BREACHED respond  0"}));
  EXPECT_TRUE(Review(policy_, t, t0 + hours(3)).deadlines[0].breached());
}

TEST_F(SlaReviewTest, WaitingDefersWarningsAndBreachesAndTheTimerWaitsForTheResume) {
  const TimePoint t0 = At("2026-11-02 10:00");
  v1::Ticket t = TicketOf("repair", t0);
  Move(&t, v1::TICKET_STATUS_ACKNOWLEDGED, t0 + std::chrono::minutes(10));
  Move(&t, v1::TICKET_STATUS_WAITING_ON_PARTS, t0 + hours(1));
  std::optional<TimePoint> next;
  EXPECT_TRUE(RaiseAt(&t, t0 + hours(200), &next).empty()) << "every clock stands";
  EXPECT_FALSE(next.has_value());
  Move(&t, v1::TICKET_STATUS_IN_PROGRESS, t0 + hours(201));
  // plan was met by the wait (a plan made); fix: 71 h were left, warning at 57.6 h run.
  RaiseAt(&t, t0 + hours(201), &next);
  EXPECT_EQ(*next, t0 + hours(201) + std::chrono::minutes(static_cast<int>((57.6 - 1) * 60)));
}

TEST_F(SlaReviewTest, ASeverityChangeMidTicketPutsItOnTheNewLadderCountedFromTheOpening) {
  const TimePoint t0 = At("2026-11-02 10:00");
  v1::Ticket t = TicketOf("complaint_general", t0);
  Move(&t, v1::TICKET_STATUS_ACKNOWLEDGED, t0 + std::chrono::minutes(30));
  bool replayed = false;
  auto major = Reclassify(policy_, t, "complaint_major", {{}, "manager-zhao", "structural crack", "rq-1"},
                          t0 + hours(3), &replayed);
  ASSERT_TRUE(major.ok()) << major.status();
  t = *major;
  EXPECT_EQ(t.kind(), "complaint_major");
  EXPECT_EQ(t.history(1).from_kind(), "complaint_general");
  EXPECT_EQ(t.history(1).to_kind(), "complaint_major");
  EXPECT_EQ(t.history(1).actor(), "manager-zhao");
  // manager on site: met by the acknowledgement at 30 min; director's plan (2 h from the
  // opening) already late: breached at once, escalated to the first rung.
  EXPECT_EQ(RaiseAt(&t, t0 + hours(3)),
            (std::vector<std::string>{"WARNING director_plan  0",
                                      "BREACHED director_plan engineering_director 1"}));
  // Replayed: nothing changes; bad requests name the field.
  EXPECT_EQ(Reclassify(policy_, t, "complaint_major", {{}, "manager-zhao", "again", "rq-1"}, t0, &replayed)->history_size(),
            t.history_size());
  EXPECT_TRUE(replayed);
  EXPECT_EQ(Reclassify(policy_, t, "complaint_general", {{}, "manager-zhao", "", "rq-2"}, t0, &replayed)
                .status().message(),
            "reason is required");
  EXPECT_EQ(Reclassify(policy_, t, "complaint_huge", {{}, "m", "r", "rq-3"}, t0, &replayed).status().message(),
            "kind is unknown; known kinds: " + policy_.KindList());
}

TEST_F(SlaReviewTest, APolicyEditAppliesToOpenTicketsFromTheirHistory) {
  const TimePoint t0 = At("2026-11-02 10:00");
  v1::Ticket t = TicketOf("repair", t0);
  auto edited = *SlaPolicy::FromYaml(
      "warning_share: 0.5\nroles: {boss: {channel: wecom}}\n"
      "kinds: {repair: [{milestone: respond, within: 4h, met_by: acknowledged, escalate_to: boss}]}");
  auto review = Review(edited, t, t0 + hours(2));
  ASSERT_EQ(review.raise.size(), 1u);
  EXPECT_EQ(review.raise[0].kind(), v1::SLA_ALERT_KIND_WARNING);
  EXPECT_EQ(FromProto(review.raise[0].due_at()), t0 + hours(2));
  review = Review(edited, t, t0 + hours(4));
  ASSERT_EQ(review.raise.size(), 2u);
  EXPECT_EQ(review.raise[1].role(), "boss");
  EXPECT_TRUE(Review(policy_, t, t0 + hours(2)).raise.size() == 2u) << "the shipped 2 h: warning and breach";
}

TEST_F(SlaReviewTest, ADeliveryDefectIsAcceptedRectifiedAndReInspected) {
  const TimePoint t0 = At("2026-11-02 10:00");
  v1::Ticket t = TicketOf("delivery_defect", t0);
  Move(&t, v1::TICKET_STATUS_ACKNOWLEDGED, t0 + hours(3));   // accepted into the list
  Move(&t, v1::TICKET_STATUS_IN_PROGRESS, t0 + hours(24));   // rectifying
  Move(&t, v1::TICKET_STATUS_RESOLVED, t0 + hours(24 * 10));  // rectified
  auto review = Review(policy_, t, t0 + hours(24 * 11));
  ASSERT_EQ(review.deadlines.size(), 3u);
  EXPECT_EQ(review.deadlines[0].milestone(), "accept");
  EXPECT_TRUE(review.deadlines[1].has_met_at()) << "rectify: met when resolved";
  EXPECT_FALSE(review.deadlines[2].has_met_at()) << "re-inspect: met only when closed with the owner";
  EXPECT_EQ(*review.next, t0 + hours(24 * 16)) << "80 % of the 20 days to re-inspect";
  // The re-inspection fails: reopened, rectified again, then it passes.
  Move(&t, v1::TICKET_STATUS_REOPENED, t0 + hours(24 * 12));
  Move(&t, v1::TICKET_STATUS_RESOLVED, t0 + hours(24 * 13));
  Move(&t, v1::TICKET_STATUS_CLOSED, t0 + hours(24 * 14));
  review = Review(policy_, t, t0 + hours(24 * 30));
  EXPECT_EQ(FromProto(review.deadlines[2].met_at()), t0 + hours(24 * 14));
  EXPECT_TRUE(review.raise.empty());
  // Class C: fixed on the spot, within 2 h.
  EXPECT_EQ(policy_.Find("delivery_defect_c")->front().within, hours(2));
}

TEST_F(SlaReviewTest, RiskWarningsOnlyForOpenComplaints) {
  const TimePoint t0 = At("2026-11-02 10:00");
  v1::Ticket repair = TicketOf("repair", t0);
  for (const auto& a : Review(policy_, repair, t0 + hours(24 * 31)).raise) {
    EXPECT_NE(a.kind(), v1::SLA_ALERT_KIND_RISK);
  }
  v1::Ticket c = TicketOf("complaint_general", t0);
  Move(&c, v1::TICKET_STATUS_ACKNOWLEDGED, t0 + hours(1));
  Move(&c, v1::TICKET_STATUS_RESOLVED, t0 + hours(20));
  EXPECT_TRUE(Review(policy_, c, t0 + hours(24 * 31)).raise.empty()) << "resolved in time";
  Move(&c, v1::TICKET_STATUS_REOPENED, t0 + hours(24 * 2));
  EXPECT_EQ(RaiseAt(&c, t0 + hours(24 * 30)), (std::vector<std::string>{"RISK  general_manager 1"}))
      << "reopened and open at 30 days";
}

TEST(SlaPolicy, LaddersRolesAndRiskAreCheckedWithTheirNames) {
  const auto error = [](const std::string& yaml) {
    return std::string(SlaPolicy::FromYaml(yaml).status().message());
  };
  EXPECT_EQ(error("kinds: {r: [{milestone: m, within: 1h, escalate_to: boss}]}"),
            "kind 'r': milestone 'm': escalate_to: role 'boss' is not defined under 'roles'");
  EXPECT_EQ(error("kinds: {r: [{milestone: m, within: 1h, met_by: done}]}"),
            "kind 'r': milestone 'm': met_by: expected acknowledged, in_progress, resolved or closed");
  EXPECT_EQ(error("roles: {boss: {title: 老板}}\nkinds: {r: [{milestone: m, within: 1h}]}"),
            "role 'boss': channel is required (e.g. wecom)");
  EXPECT_EQ(error("warning_share: 1.5\nkinds: {r: [{milestone: m, within: 1h}]}"),
            "warning_share: expected a share of the window between 0 and 1, e.g. 0.8");
  EXPECT_EQ(error("risk_warning: {after: 30 days}\nkinds: {r: [{milestone: m, within: 1h}]}").rfind("risk_warning: after: ", 0), 0u);
  EXPECT_EQ(error("risk_warning: {after: 30d, kinds: [x]}\nkinds: {r: [{milestone: m, within: 1h}]}"),
            "risk_warning: kinds: 'x' is not a kind");
  EXPECT_EQ(error("owner_updates: {kinds: [x]}\nkinds: {r: [{milestone: m, within: 1h}]}"),
            "owner_updates: kinds: 'x' is not a kind");
  EXPECT_EQ(error("project_calendars: {p1: office}\nkinds: {r: [{milestone: m, within: 1h}]}"),
            "project_calendars: p1: calendar 'office' is not defined under 'calendars'");
  // The shipped policy: DOMAIN.md's ladder for a major complaint, the 30-day risk.
  auto shipped = *SlaPolicy::FromYaml(testkit::ShippedConfig("sla.yaml"));
  EXPECT_DOUBLE_EQ(shipped.warning_share(), 0.8);
  EXPECT_EQ(shipped.risk_warning().after, hours(24 * 30));
  std::vector<std::string> ladder;
  for (const auto& m : *shipped.Find("complaint_major")) ladder.push_back(m.escalate_to);
  EXPECT_EQ(ladder, (std::vector<std::string>{"customer_service_manager", "engineering_director",
                                              "general_manager"}));
  for (const auto& role : ladder) EXPECT_NE(shipped.FindRole(role), nullptr) << role;
}

TEST_F(SlaClockTest, AProjectsOwnCalendarReplacesTheKinds) {
  auto policy = SlaPolicy::FromYaml(
      "calendars:\n"
      "  office: {time_zone: Asia/Shanghai, hours: '09:00-18:00'}\n"
      "  south: {time_zone: Asia/Shanghai, hours: '08:00-12:00'}\n"
      "project_calendars: {harbour: south}\n"
      "kinds:\n  visit: {calendar: office, milestones: [{milestone: contact, within: 6h}]}\n"
      "  repair: [{milestone: respond, within: 2h}]\n");
  ASSERT_TRUE(policy.ok()) << policy.status();
  v1::Ticket t = TicketOf("visit", At("2026-11-02 09:00"));
  EXPECT_EQ(Local(FromProto(Review(*policy, t, At("2026-11-02 09:00")).deadlines[0].due_at())),
            "2026-11-02 15:00 Mon");
  t.set_project_id("harbour");
  EXPECT_EQ(Local(FromProto(Review(*policy, t, At("2026-11-02 09:00")).deadlines[0].due_at())),
            "2026-11-03 11:00 Tue") << "4 working hours a day on the project's calendar";
  t.set_kind("repair");
  EXPECT_EQ(FromProto(Review(*policy, t, At("2026-11-02 09:00")).deadlines[0].due_at()),
            At("2026-11-02 11:00")) << "a 24x7 kind stays 24x7";
}

TEST_F(TicketingTest, AnAgentCreatesATicketOnceForARequest) {
  testkit::MemoryRecordStore store;
  testkit::FakePublisher publisher;
  testkit::ManualClock clock(t0_);
  TicketingGrpc service(store, 10, &publisher, &clock, &policy_);
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
  clock.Advance(hours(1));
  ASSERT_TRUE(service.Create(&req, &again).ok());
  EXPECT_EQ(again.id(), t.id()) << "one ticket per request";
  EXPECT_EQ(FromProto(again.opened_at()), t0_) << "as first stored";
  v1::ListTicketsRequest list;
  list.set_customer_id("C-7");
  v1::ListTicketsResponse listed;
  ASSERT_TRUE(service.ListTickets(nullptr, &list, &listed).ok());
  EXPECT_EQ(listed.tickets_size(), 1);
  ASSERT_EQ(publisher.sent.size(), 2u) << "the OPENED event, again on the retry";
  v1::TicketEvent e;
  ASSERT_TRUE(e.ParseFromString(publisher.sent[0].payload));
  EXPECT_EQ(e.type(), v1::TICKET_EVENT_TYPE_OPENED);
}

// requested_at 9999-12-31 would open a ticket whose clocks never run; 1900 one breached
// a century ago: both refused, naming the field, by the topic and by the API.
TEST_F(TicketingTest, ARequestedAtFarFromNowIsRefusedNamingTheField) {
  testkit::MemoryRecordStore store;
  testkit::FakePublisher publisher;
  testkit::ManualClock clock(t0_);
  CommandHandler handler(policy_, store, nullptr, nullptr, nullptr, &clock);
  for (int64_t seconds : {int64_t{253402214400}, int64_t{-2208988800}}) {
    auto cmd = RepairCommand(t0_);
    cmd.mutable_requested_at()->set_seconds(seconds);
    auto s = handler.Handle(testkit::Message(kTicketingCommandsTopic, cmd.SerializeAsString()), publisher);
    EXPECT_TRUE(absl::IsInvalidArgument(s)) << s;
    EXPECT_EQ(std::string(s.message()).rfind("requested_at ", 0), 0u) << s;
    EXPECT_NE(std::string(s.message()).find("is too far in the"), std::string::npos) << s;
  }
  auto cmd = RepairCommand(t0_);
  cmd.mutable_requested_at()->set_nanos(-1);
  EXPECT_EQ(handler.Handle(testkit::Message(kTicketingCommandsTopic, cmd.SerializeAsString()), publisher)
                .message(), "requested_at is not a valid time");
  EXPECT_TRUE(store.ListRecent(10)->empty());
  ASSERT_TRUE(handler.Handle(testkit::Message(kTicketingCommandsTopic, RepairCommand(t0_).SerializeAsString()),
                             publisher).ok()) << "a time within the window opens";

  TicketingGrpc service(store, 10, &publisher, &clock, &policy_);
  v1::CreateTicketRequest req;
  req.set_request_id("hotline-far");
  req.set_actor("agent-li");
  req.set_kind("repair");
  req.set_customer_id("C-8");
  req.mutable_requested_at()->set_seconds(253402214400);
  v1::Ticket t;
  auto refused = service.Create(&req, &t);
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(refused.error_message(), "requested_at 9999-12-31T00:00:00Z is too far in the future");
}

// An agents' desk over the in-memory stores: tickets created, changed and listed as
// the gRPC service does it.
class DeskTest : public TicketingTest {
 protected:
  DeskTest() : clock_(t0_), service_(TicketingParts{store_, 3, &publisher_, &clock_, &policy_, nullptr,
                                                    nullptr, &index_}) {}
  v1::Ticket Create(const std::string& kind, const std::string& customer, const std::string& project,
                    const std::string& category = "", const std::string& defect = "",
                    const std::string& unit = "U-1") {
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
  std::vector<std::string> List(v1::ListTicketsRequest req, std::string* token = nullptr) {
    v1::ListTicketsResponse resp;
    auto s = service_.ListTickets(nullptr, &req, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    std::vector<std::string> out;
    for (const auto& t : resp.tickets()) out.push_back(t.summary());
    if (token) *token = resp.next_page_token();
    return out;
  }
  std::vector<v1::TicketEventType> EventTypes() {
    std::vector<v1::TicketEventType> out;
    for (const auto& m : publisher_.sent) {
      v1::TicketEvent e;
      if (m.topic == kTicketEventsTopic && e.ParseFromString(m.payload)) out.push_back(e.type());
    }
    return out;
  }

  testkit::MemoryRecordStore store_;
  testkit::MemoryIndexStore index_;
  testkit::FakePublisher publisher_;
  testkit::ManualClock clock_;
  TicketingGrpc service_;
  int n_ = 0;
};

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
  EXPECT_EQ(service_.AssignTicket(nullptr, &req, &out).error_message(), "team or assignee is required");
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
  Create("complaint_general", "C-9", "P-1");                                        // 问题5
  Create("repair", "C-8", "P-2");                                                   // 问题6
  v1::ListTicketsRequest req;
  req.set_project_id("P-1");
  std::string token;
  EXPECT_EQ(List(req, &token), (std::vector<std::string>{"问题5", "问题4", "问题3"})) << "newest first";
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
  const auto first = List([] { v1::ListTicketsRequest r; r.set_kind("complaint_general"); return r; }());
  ASSERT_EQ(first.size(), 1u);
  v1::ListTicketsRequest by_kind;
  by_kind.set_kind("repair");
  by_kind.set_project_id("P-2");
  v1::ListTicketsResponse resp;
  ASSERT_TRUE(service_.ListTickets(nullptr, &by_kind, &resp).ok());
  ASSERT_EQ(resp.tickets_size(), 1);
  ASSERT_TRUE(Move(resp.tickets(0).id(), v1::TICKET_STATUS_ACKNOWLEDGED).ok());
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
  EXPECT_TRUE(Create("complaint_general", "C-1", "P-1", "property_service", "", "U-2").repeat_of().empty())
      << "another unit";
  EXPECT_TRUE(Create("complaint_general", "C-2", "P-1", "property_service").repeat_of().empty())
      << "another owner";
  clock_.Advance(hours(24 * 91));
  EXPECT_TRUE(Create("complaint_general", "C-1", "P-1", "property_service").repeat_of().empty())
      << "outside the 90 days";
}

TEST_F(DeskTest, TheDefectLibraryRollsUpPerProjectAndCode) {
  v1::CreateTicketRequest bad;
  bad.set_request_id("x");
  bad.set_actor("a");
  bad.set_kind("repair");
  bad.set_customer_id("C-1");
  bad.set_defect_code("ZZ99");
  v1::Ticket out;
  EXPECT_EQ(service_.Create(&bad, &out).error_message(),
            "defect_code is not in the defect library");
  const auto a = Create("repair", "C-1", "P-1", "roof", "SJ01", "U-1");
  const auto b = Create("repair", "C-2", "P-1", "roof", "SJ01", "U-2");
  Create("repair", "C-3", "P-1", "roof", "SJ01", "U-2");  // the same unit again
  const auto c = Create("repair", "C-4", "P-1", "plumbing", "", "U-4");
  Create("repair", "C-5", "P-2", "roof", "SJ01", "U-9");
  // a resolved after 10 h, c classified when resolved after 20 h.
  clock_.Advance(hours(10) - std::chrono::minutes(5));
  ASSERT_TRUE(Move(a.id(), v1::TICKET_STATUS_ACKNOWLEDGED).ok());
  ASSERT_TRUE(Move(a.id(), v1::TICKET_STATUS_RESOLVED, "天窗节点重做防水").ok());
  clock_.Advance(hours(10));
  ASSERT_TRUE(Move(c.id(), v1::TICKET_STATUS_ACKNOWLEDGED).ok());
  ASSERT_TRUE(Move(c.id(), v1::TICKET_STATUS_RESOLVED, "更换接头", "SD01").ok());
  EXPECT_EQ(Move(b.id(), v1::TICKET_STATUS_ACKNOWLEDGED, "", "XX").error_message(),
            "defect_code is not in the defect library");
  v1::GetDefectRollupRequest req;
  req.set_project_id("P-1");
  v1::GetDefectRollupResponse resp;
  ASSERT_TRUE(service_.GetDefectRollup(nullptr, &req, &resp).ok());
  ASSERT_EQ(resp.rows_size(), 2);
  const auto& sj = resp.rows(1);
  EXPECT_EQ(sj.code(), "SJ01");
  EXPECT_EQ(sj.title(), "屋面天窗渗水");
  EXPECT_EQ(sj.department(), "设计部");
  EXPECT_EQ(sj.tickets(), 3);
  EXPECT_EQ(sj.units_affected(), 2);
  EXPECT_EQ(sj.open(), 2);
  EXPECT_NEAR(sj.mean_hours_to_resolve(), 10.0, 0.001);
  const auto& sd = resp.rows(0);
  EXPECT_EQ(sd.code(), "SD01");
  EXPECT_EQ(sd.tickets(), 1);
  EXPECT_EQ(sd.open(), 0);
  EXPECT_NEAR(sd.mean_hours_to_resolve(), 20.0 - 3.0 / 60, 0.001) << "opened 3 minutes after a";
  req.clear_project_id();
  resp.Clear();
  ASSERT_TRUE(service_.GetDefectRollup(nullptr, &req, &resp).ok());
  EXPECT_EQ(resp.rows_size(), 3) << "every project";
}

TEST_F(DeskTest, TheDailyComplaintReportListsTheDaysComplaints) {
  // t0_ is 2026-11-01 16:00 in Shanghai.
  const auto a = Create("complaint_general", "C-1", "P-1", "property_service");
  const auto b = Create("complaint_major", "C-2", "P-1", "wall");
  Create("repair", "C-3", "P-1");  // not a complaint
  Create("complaint_general", "C-4", "P-2");
  clock_.Advance(std::chrono::minutes(30));
  ASSERT_TRUE(Move(a.id(), v1::TICKET_STATUS_ACKNOWLEDGED).ok());
  ASSERT_TRUE(Move(a.id(), v1::TICKET_STATUS_RESOLVED, "保洁频次调整为每日两次").ok());
  v1::AddNoteRequest note;
  note.set_ticket_id(b.id());
  note.set_author("agent-li");
  note.set_text("工程总监已到场");
  note.set_request_id("n-1");
  v1::Ticket out;
  ASSERT_TRUE(service_.AddNote(nullptr, &note, &out).ok());
  clock_.Advance(hours(24));
  Create("complaint_general", "C-5", "P-1");  // the next day
  v1::GetComplaintReportRequest req;
  req.set_date("2026-11-01");
  req.set_project_id("P-1");
  v1::GetComplaintReportResponse resp;
  ASSERT_TRUE(service_.GetComplaintReport(nullptr, &req, &resp).ok());
  ASSERT_EQ(resp.rows_size(), 2);
  EXPECT_EQ(resp.rows(0).ticket_id(), a.id());
  EXPECT_EQ(FromProto(resp.rows(0).received_at()), t0_);
  EXPECT_EQ(FromProto(resp.rows(0).first_reply_at()), t0_ + std::chrono::minutes(34));
  EXPECT_EQ(resp.rows(0).handler(), "物业服务中心");
  EXPECT_EQ(resp.rows(0).measure(), "保洁频次调整为每日两次");
  EXPECT_FALSE(resp.rows(1).has_first_reply_at());
  EXPECT_EQ(resp.rows(1).measure(), "工程总监已到场") << "no resolution yet: the latest note";
  req.set_date("2026-11-31");
  EXPECT_EQ(service_.GetComplaintReport(nullptr, &req, &resp).error_message(), "date: expected YYYY-MM-DD");
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

TEST_F(TicketingTest, TheOwnerIsToldOfProgressAndRolesOfEscalationsWithoutOwnerData) {
  v1::Ticket before = *OpenTicket(policy_, RepairCommand(t0_));
  before.set_project_id("P-1");
  before.set_unit_id("U-1");
  bool replayed = false;
  v1::Ticket acked = *Transition(before, {v1::TICKET_STATUS_ACKNOWLEDGED, "agent", "", "r1"},
                                 t0_ + hours(1), &replayed);
  auto messages = MessagesOfChange(&policy_, before, acked);
  ASSERT_EQ(messages.size(), 3u) << "ACKNOWLEDGED, MILESTONE_MET respond, the owner's message";
  notification::v1::SendNotificationCommand cmd;
  ASSERT_TRUE(cmd.ParseFromString(messages[2].payload));
  EXPECT_EQ(messages[2].topic, kNotificationCommandsTopic);
  EXPECT_EQ(cmd.customer_id(), "C-1");
  EXPECT_EQ(cmd.template_id(), "ticket_acknowledged");
  EXPECT_EQ(cmd.variables().at("planned_at"), "2026-11-04 16:00") << "the fix, 72 h on, in Shanghai";
  v1::TicketEvent met;
  ASSERT_TRUE(met.ParseFromString(messages[1].payload));
  EXPECT_EQ(met.type(), v1::TICKET_EVENT_TYPE_MILESTONE_MET);
  EXPECT_EQ(met.milestone(), "respond");
  // An internal task tells the owner nothing.
  v1::Ticket visit = before;
  visit.set_kind("revisit");
  v1::Ticket visit_acked = *Transition(visit, {v1::TICKET_STATUS_ACKNOWLEDGED, "agent", "", "r1"},
                                       t0_ + hours(1), &replayed);
  for (const auto& m : MessagesOfChange(&policy_, visit, visit_acked)) {
    EXPECT_NE(m.topic, kNotificationCommandsTopic);
  }
  // A breach on the ladder: its events and the role's message, no owner in it.
  v1::SlaAlert alert;
  alert.set_kind(v1::SLA_ALERT_KIND_BREACHED);
  alert.set_milestone("respond");
  alert.set_role("service_supervisor");
  alert.set_level(1);
  *alert.mutable_due_at() = ToProto(t0_ + hours(2));
  *alert.mutable_raised_at() = ToProto(t0_ + hours(2));
  messages = MessagesOfAlert(policy_, before, alert);
  ASSERT_EQ(messages.size(), 3u);
  ASSERT_TRUE(cmd.ParseFromString(messages[2].payload));
  EXPECT_EQ(cmd.role(), "service_supervisor");
  EXPECT_TRUE(cmd.customer_id().empty());
  EXPECT_EQ(messages[2].key, "role:service_supervisor");
  EXPECT_EQ(cmd.template_id(), "sla_escalation");
  EXPECT_EQ(cmd.variables().at("role_title"), "客服主管");
  EXPECT_EQ(cmd.variables().at("due_at"), "2026-11-01 18:00");
  for (const auto& [k, v] : cmd.variables()) EXPECT_EQ(v.find("C-1"), std::string::npos) << k;
  EXPECT_EQ(cmd.command_id(), "sla:" + before.id() + ":SLA_ALERT_KIND_BREACHED:respond")
      << "one message per alert, however often it is sent";
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
    if (a % 2 == 1) EXPECT_EQ(ids[a], ids[a - 1]) << "the same request, the same ticket";
    distinct.insert(ids[a].begin(), ids[a].end());
  }
  EXPECT_EQ(distinct.size(), size_t{kAgents / 2 * kEach});
  EXPECT_EQ(store_.ListRecent(1000)->size(), size_t{kAgents / 2 * kEach}) << "stored once each";
  EXPECT_EQ(EventTypes().size(), size_t{kAgents * kEach}) << "an OPENED event for every call";
  v1::ListTicketsRequest list;
  list.set_project_id("P-1");
  list.set_page_size(3);
  std::string token;
  EXPECT_EQ(List(list, &token).size(), 3u);
  EXPECT_FALSE(token.empty()) << "indexed";
}

// A calendar without a working day loaded, and its first ticket's deadline overflowed
// a timestamp and terminated ticketing (found by fuzz_sla_policy).
TEST(FuzzFixes, ACalendarWithoutAWorkingDayIsRefused) {
  auto policy = SlaPolicy::FromYaml(
      "calendars:\n  office: {time_zone: Asia/Shanghai, hours: '09:00-18:00', weekdays: []}\n"
      "kinds:\n  visit: {calendar: office, milestones: [{milestone: contact, within: 2h}]}\n");
  ASSERT_FALSE(policy.ok());
  EXPECT_NE(std::string(policy.status().message()).find("weekdays: at least one working day"), std::string::npos)
      << policy.status();
}

}  // namespace
}  // namespace mot::ticketing
