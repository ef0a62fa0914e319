// The CloudEvents webhook's answers, without the network: each mode decoded and
// published, bad events refused naming the attribute (never the value), a batch
// answered per event, a broker that does not take an event answered 503.
#include "touchpoint-scheduler/app/http_ingest.h"

#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "scheduler_app_fixture.h"

namespace mot::scheduler {
namespace {

class HttpIngestTest : public SchedulerAppTest {
 protected:
  nlohmann::json Signing(const std::string& id, const std::string& time = "2026-11-01T08:00:00Z") {
    return {{"specversion", "1.0"},
            {"id", id},
            {"type", "mot.lifecycle.v1.contract_signed"},
            {"source", "crm"},
            {"subject", "C-1"},
            {"time", time},
            {"data",
             {{"project_id", "P-1"},
              {"attributes", {{"planned_handover_date", "2027-06-30"}, {"tier", "A"}}}}}};
  }
  IngestAnswer Post(const std::string& content_type, const std::string& body,
                    std::map<std::string, std::string> headers = {}) {
    return ingest_.Answer({content_type, std::move(headers), body}, "crm-webhook");
  }

  EventIntake intake_{live_, publisher_, clock_, PlanningLimits{}};
  HttpIngest ingest_{HttpIngestOptions{}, intake_};
};

TEST_F(HttpIngestTest, StructuredModeIsPublishedWithTheCallerAndAnswered202) {
  const auto answer = Post("application/cloudevents+json; charset=utf-8", Signing("ev-1").dump());
  EXPECT_EQ(answer.status, 202) << answer.body;
  EXPECT_EQ(nlohmann::json::parse(answer.body)["id"], "ev-1");
  ASSERT_EQ(publisher_.sent.size(), 1u);
  EXPECT_EQ(publisher_.sent[0].topic, kLifecycleTopic);
  EXPECT_EQ(publisher_.sent[0].key, "C-1");
  EXPECT_EQ(publisher_.sent[0].headers.at("mot-caller"), "crm-webhook");
  lifecycle::v1::LifecycleEvent e;
  ASSERT_TRUE(e.ParseFromString(publisher_.sent[0].payload));
  EXPECT_EQ(e.type(), "contract_signed");
  EXPECT_EQ(e.attributes().at("planned_handover_date"), "2027-06-30");
}

TEST_F(HttpIngestTest, BinaryModeTakesTheCeHeadersAndNamesThemAsHttpDoes) {
  std::map<std::string, std::string> ce = {{"ce-specversion", "1.0"},
                                           {"ce-id", "ev-2"},
                                           {"ce-type", "mot.lifecycle.v1.contract_signed"},
                                           {"ce-source", "crm"},
                                           {"ce-subject", "C-1"},
                                           {"ce-time", "2026-11-01T08:00:00Z"}};
  const std::string data = Signing("x")["data"].dump();
  EXPECT_EQ(Post("application/json", data, ce).status, 202);
  ASSERT_EQ(publisher_.sent.size(), 1u);
  ce["ce-time"] = "13812345678";
  const auto bad = Post("application/json", data, ce);
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(nlohmann::json::parse(bad.body)["error"], "ce-time: not an RFC 3339 time");
  EXPECT_EQ(bad.body.find("13812345678"), std::string::npos);
  EXPECT_EQ(publisher_.sent.size(), 1u) << "a refused event is not published";
}

TEST_F(HttpIngestTest, AnEventThePlaybookCannotPlanIsRefusedNamingTheAttribute) {
  auto event = Signing("ev-3");
  event["data"]["attributes"].erase("planned_handover_date");
  const auto answer = Post("application/cloudevents+json", event.dump());
  EXPECT_EQ(answer.status, 400);
  EXPECT_NE(
      nlohmann::json::parse(answer.body)["error"].get<std::string>().find("planned_handover_date"),
      std::string::npos)
      << answer.body;
  EXPECT_TRUE(publisher_.sent.empty());
}

TEST_F(HttpIngestTest, ABatchAnswersPerEvent) {
  auto bad = Signing("ev-b");
  bad["type"] = "contract_signed";
  const nlohmann::json batch = {Signing("ev-a"), bad, 7};
  const auto answer = Post("application/cloudevents-batch+json", batch.dump());
  EXPECT_EQ(answer.status, 207) << answer.body;
  const auto results = nlohmann::json::parse(answer.body)["results"];
  ASSERT_EQ(results.size(), 3u);
  EXPECT_EQ(results[0]["status"], 202);
  EXPECT_EQ(results[0]["id"], "ev-a");
  EXPECT_EQ(results[1]["status"], 400);
  EXPECT_EQ(results[1]["index"], 1);
  EXPECT_EQ(results[1]["error"], "type: expected mot.lifecycle.v1.<type>");
  EXPECT_EQ(results[2]["error"], "a batch element must be a JSON object");
  EXPECT_EQ(publisher_.sent.size(), 1u);
  EXPECT_EQ(Post("application/cloudevents-batch+json", nlohmann::json({bad}).dump()).status, 400);
  EXPECT_EQ(Post("application/cloudevents-batch+json", "{}").status, 400);
  EXPECT_EQ(Post("application/cloudevents-batch+json", "[]").status, 400);
}

TEST_F(HttpIngestTest, ABatchOverItsEventLimitIs400) {
  HttpIngest small({"", 1 << 20, 2}, intake_);
  const nlohmann::json batch = {Signing("a"), Signing("b"), Signing("c")};
  const auto answer = small.Answer({"application/cloudevents-batch+json", {}, batch.dump()}, "x");
  EXPECT_EQ(answer.status, 400);
  EXPECT_EQ(nlohmann::json::parse(answer.body)["error"],
            "a batch holds at most 2 events (MOT_INGEST_MAX_BATCH_EVENTS)");
  EXPECT_TRUE(publisher_.sent.empty());
}

TEST_F(HttpIngestTest, ABodyThatIsNoCloudEventIs415) {
  EXPECT_EQ(Post("application/json", R"({"customer_id":"C-1"})").status, 415);
  EXPECT_EQ(Post("text/plain", "hello").status, 415);
}

TEST_F(HttpIngestTest, ABrokerThatDoesNotTakeTheEventIs503ToRetry) {
  publisher_.fail_with = absl::UnavailableError("kafka produce: timed out");
  const auto answer = Post("application/cloudevents+json", Signing("ev-4").dump());
  EXPECT_EQ(answer.status, 503) << answer.body;
  const nlohmann::json batch = {Signing("ev-5"), Signing("ev-6")};
  EXPECT_EQ(Post("application/cloudevents-batch+json", batch.dump()).status, 503)
      << "a batch the broker took none of: retry it all";
}

}  // namespace
}  // namespace mot::scheduler
