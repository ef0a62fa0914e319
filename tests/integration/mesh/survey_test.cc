// Surveys: answers by agents and owners, fatigue, the page's answers, scores and the
// team KPI.
#include <cstdio>
#include <cstdlib>
#include <map>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "absl/time/time.h"
#include "mesh/fixture.h"
#include "mot/common/ids.h"
#include "mot/common/topics.h"

namespace mot {
namespace {

// Answers through SubmitResponse (as a hotline agent records them): checked against the
// survey, once, counted into the project's running scores for the month; a detractor's
// answer is published as DETRACTOR; an expired survey takes none.
class SurveyTest : public MeshTest {
 protected:
  // A survey instance for a new owner of `project`, once the survey service has it.
  survey::v1::SurveyInstance Issue(const std::string& project, const std::string& survey_id,
                                   const std::string& customer = "") {
    survey::v1::CreateSurveyCommand cmd;
    cmd.set_command_id(Unique("cmd-sv-"));
    cmd.set_customer_id(customer.empty() ? Unique("C-SV-") : customer);
    cmd.set_survey_id(survey_id);
    cmd.set_project_id(project);
    *cmd.mutable_requested_at() = ToProto(Now());
    EXPECT_TRUE(
        producer_->Publish(kSurveyCommandsTopic, cmd.customer_id(), cmd.SerializeAsString()).ok());
    const std::string id = DeterministicId("sv", {cmd.command_id()});
    survey::v1::SurveyInstance instance;
    const auto issued = [&] {
      const auto list = Surveys(cmd.customer_id());
      for (const auto& s : list.instances()) {
        if (s.id() == id) instance = s;
      }
      return !instance.id().empty();
    };
    if (Eventually(issued, seconds(30), "the instance issued")) return instance;
    ADD_FAILURE() << "no instance";
    return {};
  }
  grpc::Status Submit(const std::string& instance,
                      const std::map<std::string, survey::v1::Answer>& answers,
                      survey::v1::SubmitResponseResponse* resp) {
    grpc::ClientContext ctx;
    survey::v1::SubmitResponseRequest req;
    req.set_instance_id(instance);
    req.set_actor("agent-zhou");
    for (const auto& [k, v] : answers) (*req.mutable_answers())[k] = v;
    return stub_->SubmitResponse(&ctx, req, resp);
  }
  static survey::v1::Answer Score(int v) {
    survey::v1::Answer a;
    a.set_score(v);
    return a;
  }
  static survey::v1::Answer Pair(int e, int p) {
    survey::v1::Answer a;
    a.set_expectation(e);
    a.set_perception(p);
    return a;
  }
  void SetUp() override {
    MeshTest::SetUp();
    stub_ = survey::v1::SurveyService::NewStub(testkit::MeshChannel(env_, "MOT_SURVEY_ADDR"));
  }
  std::unique_ptr<survey::v1::SurveyService::Stub> stub_;
};

TEST_F(SurveyTest, AHotlineAnswerIsCheckedCountedOnceAndADetractorIsAnnounced) {
  const std::string project = Unique("P-SV-");
  const auto instance = Issue(project, "repair_satisfaction");
  ASSERT_FALSE(instance.id().empty());
  // The link lets its holder answer as the owner: agents see it, readers do not.
  EXPECT_FALSE(instance.link().empty());
  {
    auto reader = survey::v1::SurveyService::NewStub(
        testkit::MeshChannel(env_, "MOT_SURVEY_ADDR", "MOT_TOKEN_READER"));
    grpc::ClientContext ctx;
    survey::v1::GetSurveyInstanceRequest get;
    get.set_instance_id(instance.id());
    survey::v1::GetSurveyInstanceResponse shown;
    ASSERT_TRUE(reader->GetSurveyInstance(&ctx, get, &shown).ok());
    EXPECT_EQ(shown.instance().id(), instance.id());
    EXPECT_TRUE(shown.instance().link().empty()) << shown.instance().link();
  }
  EXPECT_EQ(instance.project_id(), project);
  survey::v1::SubmitResponseResponse resp;
  auto s = Submit(instance.id(), {}, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(s.error_message(), "answers.on_time: an answer is required");
  s = Submit(instance.id(),
             {{"on_time", Pair(7, 2)},
              {"first_time", Pair(6, 6)},
              {"overall", Score(9)},
              {"recommend", Score(3)}},
             &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(s.error_message(), "answers.overall: expected a score from 1 to 5");

  const std::map<std::string, survey::v1::Answer> answers = {{"on_time", Pair(7, 2)},
                                                             {"first_time", Pair(6, 6)},
                                                             {"overall", Score(2)},
                                                             {"recommend", Score(3)}};
  s = Submit(instance.id(), answers, &resp);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(resp.instance().status(), survey::v1::SURVEY_STATUS_COMPLETED);
  EXPECT_EQ(resp.response().actor(), "agent-zhou");
  EXPECT_EQ(resp.response().caller(), "mesh-operator");  // the all-scopes token's subject
  EXPECT_EQ(std::vector<std::string>(resp.response().detractor_reasons().begin(),
                                     resp.response().detractor_reasons().end()),
            (std::vector<std::string>{"csat:overall", "nps:recommend", "gap:responsiveness"}));
  // The same answers again: the first answer, counted once; other answers: refused.
  survey::v1::SubmitResponseResponse again;
  ASSERT_TRUE(Submit(instance.id(), answers, &again).ok());
  EXPECT_EQ(again.response().submitted_at().seconds(), resp.response().submitted_at().seconds());
  auto other = answers;
  other["overall"] = Score(5);
  s = Submit(instance.id(), other, &again);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(s.error_message(), "survey " + instance.id() + " was already answered");

  // The month's scores for the project's RUNIN_2 stage, from the running tally.
  absl::TimeZone zone;
  absl::LoadTimeZone("Asia/Shanghai", &zone);
  grpc::ClientContext ctx;
  survey::v1::GetScoresRequest req;
  req.set_project_id(project);
  req.set_month(absl::FormatTime("%Y-%m", absl::FromUnixMillis(ToUnixMillis(Now())), zone));
  survey::v1::GetScoresResponse scores;
  ASSERT_TRUE(stub_->GetScores(&ctx, req, &scores).ok());
  EXPECT_EQ(scores.responses(), 1) << "the retry counted once";
  EXPECT_DOUBLE_EQ(scores.csat_mean(), 2.0);
  EXPECT_DOUBLE_EQ(scores.nps(), -100.0);
  EXPECT_DOUBLE_EQ(scores.gap().at("responsiveness"), -5.0);
  EXPECT_DOUBLE_EQ(scores.gap().at("reliability"), 0.0);
  EXPECT_DOUBLE_EQ(scores.overall_gap(), -2.5);
  grpc::ClientContext bad;
  req.set_month("November");
  EXPECT_EQ(stub_->GetScores(&bad, req, &scores).error_message(),
            "month: expected YYYY-MM, e.g. 2026-11");

  // The detractor's event on mot.survey.v1.
  auto consumer = ReadFromStart(kSurveyEventsTopic);
  ASSERT_TRUE(consumer);
  bool detractor = false;
  ReadUntil(
      *consumer, seconds(30),
      [&](RdKafka::Message& m) {
        survey::v1::SurveyEvent e;
        if (!e.ParseFromArray(m.payload(), static_cast<int>(m.len()))) return false;
        detractor = e.type() == survey::v1::SURVEY_EVENT_TYPE_DETRACTOR &&
                    e.instance().id() == instance.id() &&
                    e.response().detractor_reasons_size() == 3;
        return detractor;
      },
      "the DETRACTOR event");
  consumer->close();
  EXPECT_TRUE(detractor) << "no DETRACTOR event for the instance";

  // The playbook closes the loop: a follow-up ticket with its SLA, on the owner's journey.
  const auto j = WaitForSteps(instance.customer_id(), {"detractor_follow_up"});
  const auto follow_up = Step(j, "detractor_follow_up");
  EXPECT_NE(follow_up.outcome().find("detractor_follow_up ticket opened"), std::string::npos)
      << follow_up.outcome();
  const auto ticket = Ticket(follow_up.result_ref());
  EXPECT_EQ(ticket.kind(), "detractor_follow_up");
  EXPECT_EQ(ticket.project_id(), project);
  EXPECT_GT(ticket.deadlines_size(), 0);
}

// Survey fatigue: one survey per owner within 30 days; a repair survey replaces an open
// stage survey, which is recorded as suppressed with the reason; a later stage survey
// within the window is suppressed too and takes no answer.
TEST_F(SurveyTest, TheHigherPrioritySurveyGoesOutAndTheOtherIsSuppressed) {
  const std::string project = Unique("P-SV-"), customer = Unique("C-SVF-");
  const auto stage = Issue(project, "stage_satisfaction_runin_2", customer);
  EXPECT_EQ(stage.status(), survey::v1::SURVEY_STATUS_OPEN);
  Advance(std::chrono::hours(24 * 3));
  const auto repair = Issue(project, "repair_satisfaction", customer);
  EXPECT_EQ(repair.status(), survey::v1::SURVEY_STATUS_OPEN) << repair.reason();
  std::map<std::string, survey::v1::SurveyInstance> by_id;
  const auto list = Surveys(customer);
  for (const auto& s : list.instances()) by_id[s.id()] = s;
  EXPECT_EQ(by_id[stage.id()].status(), survey::v1::SURVEY_STATUS_SUPPRESSED);
  EXPECT_EQ(by_id[stage.id()].reason(), "fatigue: withdrawn for the repair survey " + repair.id());
  Advance(std::chrono::hours(24 * 10));
  const auto later = Issue(project, "stage_satisfaction_stable", customer);
  EXPECT_EQ(later.status(), survey::v1::SURVEY_STATUS_SUPPRESSED);
  EXPECT_EQ(later.reason(),
            "fatigue: repair survey " + repair.id() + " was sent within the window");
  survey::v1::SubmitResponseResponse resp;
  EXPECT_EQ(Submit(stage.id(),
                   {{"repairs", Score(4)}, {"care", Pair(5, 5)}, {"recommend", Score(9)}}, &resp)
                .error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);
  // After the window, a stage survey goes out again.
  Advance(std::chrono::hours(24 * 20));  // 30 days after the repair survey
  EXPECT_EQ(Issue(project, "stage_satisfaction_stable", customer).status(),
            survey::v1::SURVEY_STATUS_OPEN);
}

// The closed loop through the owner's phone, on the real broker and Redis with the
// simulated clock: a handover -> the delivery survey the next day -> its link by SMS
// (the owner's own channel; the group robot never sees it) -> the owner answers in
// headless Chromium as a detractor -> the answers stored are the ones tapped -> a
// follow-up ticket with its SLA on the journey, and the answer cancels the reminder.
TEST_F(SurveyTest, AnOwnerAnswersOnThePhoneAsADetractorAndAFollowUpTicketOpens) {
  customer::v1::CustomerProfile p;
  p.set_customer_id(Unique("C-WEB-"));
  p.mutable_contact()->set_mobile("13912345678");
  Profile(p);
  auto handover = Event("handover", p.customer_id(), Now());
  Publish(handover);
  WaitForSteps(p.customer_id(), {"move_in_congratulations"});
  Advance(std::chrono::hours(25));
  auto j = WaitForSteps(p.customer_id(), {"delivery_satisfaction_survey", "survey_invitation"});
  const std::string instance_id = Step(j, "delivery_satisfaction_survey").result_ref();
  EXPECT_NE(Step(j, "survey_invitation").outcome().find("delivered via sms"), std::string::npos)
      << Step(j, "survey_invitation").outcome();
  EXPECT_EQ(Step(j, "survey_reminder").status(), sv1::TOUCHPOINT_STATUS_SCHEDULED);

  // The link as the SMS gateway received it, and nowhere else.
  grpc::ClientContext ctx;
  survey::v1::GetSurveyInstanceRequest get;
  get.set_instance_id(instance_id);
  survey::v1::GetSurveyInstanceResponse shown;
  ASSERT_TRUE(stub_->GetSurveyInstance(&ctx, get, &shown).ok());
  const std::string link = shown.instance().link();
  ASSERT_EQ(link.rfind(env_["MOT_SURVEY_WEB"] + "/s/", 0), 0u) << link;
  int sms_with_link = 0, elsewhere = 0;
  for (const auto& r : WebhookRecords()) {
    const bool has = r.dump().find(link.substr(link.rfind('/') + 1)) != std::string::npos;
    const bool sms = r.value("path", "") == "/sms/send";
    sms_with_link += has && sms && r["body"]["template_param"]["survey_link"] == link;
    elsewhere += has && !sms;
  }
  EXPECT_EQ(sms_with_link, 1);
  EXPECT_EQ(elsewhere, 0) << "the owner's link went to another provider";

  // The owner opens it on their phone and answers: a detractor.
  const std::string shots = env_["MOT_MESH_DIR"] + "/screenshots";
  const std::string answers =
      R"({"quality": 1, "tangibles": [6, 2], "reliability": [7, 3], "responsiveness": [6, 2],)"
      R"( "assurance": [5, 4], "empathy": [6, 5], "recommend": 3, "comment": "交付时发现墙面渗水，整改没有结果"})";
  const std::string cmd = std::string(MOT_SOURCE_DIR) + "/.cache/venv/bin/python " +
                          MOT_SOURCE_DIR + "/tests/integration/survey_browser.py --url '" + link +
                          "' --title 交付满意度调查" + " --shots '" + shots + "' --answers '" +
                          answers + "' 2>&1";
  std::string seen;
  FILE* browser = ::popen(cmd.c_str(), "r");
  ASSERT_NE(browser, nullptr);
  char buf[4096];
  while (size_t n = std::fread(buf, 1, sizeof buf, browser)) seen.append(buf, n);
  ASSERT_EQ(::pclose(browser), 0) << seen;
  const auto page = nlohmann::json::parse(
      seen.substr(seen.rfind("\n{") == std::string::npos ? 0 : seen.rfind("\n{") + 1), nullptr,
      false);
  ASSERT_FALSE(page.is_discarded()) << seen;
  EXPECT_EQ(page["questions"], 8) << seen;
  EXPECT_EQ(page["lang"], "zh-CN");
  EXPECT_EQ(page["after"], "感谢您的反馈");
  EXPECT_EQ(page["again"], "感谢您的反馈") << "the link again says it was answered";
  EXPECT_EQ(page["forms_again"], 0);
  EXPECT_TRUE(page["console_errors"].empty()) << seen;

  // What was stored is what was tapped.
  grpc::ClientContext ctx2;
  ASSERT_TRUE(stub_->GetSurveyInstance(&ctx2, get, &shown).ok());
  EXPECT_EQ(shown.instance().status(), survey::v1::SURVEY_STATUS_COMPLETED);
  const auto& r = shown.response();
  EXPECT_EQ(r.actor(), "web");
  EXPECT_EQ(r.answers().at("quality").score(), 1);
  EXPECT_EQ(r.answers().at("tangibles").expectation(), 6);
  EXPECT_EQ(r.answers().at("tangibles").perception(), 2);
  EXPECT_EQ(r.answers().at("empathy").perception(), 5);
  EXPECT_EQ(r.answers().at("recommend").score(), 3);
  EXPECT_EQ(r.answers().at("comment").text(), "交付时发现墙面渗水，整改没有结果");
  EXPECT_EQ(std::vector<std::string>(r.detractor_reasons().begin(), r.detractor_reasons().end()),
            (std::vector<std::string>{"csat:quality", "nps:recommend", "gap:reliability",
                                      "gap:responsiveness", "gap:tangibles"}));

  // The loop closes: the follow-up ticket with its SLA on the journey; no reminder.
  j = WaitUntil(
      p.customer_id(),
      [](const sv1::GetJourneyResponse& j) {
        return Step(j, "detractor_follow_up").status() == sv1::TOUCHPOINT_STATUS_DONE &&
               Step(j, "survey_reminder").status() == sv1::TOUCHPOINT_STATUS_CANCELLED;
      },
      "followed up, the reminder cancelled");
  const auto ticket = Ticket(Step(j, "detractor_follow_up").result_ref());
  EXPECT_EQ(ticket.kind(), "detractor_follow_up");
  EXPECT_EQ(ticket.project_id(), handover.project_id());
  EXPECT_GT(ticket.deadlines_size(), 0);
  EXPECT_NE(Step(j, "detractor_follow_up").outcome().find(" by "), std::string::npos)
      << Step(j, "detractor_follow_up").outcome();
}

// A replayed post answers once: after the first, a post (the same answers or others)
// gets the page saying it was answered, and the first answers stay.
TEST_F(SurveyTest, AReplayedPostOfThePageAnswersOnce) {
  const std::string project = Unique("P-SV-");
  const auto instance = Issue(project, "repair_satisfaction");
  ASSERT_FALSE(instance.link().empty());
  const auto post = [&](const std::string& form) {
    std::string out;
    FILE* f = ::popen(("curl -s --noproxy '*' -o /dev/null -w '%{http_code}' -d '" + form + "' '" +
                       instance.link() + "'")
                          .c_str(),
                      "r");
    char buf[64];
    while (size_t n = std::fread(buf, 1, sizeof buf, f)) out.append(buf, n);
    ::pclose(f);
    return std::atoi(out.c_str());
  };
  const std::string form =
      "on_time.expectation=6&on_time.perception=5&first_time.expectation=6&"
      "first_time.perception=6&overall=4&recommend=9";
  EXPECT_EQ(post(form), 303);
  // Again, and with other answers: the page says it was answered (200), nothing is taken.
  EXPECT_EQ(post(form), 200);
  EXPECT_EQ(post("on_time.expectation=6&on_time.perception=5&first_time.expectation=6&"
                 "first_time.perception=6&overall=1&recommend=0"),
            200);
  grpc::ClientContext ctx;
  survey::v1::GetSurveyInstanceRequest get;
  get.set_instance_id(instance.id());
  survey::v1::GetSurveyInstanceResponse shown;
  ASSERT_TRUE(stub_->GetSurveyInstance(&ctx, get, &shown).ok());
  EXPECT_EQ(shown.instance().status(), survey::v1::SURVEY_STATUS_COMPLETED);
  EXPECT_EQ(shown.response().answers().at("overall").score(), 4);
  EXPECT_EQ(shown.response().actor(), "web");
  EXPECT_TRUE(shown.response().caller().empty()) << "the owner on the page has no token";
}

// The page's other answers, as plain HTTP: an unknown link, a malformed post, a post
// missing a required answer (the form again, naming the question), an expired link.
TEST_F(SurveyTest, ThePageSaysPlainlyWhatIsWrong) {
  const auto instance = Issue(Unique("P-SV-"), "repair_satisfaction");  // open 7 days
  ASSERT_FALSE(instance.link().empty());
  const std::string base = env_["MOT_SURVEY_WEB"];
  auto http = [](const std::string& args) {
    std::string out;
    FILE* f = ::popen(("curl -s --noproxy '*' -w '\n%{http_code}' " + args).c_str(), "r");
    char buf[4096];
    while (size_t n = std::fread(buf, 1, sizeof buf, f)) out.append(buf, n);
    ::pclose(f);
    const auto nl = out.rfind('\n');
    return std::make_pair(std::atoi(out.c_str() + nl + 1), out.substr(0, nl));
  };
  const std::string series = "mot_survey_web_requests_total{outcome=\"unknown\"}";
  const double unknown_before = Metric(env_["MOT_SURVEY_METRICS"], series);
  auto [status, body] = http("'" + base + "/s/AAAAAAAAAAAAAAAAAAAAAA'");
  EXPECT_EQ(status, 404);
  EXPECT_NE(body.find("链接无效"), std::string::npos);
  std::tie(status, body) = http("'" + base + "/admin'");  // no such page at all
  EXPECT_EQ(status, 404);
  EXPECT_NE(body.find("链接无效"), std::string::npos);
  EXPECT_EQ(Metric(env_["MOT_SURVEY_METRICS"], series), unknown_before + 2) << "each counted once";
  std::tie(status, body) = http("-d 'overall=abc' '" + instance.link() + "'");
  EXPECT_EQ(status, 400);
  EXPECT_NE(body.find("无法提交"), std::string::npos);
  std::tie(status, body) = http("-d 'overall=2&recommend=9' '" + instance.link() + "'");
  EXPECT_EQ(status, 422);
  EXPECT_NE(body.find("第 1 题「维修人员按约定时间响应」：请作答"), std::string::npos) << body;
  EXPECT_NE(body.find("value=\"2\" checked"), std::string::npos) << "what was given stays given";
  std::tie(status, body) = http("-H 'Content-Type: text/plain' -d 'x' '" + instance.link() + "'");
  EXPECT_EQ(status, 415);
  std::tie(status, body) =
      http("-d 'comment=" + std::string(70 * 1024, 'x') + "' '" + instance.link() + "'");
  EXPECT_EQ(status, 413);
  Advance(std::chrono::hours(24 * 8));
  std::tie(status, body) = http("'" + instance.link() + "'");
  EXPECT_EQ(status, 410);
  EXPECT_NE(body.find("问卷已结束"), std::string::npos);
  grpc::ClientContext ctx;
  survey::v1::GetSurveyInstanceRequest get;
  get.set_instance_id(instance.id());
  survey::v1::GetSurveyInstanceResponse shown;
  ASSERT_TRUE(stub_->GetSurveyInstance(&ctx, get, &shown).ok());
  EXPECT_EQ(shown.instance().status(), survey::v1::SURVEY_STATUS_OPEN) << "nothing was taken";
  EXPECT_FALSE(shown.has_response());
}

// The team KPI of a project and month from what the mesh saw: four owners (lifecycle
// events), one repurchase and one referral (2 of 4 bought again or referred: 50 %), one
// community activity (25 %), two complaints filed and one resolved (50 %), one survey
// answer satisfied (CSAT 5: 100 %); a redelivered event counts once.
// KPI = 0.4 * 100 + 0.2 * 50 + 0.2 * 50 + 0.2 * 25 = 65.
TEST_F(SurveyTest, TheTeamKpiIsFedBySurveysLifecycleAndTicketEvents) {
  const std::string project = Unique("P-KPI-");
  std::vector<std::string> owners;
  for (int i = 0; i < 4; ++i) owners.push_back(Unique("C-KPI-"));
  auto event = [&](const std::string& type, const std::string& customer) {
    auto e = Event(type, customer, Now());
    e.set_project_id(project);
    return e;
  };
  for (const auto& o : owners) Publish(event("contract_signed", o));
  const auto repurchase = event("repurchase", owners[0]);
  Publish(repurchase);
  Publish(repurchase);  // again: counts once
  Publish(event("referral_made", owners[1]));
  Publish(event("community_activity", owners[2]));
  for (int i = 0; i < 2; ++i) {
    auto complaint = event("complaint_filed", owners[3]);
    (*complaint.mutable_attributes())["severity"] = "general";
    Publish(complaint);
  }
  // The two complaint tickets, then one resolved by an agent.
  std::string ticket_id;
  auto tickets =
      ticketing::v1::TicketingService::NewStub(testkit::MeshChannel(env_, "MOT_TICKETING_ADDR"));
  Eventually(
      [&] {
        const auto two = ProjectTickets(project);
        if (two.size() == 2) ticket_id = two[0].id();
        return !ticket_id.empty();
      },
      seconds(30), "two complaint tickets");
  ASSERT_FALSE(ticket_id.empty()) << "two complaint tickets";
  for (auto to :
       {ticketing::v1::TICKET_STATUS_ACKNOWLEDGED, ticketing::v1::TICKET_STATUS_IN_PROGRESS,
        ticketing::v1::TICKET_STATUS_RESOLVED}) {
    grpc::ClientContext ctx;
    ticketing::v1::TransitionTicketRequest req;
    req.set_ticket_id(ticket_id);
    req.set_to(to);
    req.set_reason("处理完毕");
    req.set_actor("agent-li");
    req.set_request_id(Unique("req-"));
    ticketing::v1::Ticket t;
    const auto st = tickets->TransitionTicket(&ctx, req, &t);
    ASSERT_TRUE(st.ok()) << st.error_message();
  }
  const auto instance = Issue(project, "repair_satisfaction");
  survey::v1::SubmitResponseResponse answered;
  ASSERT_TRUE(Submit(instance.id(),
                     {{"on_time", Pair(6, 6)},
                      {"first_time", Pair(6, 7)},
                      {"overall", Score(5)},
                      {"recommend", Score(10)}},
                     &answered)
                  .ok());

  absl::TimeZone zone;
  absl::LoadTimeZone("Asia/Shanghai", &zone);
  survey::v1::GetKpiRequest req;
  req.set_project_id(project);
  req.set_month(absl::FormatTime("%Y-%m", absl::FromUnixMillis(ToUnixMillis(Now())), zone));
  survey::v1::GetKpiResponse kpi;
  grpc::Status got;
  Eventually(  // the events are counted as they arrive
      [&] {
        grpc::ClientContext ctx;
        got = stub_->GetKpi(&ctx, req, &kpi);
        return !got.ok() ||  // asserted below
               (kpi.owners() == 4 && kpi.complaints_resolved() == 1 && kpi.active_owners() == 1 &&
                kpi.bought_again() == 2);
      },
      seconds(30), "every event counted");
  ASSERT_TRUE(got.ok()) << got.error_message();
  // The four (the surveyed owner here had no lifecycle event: not counted as one).
  EXPECT_EQ(kpi.owners(), 4) << kpi.ShortDebugString();
  EXPECT_EQ(kpi.bought_again(), 2);
  EXPECT_EQ(kpi.active_owners(), 1);
  EXPECT_EQ(kpi.complaints_opened(), 2);
  EXPECT_EQ(kpi.complaints_resolved(), 1);
  EXPECT_EQ(kpi.responses(), 1);
  EXPECT_DOUBLE_EQ(kpi.satisfaction(), 100.0);
  EXPECT_DOUBLE_EQ(kpi.repurchase(), 50.0);
  EXPECT_DOUBLE_EQ(kpi.complaint_resolution(), 50.0);
  EXPECT_DOUBLE_EQ(kpi.community_activity(), 25.0);
  EXPECT_DOUBLE_EQ(kpi.kpi(), 65.0);
  // The same on /metrics for the managers' dashboard, by project (and stage) only.
  const std::string metrics = env_["MOT_SURVEY_METRICS"];
  EXPECT_DOUBLE_EQ(Metric(metrics, "mot_survey_kpi{project=\"" + project + "\"}"), 65.0);
  EXPECT_DOUBLE_EQ(
      Metric(metrics, "mot_survey_kpi_input{project=\"" + project + "\",input=\"repurchase\"}"),
      50.0);
  EXPECT_DOUBLE_EQ(
      Metric(metrics, "mot_survey_responses{project=\"" + project + "\",stage=\"RUNIN_2\"}"), 1.0);
  EXPECT_DOUBLE_EQ(Metric(metrics, "mot_survey_nps{project=\"" + project + "\",stage=\"RUNIN_2\"}"),
                   100.0);
  const std::string page = testkit::Page(metrics);
  for (const auto& o : owners)
    EXPECT_EQ(page.find(o), std::string::npos) << "an owner id on /metrics";
  grpc::ClientContext bad;
  req.set_month("2026/11");
  EXPECT_EQ(stub_->GetKpi(&bad, req, &kpi).error_message(),
            "month: expected YYYY-MM, e.g. 2026-11");
}

TEST_F(SurveyTest, AnExpiredSurveyTakesNoAnswer) {
  const auto instance = Issue(Unique("P-SV-"), "repair_satisfaction");  // open 7 days
  ASSERT_FALSE(instance.id().empty());
  Advance(std::chrono::hours(24 * 8));
  survey::v1::SubmitResponseResponse resp;
  const auto s = Submit(instance.id(),
                        {{"on_time", Pair(5, 5)},
                         {"first_time", Pair(5, 5)},
                         {"overall", Score(5)},
                         {"recommend", Score(10)}},
                        &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(s.error_message().rfind("survey " + instance.id() + " expired at ", 0), 0u)
      << s.error_message();
  grpc::ClientContext ctx;
  survey::v1::SubmitResponseRequest req;
  req.set_instance_id("sv-none");
  EXPECT_EQ(stub_->SubmitResponse(&ctx, req, &resp).error_code(), grpc::StatusCode::NOT_FOUND);
}

}  // namespace
}  // namespace mot
