#include "touchpoint-scheduler/domain/planner.h"

#include "playbook_fixture.h"
#include "touchpoint-scheduler/domain/simulate.h"

namespace mot::scheduler {
namespace {

using std::chrono::hours;

TEST_F(PlaybookTest, ContractSignedPlansTheWaitAndTheHandoverAroundThePlannedDate) {
  auto planned = PlanOk(Signed(t0_));
  auto by = ByStep(planned);
  EXPECT_EQ(by["welcome_after_signing"], std::vector<TimePoint>{t0_});
  EXPECT_EQ(by["sales_stage_survey"], std::vector<TimePoint>{t0_ + Days(7)});
  EXPECT_EQ(by["waiting_stage_survey"], std::vector<TimePoint>{t0_ + Days(240)});
  // Monthly progress reports while waiting: the first in 30 days; each planned when
  // the one before fires.
  ASSERT_EQ(by["construction_progress_monthly"].size(), 1u);
  EXPECT_EQ(by["construction_progress_monthly"][0], t0_ + Days(30));
  // Anchored on planned_handover_date (2027-06-30, the owner's date): the site open
  // day 3 calendar months before, at the start of the contact window.
  EXPECT_EQ(Local(by["site_open_day"].at(0)), "2027-03-30 09:00");
  EXPECT_EQ(Local(by["handover_guide"].at(0)), "2027-06-16 09:00");
  EXPECT_EQ(Local(by["fee_explanation"].at(0)), "2027-06-23 09:00");
  // The move-in cleaning waits for the handover that happens, not the planned date.
  EXPECT_EQ(by.count("move_in_cleaning"), 0u);

  const auto& welcome = planned[0];
  EXPECT_EQ(welcome.touchpoint.step_id(), "welcome_after_signing");
  EXPECT_EQ(welcome.touchpoint.customer_id(), "C-1");
  EXPECT_EQ(welcome.touchpoint.playbook_version(), "2026.11-6plus2");
  notification::v1::SendNotificationCommand cmd;
  ASSERT_TRUE(cmd.ParseFromString(welcome.payload));
  EXPECT_EQ(cmd.command_id(), welcome.touchpoint.id());
  EXPECT_EQ(cmd.template_id(), "welcome_signed");
  EXPECT_EQ(cmd.variables().at("project_id"), "P-SH01");
  EXPECT_EQ(cmd.variables().at("event_date"), "2026-11-01");
  for (const auto& p : planned) {
    if (p.touchpoint.step_id() == "site_open_day") {
      EXPECT_EQ(p.touchpoint.anchor(), "planned_handover_date");
      std::set<std::string> exits(p.touchpoint.exit_on().begin(), p.touchpoint.exit_on().end());
      EXPECT_EQ(exits, (std::set<std::string>{"handover", "handover_refused", "unit_resold",
                                              "customer_opt_out"}));
    }
  }
}

TEST_F(PlaybookTest, ATouchpointForTheOwnerWaitsForTheirContactWindow) {
  // 20:00 UTC is 04:00 the next day in China: the welcome goes at 09:00, and the
  // message says the owner's date.
  auto planned = PlanOk(Signed(t0_ + hours(12)));
  EXPECT_EQ(Local(FromProto(planned[0].touchpoint.due_at())), "2026-11-02 09:00");
  notification::v1::SendNotificationCommand cmd;
  ASSERT_TRUE(cmd.ParseFromString(planned[0].payload));
  EXPECT_EQ(cmd.variables().at("event_date"), "2026-11-02");
  // An owner in New York is reached in New York's window.
  CustomerFacts ny;
  ny.time_zone = "America/New_York";
  planned = PlanOk(Signed(t0_), ny);  // 03:00 in New York
  EXPECT_EQ(
      absl::FormatTime(
          "%H:%M", absl::FromUnixMillis(ToUnixMillis(FromProto(planned[0].touchpoint.due_at()))),
          *LoadZone("America/New_York")),
      "09:00");
}

TEST_F(PlaybookTest, ContactWindowsAcrossMidnightInTheOwnersZone) {
  const ContactWindow day;  // 09:00-20:00
  EXPECT_EQ(Local(IntoWindow(At("2026-11-01 23:30"), shanghai_, day)), "2026-11-02 09:00");
  EXPECT_EQ(Local(IntoWindow(At("2026-11-02 00:30"), shanghai_, day)), "2026-11-02 09:00");
  EXPECT_EQ(Local(IntoWindow(At("2026-11-02 08:59"), shanghai_, day)), "2026-11-02 09:00");
  EXPECT_EQ(Local(IntoWindow(At("2026-11-02 09:00"), shanghai_, day)), "2026-11-02 09:00");
  EXPECT_EQ(Local(IntoWindow(At("2026-11-02 19:59"), shanghai_, day)), "2026-11-02 19:59");
  EXPECT_EQ(Local(IntoWindow(At("2026-11-02 20:00"), shanghai_, day)), "2026-11-03 09:00");
  // Month and year ends roll over.
  EXPECT_EQ(Local(IntoWindow(At("2026-12-31 22:00"), shanghai_, day)), "2027-01-01 09:00");
  // A window that wraps midnight (night shift 20:00-08:00).
  const ContactWindow night{20 * 60, 8 * 60};
  EXPECT_EQ(Local(IntoWindow(At("2026-11-02 12:00"), shanghai_, night)), "2026-11-02 20:00");
  EXPECT_EQ(Local(IntoWindow(At("2026-11-02 07:00"), shanghai_, night)), "2026-11-02 07:00");
  EXPECT_EQ(Local(IntoWindow(At("2026-11-02 23:00"), shanghai_, night)), "2026-11-02 23:00");
  // 23:30 in Shanghai is 10:30 in New York: inside that owner's window.
  const absl::TimeZone ny = *LoadZone("America/New_York");
  EXPECT_EQ(IntoWindow(At("2026-11-01 23:30"), ny, day), At("2026-11-01 23:30"));
}

TEST_F(PlaybookTest, HandoverPlansTheYearsAfterWithTheDomainNumbers) {
  auto by = ByStep(PlanOk(Handover(t0_)));
  const std::map<std::string, hours> expected = {
      {"move_in_congratulations", Days(0)},      {"key_period_visit_7d", Days(7)},
      {"key_period_visit_30d", Days(30)},        {"delivery_stage_survey", Days(45)},
      {"delivery_satisfaction_survey", Days(1)}, {"key_period_visit_60d", Days(60)},
      {"revisit_after_move_in", Days(90)},       {"key_period_close", Days(100)},
      {"first_year_survey", Days(270)},          {"one_year_quality_check", Days(365)},
      {"stable_stage_survey", Days(365 * 2)},    {"veteran_stage_survey", Days(365 * 3 + 180)},
      {"four_year_appointment", Days(365 * 4)},  {"move_in_cleaning", Days(3)}};
  for (const auto& [step, after] : expected) {
    ASSERT_EQ(by[step].size(), 1u) << step;
    EXPECT_EQ(by[step][0] - t0_, after) << step;
  }
  // The warranty notice 30 days before warranty_end_date (the owner's date), 09:00.
  EXPECT_EQ(Local(by["warranty_ending_notice"].at(0)), "2031-10-02 09:00");
  EXPECT_EQ(by.size(), expected.size() + 1) << "a handover step without a test";
}

// An issued survey (survey.created): the invitation with the link at once, and one
// reminder two days before its last day, in the owner's contact window; an answer (or
// a withdrawal) cancels the reminder.
TEST_F(PlaybookTest, ARepairSurveyNamesTheOwnersStageWhenItFallsDue) {
  // A repair closed in the owner's third year after handover: scored under 稳.
  CustomerFacts facts;
  facts.customer_id = "C-1";
  facts.signed_at = t0_ - Days(3 * 365);
  facts.handover_at = t0_ - Days(2 * 365 + 100);
  auto closed = Event("ticket.closed", t0_);
  (*closed.mutable_attributes())["kind"] = "repair";
  (*closed.mutable_attributes())["ticket_id"] = "tk-7";
  auto planned = Plan(playbook_, closed, facts);
  ASSERT_TRUE(planned.ok()) << planned.status();
  ASSERT_EQ(planned->size(), 1u);
  survey::v1::CreateSurveyCommand cmd;
  ASSERT_TRUE(cmd.ParseFromString((*planned)[0].payload));
  EXPECT_EQ(cmd.survey_id(), "repair_satisfaction");
  EXPECT_EQ(cmd.owner_stage(), "STABLE");
  // An owner the scheduler knows nothing of: no stage named.
  auto unknown = Plan(playbook_, closed, {});
  ASSERT_TRUE(unknown.ok());
  ASSERT_TRUE(cmd.ParseFromString((*unknown)[0].payload));
  EXPECT_EQ(cmd.owner_stage(), "");
}

TEST_F(PlaybookTest, AnIssuedSurveyIsInvitedAtOnceAndRemindedTwoDaysBeforeItCloses) {
  auto created = Event("survey.created", t0_);
  (*created.mutable_attributes())["survey_link"] = "https://survey.example.com/s/abc";
  (*created.mutable_attributes())["survey_title"] = "交付满意度调查";
  (*created.mutable_attributes())["survey_expires_date"] = "2026-11-15";
  const auto planned = PlanOk(created);
  auto by = ByStep(planned);
  ASSERT_EQ(by.size(), 2u);
  EXPECT_EQ(by["survey_invitation"].at(0), t0_);
  EXPECT_EQ(Local(by["survey_reminder"].at(0)), "2026-11-13 09:00");
  for (const auto& p : planned) {
    notification::v1::SendNotificationCommand cmd;
    ASSERT_TRUE(cmd.ParseFromString(p.payload));
    EXPECT_EQ(cmd.variables().at("survey_link"), "https://survey.example.com/s/abc");
    EXPECT_EQ(cmd.category(), "survey");
  }
  const Step* reminder = playbook_.FindStep("survey_reminder");
  ASSERT_NE(reminder, nullptr);
  const auto exits = playbook_.ExitsFor(*reminder);
  EXPECT_NE(std::find(exits.begin(), exits.end(), "survey.completed"), exits.end());
  EXPECT_NE(std::find(exits.begin(), exits.end(), "survey.suppressed"), exits.end());
}

TEST_F(PlaybookTest, EveryEventStepWithTheDomainNumbers) {
  auto visit = Event("prospect_visit", t0_);
  (*visit.mutable_attributes())["tier"] = "A";
  auto by = ByStep(PlanOk(visit));
  EXPECT_EQ(by["first_visit_risk_disclosure"], std::vector<TimePoint>{t0_});
  EXPECT_EQ(by["first_visit_follow_up"], std::vector<TimePoint>{t0_});
  ASSERT_EQ(by["tier_a_second_touch"].size(), 1u);
  EXPECT_LE(by["tier_a_second_touch"][0] - t0_, hours(48)) << "tier A: second touch within 48 h";
  EXPECT_EQ(by.count("tier_b_weekly_news"), 0u);

  auto progress = Event("signing_progress", t0_);
  (*progress.mutable_attributes())["node"] = "loan_approval";
  EXPECT_EQ(ByStep(PlanOk(progress))["signing_progress_notice"], std::vector<TimePoint>{t0_});
  EXPECT_EQ(
      ByStep(PlanOk(Event("construction_progress", t0_)))["construction_progress_notice"].size(),
      1u);
  EXPECT_EQ(ByStep(PlanOk(Event("design_change", t0_)))["design_change_notice"].size(), 1u);
  auto policy = Event("policy_change", t0_ + hours(6));  // 22:00 local
  (*policy.mutable_attributes())["effective_date"] = "2026-11-10";
  // Told at once, outside the contact window too: it may be the last 24 h.
  EXPECT_EQ(ByStep(PlanOk(policy))["policy_change_notice"], std::vector<TimePoint>{t0_ + hours(6)});
  auto refused = Event("handover_refused", t0_);
  (*refused.mutable_attributes())["reason"] = "quality";
  EXPECT_EQ(ByStep(PlanOk(refused))["refused_handover_follow_up"], std::vector<TimePoint>{t0_});
  // A complaint opens a ticket of its severity, with its category.
  for (const auto& [severity, kind] :
       {std::pair{"major", "complaint_major"}, std::pair{"general", "complaint_general"}}) {
    auto complaint = Event("complaint_filed", t0_);
    (*complaint.mutable_attributes())["severity"] = severity;
    (*complaint.mutable_attributes())["category"] = "wall";
    auto planned = PlanOk(complaint);
    ASSERT_EQ(planned.size(), 1u) << severity;
    ticketing::v1::OpenTicketCommand ticket;
    ASSERT_TRUE(ticket.ParseFromString(planned[0].payload));
    EXPECT_EQ(ticket.kind(), kind);
    EXPECT_EQ(ticket.category(), "wall");
  }
  // A defect found at handover: class A/B to rectification (accept, rectify,
  // re-inspect), class C fixed on the spot; its code goes to the defect library.
  for (const auto& [cls, kind] :
       {std::pair{"B", "delivery_defect"}, std::pair{"C", "delivery_defect_c"}}) {
    auto defect = Event("handover_defect_found", t0_);
    (*defect.mutable_attributes())["defect_class"] = cls;
    (*defect.mutable_attributes())["defect_code"] = "GC02";
    auto planned = PlanOk(defect);
    ASSERT_EQ(planned.size(), 1u) << cls;
    ticketing::v1::OpenTicketCommand ticket;
    ASSERT_TRUE(ticket.ParseFromString(planned[0].payload));
    EXPECT_EQ(ticket.kind(), kind);
    EXPECT_EQ(ticket.defect_code(), "GC02");
  }
  auto classless = Event("handover_defect_found", t0_);
  EXPECT_EQ(Plan(playbook_, classless, {}).status().message(),
            "attribute 'defect_class' (needed by step 'handover_defect_rectification') is missing");
}

TEST_F(PlaybookTest, RepairRequestOpensARepairTicket) {
  auto e = Event("repair_requested", t0_);
  (*e.mutable_attributes())["problem"] = "卫生间墙面渗水";
  auto planned = PlanOk(e);
  ASSERT_EQ(planned.size(), 1u);
  ticketing::v1::OpenTicketCommand cmd;
  ASSERT_TRUE(cmd.ParseFromString(planned[0].payload));
  EXPECT_EQ(cmd.kind(), "repair");
  EXPECT_EQ(cmd.summary(), "卫生间墙面渗水");
  EXPECT_EQ(FromProto(cmd.requested_at()), t0_);
  EXPECT_TRUE(PlanOk(Event("unknown_event", t0_)).empty());
}

TEST_F(PlaybookTest, SameEventPlansSameIds) {
  auto a = PlanOk(Signed(t0_));
  auto b = PlanOk(Signed(t0_));
  ASSERT_EQ(a.size(), b.size());
  std::set<std::string> ids;
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].touchpoint.id(), b[i].touchpoint.id());
    ids.insert(a[i].touchpoint.id());
  }
  EXPECT_EQ(ids.size(), a.size()) << "every occurrence has its own id";
  auto other = Signed(t0_);
  other.set_event_id("ev-2");
  EXPECT_NE(PlanOk(other)[0].touchpoint.id(), a[0].touchpoint.id());
}

TEST_F(PlaybookTest, TiersBranchAndRecurrenceStopsAtItsLimit) {
  auto visit = Event("prospect_visit", t0_);
  (*visit.mutable_attributes())["tier"] = "B";
  auto planned = PlanOk(visit);
  auto by = ByStep(planned);
  ASSERT_EQ(by["tier_b_weekly_news"].size(), 1u) << "the first; the next when it fires";
  std::optional<PlannedTouchpoint> news;
  for (const auto& p : planned) {
    if (p.touchpoint.step_id() == "tier_b_weekly_news") news = p;
  }
  std::set<std::string> ids;
  int occurrences = 0;
  for (; news; news = NextOccurrence(*news)) {
    EXPECT_EQ(FromProto(news->touchpoint.due_at()), t0_ + Days(7 * (occurrences + 1)));
    notification::v1::SendNotificationCommand cmd;
    ASSERT_TRUE(cmd.ParseFromString(news->payload));
    EXPECT_EQ(cmd.command_id(), news->touchpoint.id()) << "each occurrence its own command";
    EXPECT_EQ(FromProto(cmd.requested_at()), FromProto(news->touchpoint.due_at()));
    ids.insert(news->touchpoint.id());
    ASSERT_LT(++occurrences, 100);
  }
  EXPECT_EQ(occurrences, 8) << "weekly, at most 8";
  EXPECT_EQ(ids.size(), 8u);
  // Until an exit: signing after the third stops the rest.
  auto signed_at = Signed(t0_ + Days(22));
  auto journey = Simulate(playbook_, {}, {visit, signed_at}, t0_ + Days(100));
  ASSERT_TRUE(journey.ok()) << journey.status();
  int sent = 0, cancelled = 0;
  for (const auto& tp : *journey) {
    if (tp.step_id() != "tier_b_weekly_news") continue;
    sent += tp.status() == v1::TOUCHPOINT_STATUS_DISPATCHED;
    cancelled += tp.status() == v1::TOUCHPOINT_STATUS_CANCELLED;
  }
  EXPECT_EQ(sent, 3);
  EXPECT_EQ(cancelled, 1);
  EXPECT_EQ(by.count("tier_a_second_touch"), 0u);
  (*visit.mutable_attributes())["tier"] = "C";
  by = ByStep(PlanOk(visit));
  EXPECT_EQ(by["tier_c_community_invite"].size(), 1u);
  EXPECT_EQ(by.count("tier_b_weekly_news"), 0u);
  // The profile's tier counts when the event names none... but the steps require it.
  visit.mutable_attributes()->erase("tier");
  EXPECT_EQ(Plan(playbook_, visit).status().message(),
            "attribute 'tier' (needed by step 'tier_a_second_touch') is missing");
}

TEST_F(PlaybookTest, AMissingOrMalformedAttributeNamesItNeverItsValue) {
  auto e = Event("contract_signed", t0_);
  EXPECT_EQ(
      Plan(playbook_, e).status().message(),
      "attribute 'planned_handover_date' (needed by step 'welcome_after_signing') is missing");
  (*e.mutable_attributes())["planned_handover_date"] = "13800138000";
  auto s = Plan(playbook_, e).status();
  EXPECT_EQ(s.message(),
            "attribute 'planned_handover_date' (needed by step 'welcome_after_signing') is not a "
            "date YYYY-MM-DD");
  (*e.mutable_attributes())["planned_handover_date"] = "2027-02-30";
  EXPECT_FALSE(Plan(playbook_, e).ok()) << "no 30 February";
  auto visit = Event("prospect_visit", t0_);
  (*visit.mutable_attributes())["tier"] = "VIP-13800138000";
  s = Plan(playbook_, visit).status();
  EXPECT_EQ(s.message(),
            "attribute 'tier' (needed by step 'tier_a_second_touch') is not one of A|B|C");
  auto handover = Event("handover", t0_);
  EXPECT_NE(std::string(Plan(playbook_, handover).status().message()).find("'warranty_end_date'"),
            std::string::npos);
}

TEST_F(PlaybookTest, ExitsCancelWhatIsPendingWithTheReasonExceptLegalNotices) {
  const auto* site = playbook_.FindStep("site_open_day");
  const auto* fee = playbook_.FindStep("fee_explanation");
  ASSERT_NE(site, nullptr);
  ASSERT_NE(fee, nullptr);
  auto exits = playbook_.ExitsFor(*fee);
  EXPECT_NE(std::find(exits.begin(), exits.end(), "handover_refused"), exits.end());
  EXPECT_EQ(std::find(exits.begin(), exits.end(), "unit_resold"), exits.end())
      << "legal notices stay";
  EXPECT_TRUE(playbook_.Cancels("handover_refused"));
  EXPECT_TRUE(playbook_.Cancels("unit_resold"));
  EXPECT_TRUE(playbook_.Cancels("customer_opt_out"));
  EXPECT_FALSE(playbook_.Cancels("repair_requested"));

  auto refused = Event("handover_refused", t0_ + Days(60));
  refused.set_event_id("ev-refused");
  auto journey = Simulate(playbook_, {}, {Signed(t0_), refused}, t0_ + Days(400));
  ASSERT_TRUE(journey.ok()) << journey.status();
  std::map<std::string, v1::Touchpoint> by;
  for (const auto& tp : *journey) by[tp.step_id()] = tp;
  for (const char* step :
       {"site_open_day", "handover_guide", "fee_explanation", "construction_progress_monthly"}) {
    EXPECT_EQ(by[step].status(), v1::TOUCHPOINT_STATUS_CANCELLED) << step;
    EXPECT_EQ(by[step].outcome(), "cancelled: handover_refused (event ev-refused)") << step;
  }
  EXPECT_EQ(by["refused_handover_follow_up"].status(), v1::TOUCHPOINT_STATUS_DISPATCHED);
  EXPECT_EQ(by["welcome_after_signing"].status(), v1::TOUCHPOINT_STATUS_DISPATCHED)
      << "sent before";

  // A resold unit: everything pending goes, except legal and safety notices.
  auto resold = Event("unit_resold", t0_ + Days(100));
  journey = Simulate(playbook_, {}, {Signed(t0_), resold}, t0_ + Days(400));
  ASSERT_TRUE(journey.ok());
  by.clear();
  for (const auto& tp : *journey) by[tp.step_id()] = tp;
  EXPECT_EQ(by["site_open_day"].status(), v1::TOUCHPOINT_STATUS_CANCELLED);
  EXPECT_EQ(by["waiting_stage_survey"].status(), v1::TOUCHPOINT_STATUS_CANCELLED);
  EXPECT_EQ(by["fee_explanation"].status(), v1::TOUCHPOINT_STATUS_DISPATCHED) << "a legal notice";
}

TEST_F(PlaybookTest, ARescheduledHandoverMovesWhatIsAnchoredOnIt) {
  auto moved = Event("handover_rescheduled", t0_ + Days(10));
  (*moved.mutable_attributes())["planned_handover_date"] = "2027-09-30";
  auto moves = Reanchor(playbook_, moved, {});
  ASSERT_TRUE(moves.ok()) << moves.status();
  EXPECT_EQ(Local(moves->at("site_open_day")), "2027-06-30 09:00");
  EXPECT_EQ(Local(moves->at("handover_guide")), "2027-09-16 09:00");
  EXPECT_EQ(moves->count("move_in_cleaning"), 0u) << "3 days after the handover itself";
  EXPECT_EQ(moves->count("welcome_after_signing"), 0u) << "not anchored";
  EXPECT_EQ(moves->count("warranty_ending_notice"), 0u) << "anchored on another date";

  auto journey = Simulate(playbook_, {}, {Signed(t0_), moved}, t0_ + Days(30));
  ASSERT_TRUE(journey.ok());
  for (const auto& tp : *journey) {
    if (tp.step_id() != "site_open_day") continue;
    EXPECT_EQ(Local(FromProto(tp.previous_due_at())), "2027-03-30 09:00");
    EXPECT_EQ(Local(FromProto(tp.due_at())), "2027-06-30 09:00");
    EXPECT_EQ(tp.status(), v1::TOUCHPOINT_STATUS_SCHEDULED);
  }
  (*moved.mutable_attributes())["planned_handover_date"] = "soon";
  EXPECT_EQ(Reanchor(playbook_, moved, {}).status().message(),
            "attribute 'planned_handover_date' (the date handover_rescheduled moves) is not a date "
            "YYYY-MM-DD");
}

TEST(ValidateEvent, NamesTheMissingField) {
  const TimePoint now = FromUnixMillis(1'793'520'000'000);
  lifecycle::v1::LifecycleEvent e;
  EXPECT_EQ(ValidateEvent(e, now, {}).message(), "event_id is required");
  e.set_event_id("ev");
  e.set_type("handover");
  EXPECT_EQ(ValidateEvent(e, now, {}).message(), "customer_id is required");
  e.set_customer_id("C");
  EXPECT_EQ(ValidateEvent(e, now, {}).message(), "occurred_at is required");
}

TEST(ValidateEvent, RefusesTimesOutsideTheWindow) {
  const TimePoint now = FromUnixMillis(1'793'520'000'000);
  lifecycle::v1::LifecycleEvent e = Event("handover", now);
  EventWindow window;  // 30 years back, a day ahead
  EXPECT_TRUE(ValidateEvent(e, now, window).ok());
  e.mutable_occurred_at()->set_seconds(253402214400);  // 9999-12-31: once planned at 1816
  EXPECT_EQ(ValidateEvent(e, now, window).message(),
            "occurred_at 9999-12-31T00:00:00Z is too far in the future");
  e.mutable_occurred_at()->set_seconds(-62135596800);  // 0001-01-01
  EXPECT_EQ(ValidateEvent(e, now, window).message(),
            "occurred_at 0001-01-01T00:00:00Z is too far in the past");
  *e.mutable_occurred_at() = ToProto(now + hours(23));
  EXPECT_TRUE(ValidateEvent(e, now, window).ok());
  *e.mutable_occurred_at() = ToProto(now + hours(25));
  EXPECT_FALSE(ValidateEvent(e, now, window).ok());
  *e.mutable_occurred_at() = ToProto(now - hours(24 * 365 * 29));
  EXPECT_TRUE(ValidateEvent(e, now, window).ok());
  e.mutable_occurred_at()->set_seconds(INT64_MAX);  // no overflow anywhere
  EXPECT_FALSE(ValidateEvent(e, now, window).ok());
  e.mutable_occurred_at()->set_seconds(INT64_MIN);
  EXPECT_FALSE(ValidateEvent(e, now, window).ok());
}

}  // namespace
}  // namespace mot::scheduler
