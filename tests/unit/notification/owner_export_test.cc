// ExportCustomer (a subject-access request): everything notification holds of the
// owner's, in clear, before they are forgotten; nothing personal after.
#include "notification/app/owner_export.h"

#include "owner_world.h"

namespace mot::notification {
namespace {

v1::ExportCustomerResponse Exported(NotificationGrpc& grpc, const std::string& customer_id) {
  v1::ExportCustomerRequest req;
  req.set_customer_id(customer_id);
  v1::ExportCustomerResponse resp;
  const grpc::Status s = grpc.ExportCustomer(nullptr, &req, &resp);
  EXPECT_TRUE(s.ok()) << s.error_message();
  return resp;
}

TEST_F(OwnerWorld, TheExportShowsEverythingHeldOfTheOwnersInClear) {
  Plant();
  const v1::ExportCustomerResponse got = Exported(grpc_, kOwner);
  EXPECT_EQ(got.profile().contact().mobile(), "+86 139-0000-7788");
  EXPECT_EQ(got.profile().contact().email(), "wang.xiaoming@example.cn");
  EXPECT_EQ(got.profile().contact().wecom_user_id(), "wxm-wecom-0801");
  EXPECT_EQ(got.profile().contact().app_device_token(), "apns-token-7788");
  EXPECT_EQ(got.preferences_source(), "api");
  EXPECT_EQ(got.preferences().updated_by(), "manager-zhao");
  ASSERT_EQ(got.deliveries_size(), 3);
  EXPECT_EQ(got.deliveries(0).id(), IdOf("tp-night"));  // newest first
  EXPECT_EQ(got.deliveries(1).id(), IdOf("tp-retry"));
  EXPECT_EQ(got.deliveries(2).id(), IdOf("tp-sent"));
  EXPECT_EQ(got.deliveries(2).provider_response(), "HTTP 200 accepted for +86 139-0000-7788");
  // Only the delivered one has settled: it goes its retention after.
  ASSERT_EQ(got.retained_until_size(), 1);
  const v1::Delivery sent = Recorded("tp-sent");
  EXPECT_EQ(FromProto(got.retained_until().at(IdOf("tp-sent"))),
            FromProto(sent.settled_at()) + retention_);
  // The two held for later, with the text they would send.
  ASSERT_EQ(got.held_size(), 2);
  for (const auto& held : got.held()) {
    EXPECT_EQ(held.command().variables().at("unit_id"), "U-0801 王小明");
    EXPECT_NE(held.text().find("U-0801 王小明单元"), std::string::npos) << held.text();
  }
  EXPECT_EQ(Found(got.SerializeAsString()).size(), Planted().size());
}

TEST_F(OwnerWorld, AfterForgettingTheExportAnswersNothingPersonal) {
  Plant();
  ASSERT_TRUE(Forget().ok());
  const v1::ExportCustomerResponse got = Exported(grpc_, kOwner);
  EXPECT_TRUE(Found(got.SerializeAsString()).empty()) << got.DebugString();
  EXPECT_FALSE(got.has_profile());
  EXPECT_EQ(got.preferences_source(), "none");
  EXPECT_EQ(got.held_size(), 0);
  // The records that stay for metrics and audits, each with when it goes.
  EXPECT_EQ(got.deliveries_size(), 3);
  EXPECT_EQ(got.retained_until_size(), 3);
}

TEST_F(OwnerWorld, AnExportWithoutACustomerIsRefusedNamingTheField) {
  v1::ExportCustomerRequest req;
  v1::ExportCustomerResponse resp;
  const grpc::Status s = grpc_.ExportCustomer(nullptr, &req, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(s.error_message().find("customer_id"), std::string::npos) << s.error_message();
}

TEST_F(OwnerWorld, AnOwnerNotKnownExportsNothing) {
  const v1::ExportCustomerResponse got = Exported(grpc_, "C-unknown");
  EXPECT_FALSE(got.has_profile());
  EXPECT_EQ(got.preferences_source(), "none");
  EXPECT_EQ(got.deliveries_size(), 0);
  EXPECT_EQ(got.held_size(), 0);
}

}  // namespace
}  // namespace mot::notification
