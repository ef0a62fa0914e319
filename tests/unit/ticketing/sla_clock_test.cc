// SLA arithmetic and review: working time on a business calendar, pauses, deadlines
// derived from the ticket as it is now, and the alerts due at each moment.
#include "ticketing/domain/sla_clock.h"

#include <map>
#include <optional>
#include <vector>

#include "absl/strings/str_cat.h"
#include "fixtures.h"
#include "ticketing/domain/lifecycle.h"

namespace mot::ticketing {
namespace {

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
    return absl::FormatTime("%Y-%m-%d %H:%M %a", absl::FromUnixMillis(ToUnixMillis(t)),
                            shanghai_.zone);
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
      out[d.milestone()] =
          d.has_due_at() ? std::optional<TimePoint>(FromProto(d.due_at())) : std::nullopt;
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
       {{"manager_on_site", hours(1)},
        {"director_plan", hours(2)},
        {"general_manager_solution", hours(24)}}},
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
  struct Case {
    const char* from;
    int working_hours;
    const char* until;
    const char* why;
  };
  for (const Case& c : std::vector<Case>{
           {"2026-11-06 17:00", 2, "2026-11-09 10:00 Mon", "Friday 17:00 + 2 h: Monday"},
           {"2026-11-07 15:00", 2, "2026-11-09 11:00 Mon",
            "opened on a Saturday: the clock starts Monday 09:00"},
           {"2026-11-03 20:00", 1, "2026-11-04 10:00 Wed", "opened at 20:00: the next morning"},
           {"2026-11-02 09:00", 24, "2026-11-04 15:00 Wed",
            "24 working hours = 2 days and 6 hours of 9-hour days"},
           {"2026-09-30 17:00", 2, "2026-10-08 10:00 Thu",
            "the holidays (1-7 October) and the weekend are skipped"},
           {"2026-10-09 17:00", 2, "2026-10-10 10:00 Sat",
            "Saturday 10 October is worked (make-up day)"},
       }) {
    EXPECT_EQ(Local(AddWorkingTime(At(c.from), hours(c.working_hours), shanghai_)), c.until)
        << c.why;
  }
  EXPECT_TRUE(shanghai_.IsWorkingDay(absl::CivilDay(2026, 10, 10)));
  EXPECT_FALSE(shanghai_.IsWorkingDay(absl::CivilDay(2026, 10, 5)));
  // Working time between Friday 17:00 and Monday 10:00: two hours.
  EXPECT_EQ(WorkingTimeBetween(At("2026-11-06 17:00"), At("2026-11-09 10:00"), shanghai_),
            hours(2));
  EXPECT_EQ(WorkingTimeBetween(At("2026-11-09 10:00"), At("2026-11-06 17:00"), shanghai_),
            hours(0));
  // 24x7 where the policy says so.
  EXPECT_EQ(AddWorkingTime(At("2026-11-07 15:00"), hours(2), always_), At("2026-11-07 17:00"));
}

TEST_F(SlaClockTest, PausesStopTheClock) {
  const TimePoint t0 = At("2026-11-02 10:00");
  // Paused 10:30-11:30: a 2-hour window ends an hour later.
  EXPECT_EQ(DueTime(t0, hours(2), {{At("2026-11-02 10:30"), At("2026-11-02 11:30")}}, always_),
            At("2026-11-02 13:00"));
  // A pause after the due time changes nothing; one before the clock started neither.
  EXPECT_EQ(DueTime(t0, hours(2), {{At("2026-11-02 15:00"), std::nullopt}}, always_),
            At("2026-11-02 12:00"));
  EXPECT_EQ(DueTime(t0, hours(2), {{At("2026-11-01 15:00"), At("2026-11-02 09:00")}}, always_),
            At("2026-11-02 12:00"));
  // While a pause lasts, the clock stands: no due time.
  EXPECT_FALSE(
      DueTime(t0, hours(2), {{At("2026-11-02 11:00"), std::nullopt}}, always_).has_value());
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
      "  office: {time_zone: Asia/Shanghai, hours: '09:00-18:00', weekdays: [mon, tue, wed, thu, "
      "fri],\n"
      "           holidays: [2026-11-09], makeup_days: [2026-11-14]}\n";
  auto policy = SlaPolicy::FromYaml(
      calendars +
      "kinds:\n  visit: {calendar: office, milestones: [{milestone: contact, within: 2h}]}\n"
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
  EXPECT_EQ(error("calendars: {office: {time_zone: Asia/Shanghai, hours: '9-6'}}\nkinds: {r: "
                  "[{milestone: m, within: 1h}]}"),
            "calendar 'office': hours: expected working hours such as 09:00-18:00");
  EXPECT_EQ(error("calendars: {office: {time_zone: Mars/Base, hours: '09:00-18:00'}}\nkinds: {r: "
                  "[{milestone: m, within: 1h}]}"),
            "calendar 'office': time_zone: expected an IANA name such as Asia/Shanghai");
  EXPECT_EQ(
      error("calendars: {office: {time_zone: UTC, hours: '09:00-18:00', holidays: [2026-02-30]}}\n"
            "kinds: {r: [{milestone: m, within: 1h}]}"),
      "calendar 'office': holidays: '2026-02-30' is not a date YYYY-MM-DD");
}

// What the SLA asks for at each moment: the alerts due (once), the next time to look.
class SlaReviewTest : public SlaClockTest {
 protected:
  // Raises what is due at `now` on `t` (as the SLA watch records them): "kind milestone
  // role level" each.
  std::vector<std::string> RaiseAt(v1::Ticket* t, TimePoint now,
                                   std::optional<TimePoint>* next = nullptr) {
    auto review = Review(policy_, *t, now);
    std::vector<std::string> out;
    for (const auto& a : review.raise) {
      *t->add_alerts() = a;
      out.push_back(absl::StrCat(v1::SlaAlertKind_Name(a.kind()).substr(15), " ", a.milestone(),
                                 " ", a.role(), " ", a.level()));
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
  EXPECT_EQ(RaiseAt(&t, *next, &next),
            (std::vector<std::string>{"WARNING general_manager_solution  0"}));
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
            (std::vector<std::string>{
                "WARNING manager_on_site  0", "BREACHED manager_on_site customer_service_manager 1",
                "WARNING director_plan  0", "BREACHED director_plan engineering_director 2"}));
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
  auto major =
      Reclassify(policy_, t, "complaint_major", {{}, "manager-zhao", "structural crack", "rq-1"},
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
  EXPECT_EQ(Reclassify(policy_, t, "complaint_major", {{}, "manager-zhao", "again", "rq-1"}, t0,
                       &replayed)
                ->history_size(),
            t.history_size());
  EXPECT_TRUE(replayed);
  EXPECT_EQ(
      Reclassify(policy_, t, "complaint_general", {{}, "manager-zhao", "", "rq-2"}, t0, &replayed)
          .status()
          .message(),
      "reason is required");
  EXPECT_EQ(Reclassify(policy_, t, "complaint_huge", {{}, "m", "r", "rq-3"}, t0, &replayed)
                .status()
                .message(),
            "kind is unknown; known kinds: " + policy_.KindList());
}

TEST_F(SlaReviewTest, APolicyEditAppliesToOpenTicketsFromTheirHistory) {
  const TimePoint t0 = At("2026-11-02 10:00");
  v1::Ticket t = TicketOf("repair", t0);
  auto edited = *SlaPolicy::FromYaml(
      "warning_share: 0.5\nroles: {boss: {channel: wecom}}\n"
      "kinds: {repair: [{milestone: respond, within: 4h, met_by: acknowledged, escalate_to: "
      "boss}]}");
  auto review = Review(edited, t, t0 + hours(2));
  ASSERT_EQ(review.raise.size(), 1u);
  EXPECT_EQ(review.raise[0].kind(), v1::SLA_ALERT_KIND_WARNING);
  EXPECT_EQ(FromProto(review.raise[0].due_at()), t0 + hours(2));
  review = Review(edited, t, t0 + hours(4));
  ASSERT_EQ(review.raise.size(), 2u);
  EXPECT_EQ(review.raise[1].role(), "boss");
  EXPECT_TRUE(Review(policy_, t, t0 + hours(2)).raise.size() == 2u)
      << "the shipped 2 h: warning and breach";
}

TEST_F(SlaReviewTest, ADeliveryDefectIsAcceptedRectifiedAndReInspected) {
  const TimePoint t0 = At("2026-11-02 10:00");
  v1::Ticket t = TicketOf("delivery_defect", t0);
  Move(&t, v1::TICKET_STATUS_ACKNOWLEDGED, t0 + hours(3));    // accepted into the list
  Move(&t, v1::TICKET_STATUS_IN_PROGRESS, t0 + hours(24));    // rectifying
  Move(&t, v1::TICKET_STATUS_RESOLVED, t0 + hours(24 * 10));  // rectified
  auto review = Review(policy_, t, t0 + hours(24 * 11));
  ASSERT_EQ(review.deadlines.size(), 3u);
  EXPECT_EQ(review.deadlines[0].milestone(), "accept");
  EXPECT_TRUE(review.deadlines[1].has_met_at()) << "rectify: met when resolved";
  EXPECT_FALSE(review.deadlines[2].has_met_at())
      << "re-inspect: met only when closed with the owner";
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
            "2026-11-03 11:00 Tue")
      << "4 working hours a day on the project's calendar";
  t.set_kind("repair");
  EXPECT_EQ(FromProto(Review(*policy, t, At("2026-11-02 09:00")).deadlines[0].due_at()),
            At("2026-11-02 11:00"))
      << "a 24x7 kind stays 24x7";
}

}  // namespace
}  // namespace mot::ticketing
