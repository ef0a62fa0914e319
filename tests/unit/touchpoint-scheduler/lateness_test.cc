// A moment that has passed stays passed: touchpoints planned after their due time,
// against the shipped playbook's lateness limits.
#include "touchpoint-scheduler/domain/lateness.h"

#include "mot/common/ids.h"
#include "playbook_fixture.h"

namespace mot::scheduler {
namespace {

using std::chrono::hours;
constexpr auto kDay = hours(24);

class LatenessTest : public PlaybookTest {
 protected:
  // What the scheduler keeps of `event` heard at `now`, by step (the last occurrence of
  // a step where there are two: the skipped one and the one still in time).
  std::map<std::string, std::vector<v1::Touchpoint>> Heard(const lifecycle::v1::LifecycleEvent& e,
                                                           TimePoint now,
                                                           CustomerFacts facts = {}) {
    auto planned = Plan(playbook_, e, facts);
    EXPECT_TRUE(planned.ok()) << planned.status();
    ApplyEvent(playbook_, e, &facts);
    std::map<std::string, std::vector<v1::Touchpoint>> by_step;
    for (auto& p : ApplyLateness(playbook_, *std::move(planned), facts, now)) {
      if (p.touchpoint.status() == v1::TOUCHPOINT_STATUS_SKIPPED) {
        EXPECT_TRUE(p.payload.empty()) << "a skipped touchpoint carries no command";
      }
      by_step[p.touchpoint.step_id()].push_back(p.touchpoint);
    }
    return by_step;
  }
  lifecycle::v1::LifecycleEvent Handover(TimePoint at) {
    auto e = Event("handover", at);
    (*e.mutable_attributes())["warranty_end_date"] = "2036-06-30";
    return e;
  }
  CustomerFacts Signed(TimePoint at) {
    CustomerFacts f;
    f.customer_id = "C-1";
    f.signed_at = at;
    return f;
  }
};

TEST_F(LatenessTest, AnEventHeardWhenItHappensSkipsNothing) {
  for (const auto& [step, tps] : Heard(Handover(t0_), t0_, Signed(t0_ - kDay * 400))) {
    for (const auto& tp : tps) EXPECT_EQ(tp.status(), v1::TOUCHPOINT_STATUS_SCHEDULED) << step;
  }
}

TEST_F(LatenessTest, AHandoverTwoYearsAgoSendsNothingStaleAndKeepsWhatIsAhead) {
  const TimePoint handed = t0_ - kDay * (730 + 100);  // two years and 100 days ago
  auto by = Heard(Handover(handed), t0_, Signed(handed - kDay * 400));
  ASSERT_EQ(by["move_in_congratulations"].size(), 1u);
  const auto& congrats = by["move_in_congratulations"][0];
  EXPECT_EQ(congrats.status(), v1::TOUCHPOINT_STATUS_SKIPPED);
  EXPECT_EQ(congrats.outcome().rfind("due 2024-07-24, 830 days before the mesh heard of it", 0), 0u)
      << congrats.outcome();
  for (const char* stale :
       {"key_period_visit_7d", "key_period_visit_30d", "key_period_close",
        "delivery_satisfaction_survey", "delivery_stage_survey", "revisit_after_move_in",
        "first_year_survey", "one_year_quality_check", "stable_stage_survey"}) {
    ASSERT_EQ(by[stale].size(), 1u) << stale;
    EXPECT_EQ(by[stale][0].status(), v1::TOUCHPOINT_STATUS_SKIPPED) << stale;
  }
  // Ahead: the 老 survey (3.5 years), the +2 review (4 years) and the warranty notice.
  for (const char* ahead :
       {"veteran_stage_survey", "four_year_appointment", "warranty_ending_notice"}) {
    ASSERT_EQ(by[ahead].size(), 1u) << ahead;
    EXPECT_EQ(by[ahead][0].status(), v1::TOUCHPOINT_STATUS_SCHEDULED) << ahead;
    EXPECT_GT(FromProto(by[ahead][0].due_at()), t0_) << ahead;
  }
}

TEST_F(LatenessTest, AnOwnersRequestPublishedLateIsStillServed) {
  auto repair = Event("repair_requested", t0_ - kDay * 8);
  auto late = Heard(repair, t0_);
  ASSERT_EQ(late["repair_ticket"].size(), 1u);
  EXPECT_EQ(late["repair_ticket"][0].status(), v1::TOUCHPOINT_STATUS_SCHEDULED)
      << "eight days late: the ticket still opens";
  repair.mutable_occurred_at()->set_seconds(ToProto(t0_ - kDay * 400).seconds());
  EXPECT_EQ(Heard(repair, t0_)["repair_ticket"][0].status(), v1::TOUCHPOINT_STATUS_SKIPPED)
      << "a request from last year in a history import is not reopened";
}

TEST_F(LatenessTest, AStepDueWheneverItIsIsNeverStale) {
  const TimePoint handed = t0_ - kDay * (5 * 365);  // the +2 review was due a year ago
  auto by = Heard(Handover(handed), t0_, Signed(handed - kDay * 400));
  ASSERT_EQ(by["four_year_appointment"].size(), 1u);
  EXPECT_EQ(by["four_year_appointment"][0].status(), v1::TOUCHPOINT_STATUS_SCHEDULED)
      << "max_lateness: never";
}

TEST_F(LatenessTest, AStageSurveyIsSkippedOnceItsStageIsOverHoweverLittleLate) {
  // 准1 (six months from signing) surveyed 7 days after signing: heard 190 days after
  // the signing, the owner is in 准2: skipped, though the stage is the reason.
  auto signing = Event("contract_signed", t0_ - kDay * 190);
  (*signing.mutable_attributes())["planned_handover_date"] = "2028-06-30";
  auto late = Heard(signing, t0_);
  ASSERT_EQ(late["sales_stage_survey"].size(), 1u);
  EXPECT_EQ(late["sales_stage_survey"][0].status(), v1::TOUCHPOINT_STATUS_SKIPPED);
  EXPECT_NE(late["sales_stage_survey"][0].outcome().find("in PROSPECT_1, a stage over"),
            std::string::npos)
      << late["sales_stage_survey"][0].outcome();
  // Heard 20 days after the signing: 13 days late, still in 准1: it goes out.
  signing.mutable_occurred_at()->set_seconds(ToProto(t0_ - kDay * 20).seconds());
  EXPECT_EQ(Heard(signing, t0_)["sales_stage_survey"][0].status(), v1::TOUCHPOINT_STATUS_SCHEDULED);
}

TEST_F(LatenessTest, AStageSurveyStillInItsStageHasItsOwnLimit) {
  // 磨1 surveyed 45 days after handover; 磨1 lasts six months. Five days late: sent;
  // 55 days late, in 磨1 still: past its 30 days, skipped.
  auto soon = Heard(Handover(t0_ - kDay * 50), t0_, Signed(t0_ - kDay * 450));
  EXPECT_EQ(soon["delivery_stage_survey"][0].status(), v1::TOUCHPOINT_STATUS_SCHEDULED);
  auto later = Heard(Handover(t0_ - kDay * 100), t0_, Signed(t0_ - kDay * 500));
  EXPECT_EQ(later["delivery_stage_survey"][0].status(), v1::TOUCHPOINT_STATUS_SKIPPED);
  EXPECT_NE(later["delivery_stage_survey"][0].outcome().find("55 days before the mesh heard"),
            std::string::npos)
      << later["delivery_stage_survey"][0].outcome();
}

TEST_F(LatenessTest, ARecurringStepSkipsItsStaleOccurrencesAndKeepsTheNextInTime) {
  // Monthly progress from 30 days after signing: heard 100 days after it, the
  // occurrences at 30, 60 and 90 days are stale; the one at 120 days is planned.
  auto signing = Event("contract_signed", t0_ - kDay * 100);
  (*signing.mutable_attributes())["planned_handover_date"] = "2028-06-30";
  auto by = Heard(signing, t0_);
  const auto& monthly = by["construction_progress_monthly"];
  ASSERT_EQ(monthly.size(), 2u);
  EXPECT_EQ(monthly[0].status(), v1::TOUCHPOINT_STATUS_SKIPPED);
  EXPECT_NE(monthly[0].outcome().find("3 of 36 occurrences passed"), std::string::npos)
      << monthly[0].outcome();
  EXPECT_EQ(monthly[1].status(), v1::TOUCHPOINT_STATUS_SCHEDULED);
  EXPECT_EQ(monthly[1].occurrence(), 3);
  EXPECT_EQ(monthly[1].id(), DeterministicId("tp", {"ev-1", "construction_progress_monthly", "3"}))
      << "the id the dispatcher would have given it";
  EXPECT_GT(FromProto(monthly[1].due_at()), t0_);
}

}  // namespace
}  // namespace mot::scheduler
