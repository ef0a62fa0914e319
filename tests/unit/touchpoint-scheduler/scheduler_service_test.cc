#include "touchpoint-scheduler/app/scheduler_service.h"

#include "scheduler_app_fixture.h"
#include "touchpoint-scheduler/domain/template_check.h"

namespace mot::scheduler {
namespace {

using std::chrono::hours;

TEST_F(SchedulerAppTest, ManagersCancelAndRescheduleWithAReasonNamingWhoAsked) {
  ASSERT_TRUE(handler_.Handle(EventMessage("contract_signed", kNow), publisher_).ok());
  SchedulerGrpc grpc(live_, store_, publisher_, clock_, PlanningLimits{}, *metrics_, 100);
  grpc::ServerContext ctx;
  auto by = ByStep();
  v1::CancelTouchpointRequest cancel;
  cancel.set_customer_id("C-1");
  cancel.set_touchpoint_id(by["site_open_day"].id());
  cancel.set_reason("open day called off");
  v1::Touchpoint tp;
  auto s = grpc.CancelTouchpoint(&ctx, &cancel, &tp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(s.error_message(), "requested_by is required");
  cancel.set_requested_by("manager-li");
  ASSERT_TRUE(grpc.CancelTouchpoint(&ctx, &cancel, &tp).ok());
  EXPECT_EQ(tp.status(), v1::TOUCHPOINT_STATUS_CANCELLED);
  EXPECT_EQ(tp.outcome(), "cancelled by manager-li: open day called off");
  s = grpc.CancelTouchpoint(&ctx, &cancel, &tp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  cancel.set_touchpoint_id(by["welcome_after_signing"].id());  // sent already
  EXPECT_EQ(grpc.CancelTouchpoint(&ctx, &cancel, &tp).error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);
  cancel.set_touchpoint_id("tp-none");
  EXPECT_EQ(grpc.CancelTouchpoint(&ctx, &cancel, &tp).error_code(), grpc::StatusCode::NOT_FOUND);

  v1::RescheduleTouchpointRequest move;
  move.set_customer_id("C-1");
  move.set_touchpoint_id(by["handover_guide"].id());
  move.set_reason("owner abroad");
  move.set_requested_by("manager-li");
  EXPECT_EQ(grpc.RescheduleTouchpoint(&ctx, &move, &tp).error_message(), "due_at is required");
  *move.mutable_due_at() = ToProto(kNow - hours(1));
  EXPECT_EQ(grpc.RescheduleTouchpoint(&ctx, &move, &tp).error_message(), "due_at is in the past");
  *move.mutable_due_at() = ToProto(kNow + hours(24 * 300));
  ASSERT_TRUE(grpc.RescheduleTouchpoint(&ctx, &move, &tp).ok());
  EXPECT_EQ(FromProto(tp.due_at()), kNow + hours(24 * 300));
  EXPECT_EQ(tp.previous_due_at().seconds(), by["handover_guide"].due_at().seconds());

  // The journey a page at a time.
  v1::GetJourneyRequest page_req;
  page_req.set_customer_id("C-1");
  page_req.set_page_size(3);
  v1::GetJourneyResponse page;
  ASSERT_TRUE(grpc.GetJourney(&ctx, &page_req, &page).ok());
  EXPECT_EQ(page.touchpoints_size(), 3);
  EXPECT_EQ(page.total(), 7);
  EXPECT_EQ(page.stage(), "PROSPECT_1");
  int seen = page.touchpoints_size();
  while (!page.next_page_token().empty()) {
    page_req.set_page_token(page.next_page_token());
    page.Clear();
    ASSERT_TRUE(grpc.GetJourney(&ctx, &page_req, &page).ok());
    seen += page.touchpoints_size();
  }
  EXPECT_EQ(seen, page.total());
  page_req.set_page_token("x");
  EXPECT_EQ(grpc.GetJourney(&ctx, &page_req, &page).error_message(),
            "page_token is not one this service gave out");
  page_req.clear_page_token();
  page_req.set_page_size(-1);
  EXPECT_EQ(grpc.GetJourney(&ctx, &page_req, &page).error_message(),
            "page_size must not be negative");
  // MOT_LIST_PAGE_SIZE_MAX bounds a page, asked for or not.
  SchedulerGrpc small(live_, store_, publisher_, clock_, PlanningLimits{}, *metrics_, 2);
  for (int asked : {0, 500}) {
    page_req.set_page_size(asked);
    page.Clear();
    ASSERT_TRUE(small.GetJourney(&ctx, &page_req, &page).ok());
    EXPECT_EQ(page.touchpoints_size(), 2) << "asked for " << asked;
    EXPECT_EQ(page.next_page_token(), "2");
  }

  v1::GetStageRequest stage_req;
  stage_req.set_customer_id("C-1");
  *stage_req.mutable_at() = ToProto(kNow + hours(24 * 200));
  v1::GetStageResponse stage;
  ASSERT_TRUE(grpc.GetStage(&ctx, &stage_req, &stage).ok());
  EXPECT_EQ(stage.stage(), "PROSPECT_2");
}

TEST_F(SchedulerAppTest, ValidatePlaybookChecksTheTemplatesAsAReloadDoes) {
  const auto uses = *TemplateUsesFromYaml(testkit::ShippedConfig("templates.yaml"));
  LivePlaybook checked(playbook_, "", "",
                       [uses](const Playbook& pb) { return CheckTemplates(pb, uses); });
  SchedulerGrpc grpc(checked, store_, publisher_, clock_, PlanningLimits{}, *metrics_, 100);
  grpc::ServerContext ctx;
  v1::ValidatePlaybookRequest v;
  v.set_playbook(testkit::ShippedConfig("playbook.yaml"));
  v.set_file_name("playbook.yaml");
  v1::ValidatePlaybookResponse vr;
  ASSERT_TRUE(grpc.ValidatePlaybook(&ctx, &v, &vr).ok());
  EXPECT_TRUE(vr.valid()) << vr.error();
  v.set_playbook(v.playbook() +
                 "\n  - {id: late_news, title: N, on: handover, after: 1d, "
                 "action: {service: notification, template: signing_progress}}\n");
  ASSERT_TRUE(grpc.ValidatePlaybook(&ctx, &v, &vr).ok());
  EXPECT_FALSE(vr.valid());
  EXPECT_EQ(vr.error(),
            "playbook.yaml: step 'late_news': template 'signing_progress' uses {node}, which its "
            "event need not carry (add node to the step's requires)");
}

TEST_F(SchedulerAppTest, ValidateAndSimulateAPlaybookWithNoSideEffect) {
  SchedulerGrpc grpc(live_, store_, publisher_, clock_, PlanningLimits{}, *metrics_, 100);
  grpc::ServerContext ctx;
  v1::ValidatePlaybookRequest v;
  v.set_playbook(testkit::ShippedConfig("playbook.yaml"));
  v.set_file_name("playbook.yaml");
  v1::ValidatePlaybookResponse vr;
  ASSERT_TRUE(grpc.ValidatePlaybook(&ctx, &v, &vr).ok());
  EXPECT_TRUE(vr.valid());
  EXPECT_EQ(vr.version(), "2026.11-6plus2");
  v.set_playbook(
      "stages: {prospect_1: 6mo, runin_1: 6mo, runin_2: 12mo, stable: 3y}\n"
      "steps: [{id: a, title: A, on: x, after: 3 days, action: {service: ticketing, kind: k}}]");
  ASSERT_TRUE(grpc.ValidatePlaybook(&ctx, &v, &vr).ok());
  EXPECT_FALSE(vr.valid());
  EXPECT_EQ(vr.error().rfind("playbook.yaml: step 'a': after: ", 0), 0u) << vr.error();

  v1::SimulateJourneyRequest sim;
  lifecycle::v1::LifecycleEvent* e = sim.add_events();
  ASSERT_TRUE(e->ParseFromString(EventMessage("contract_signed", kNow).payload));
  v1::SimulateJourneyResponse sr;
  ASSERT_TRUE(grpc.SimulateJourney(&ctx, &sim, &sr).ok());
  EXPECT_GT(sr.touchpoints_size(), 40) << "the monthly reports until the four-year review";
  EXPECT_EQ(sr.playbook_version(), "2026.11-6plus2");
  EXPECT_TRUE(store_.Journey("C-1")->empty()) << "no side effect";
  EXPECT_TRUE(publisher_.sent.empty());
  sim.add_events()->set_type("handover");
  EXPECT_EQ(grpc.SimulateJourney(&ctx, &sim, &sr).error_message(),
            "events[1].occurred_at is required");
}

}  // namespace
}  // namespace mot::scheduler
