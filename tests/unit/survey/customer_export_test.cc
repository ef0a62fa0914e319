// ExportCustomer: an owner's surveys with their answers in clear and when each is
// deleted; after the owner was forgotten, what is left; customer_id required.
#include "survey/app/customer_export.h"

#include "owner_surveys.h"
#include "survey/app/owner_eraser.h"
#include "survey/app/survey_service.h"
#include "survey/domain/erasure.h"

namespace mot::survey {
namespace {

class SurveyExport : public OwnerSurveys {};

TEST_F(SurveyExport, TheAnswersInClearUntilTheOwnerIsForgotten) {
  const auto answered = Send("tp-1", "stage_satisfaction_prospect_1");
  clock_.Advance(24h);
  Answer(answered, "物业前台态度很好");
  const TimePoint answered_at = clock_.Now();
  clock_.Advance(24h * 40);
  const auto open = Send("tp-2", "repair_satisfaction");
  Send("tp-3", "stage_satisfaction_prospect_1", "C-2");

  auto before = ExportCustomer(store_, "C-1", 100, retention_);
  ASSERT_TRUE(before.ok()) << before.status();
  ASSERT_EQ(before->surveys_size(), 2) << "the owner's, not the neighbour's";
  EXPECT_EQ(before->surveys(0).instance().id(), answered.id()) << "oldest first";
  EXPECT_EQ(before->surveys(0).response().answers().at("comment").text(), "物业前台态度很好");
  EXPECT_EQ(before->surveys(0).instance().link(), answered.link());
  EXPECT_FALSE(before->surveys(1).has_response()) << "not answered";
  EXPECT_EQ(FromProto(before->retained_until().at(answered.id())), answered_at + retention_);
  EXPECT_EQ(FromProto(before->retained_until().at(open.id())),
            FromProto(open.expires_at()) + retention_)
      << "open: kept until its expiry plus the retention";

  OwnerEraser eraser({store_, catalogue_, clock_, retention_, 100});
  ASSERT_TRUE(eraser.Forget("C-1").ok());
  auto after = ExportCustomer(store_, "C-1", 100, retention_);
  ASSERT_TRUE(after.ok()) << after.status();
  ASSERT_EQ(after->surveys_size(), 2);
  EXPECT_EQ(after->surveys(0).response().answers().at("comment").text(), kErased);
  EXPECT_EQ(after->surveys(0).response().answers().at("recommend").score(), 9) << "scores stay";
  EXPECT_EQ(after->surveys(0).instance().link(), kErased);
  EXPECT_EQ(after->surveys(1).instance().status(), v1::SURVEY_STATUS_SUPPRESSED);
  EXPECT_EQ(FromProto(after->retained_until().at(open.id())), clock_.Now() + retention_)
      << "withdrawn now";
  EXPECT_EQ(after->SerializeAsString().find("物业前台态度很好"), std::string::npos);
}

TEST(SurveyExportRpc, ACustomerIdIsRequired) {
  // Its Redis is never reached: the request is refused first (port 1 refuses anyway).
  auto catalogue = *SurveyCatalogue::FromYaml(testkit::ShippedConfig("surveys.yaml"));
  testkit::FakePublisher out;
  testkit::ManualClock clock(FromUnixMillis(1'793'520'000'000));
  RedisClient redis("127.0.0.1", 1, "", 200ms);
  RedisRecordStore store(redis, "survey");
  KpiCounter kpi(redis);
  Responses responses({store, redis, catalogue, out, clock, 24h});
  SurveyGrpc service({responses, store, redis, catalogue, 10, kpi, 10, 24h});
  v1::ExportCustomerRequest req;
  v1::ExportCustomerResponse resp;
  const auto s = service.ExportCustomer(nullptr, &req, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(s.error_message(), "customer_id is required");
}

}  // namespace
}  // namespace mot::survey
