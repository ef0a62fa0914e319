// ErasedDelivery: a delivery's record once its owner is forgotten.
#include "notification/domain/delivery_erasure.h"

#include "gtest/gtest.h"
#include "notification/domain/delivery_attempts.h"

namespace mot::notification {
namespace {

const TimePoint kNow = FromUnixMillis(1'793'520'000'000);

v1::Delivery Failed() {
  v1::Delivery d;
  d.set_id("dl-1");
  d.set_customer_id("C-1");
  d.set_template_id("welcome_signed");
  d.set_channel("email");
  d.set_category("service");
  d.set_status(v1::DELIVERY_STATUS_FAILED);
  d.set_reason(kEveryChannelFailed);
  d.set_provider_response("550 5.1.1 <li@example.cn>: recipient address rejected");
  d.add_tried("sms: gateway refused +86 138-0013-8000");
  d.add_tried("email: 550 5.1.1 <li@example.cn>: recipient address rejected");
  d.set_attempt(1);
  d.set_requested_by("crm-service");
  *d.mutable_delivered_at() = ToProto(kNow - std::chrono::hours(1));
  return d;
}

TEST(DeliveryErasure, TheProvidersAnswersGoAndWhatIsCountedStays) {
  const v1::Delivery d = ErasedDelivery(Failed(), kNow);
  EXPECT_EQ(d.provider_response(), "[erased]");
  ASSERT_EQ(d.tried_size(), 2);
  EXPECT_EQ(d.tried(0), "sms: [erased]");
  EXPECT_EQ(d.tried(1), "email: [erased]");
  EXPECT_EQ(d.DebugString().find("example.cn"), std::string::npos);
  EXPECT_EQ(d.DebugString().find("138-0013"), std::string::npos);
  EXPECT_EQ(d.id(), "dl-1");
  EXPECT_EQ(d.customer_id(), "C-1");
  EXPECT_EQ(d.template_id(), "welcome_signed");
  EXPECT_EQ(d.channel(), "email");
  EXPECT_EQ(d.category(), "service");
  EXPECT_EQ(d.status(), v1::DELIVERY_STATUS_FAILED);
  EXPECT_EQ(d.reason(), kEveryChannelFailed);
  EXPECT_EQ(d.attempt(), 1);
  EXPECT_EQ(d.requested_by(), "crm-service");
  EXPECT_EQ(FromProto(d.delivered_at()), kNow - std::chrono::hours(1));
  // Settled before settled_at was kept: from when it was delivered.
  EXPECT_EQ(FromProto(d.settled_at()), kNow - std::chrono::hours(1));
}

TEST(DeliveryErasure, AReasonInWordsOfItsOwnIsErased) {
  v1::Delivery d = Failed();
  d.set_reason("template 'welcome_signed' cannot be rendered (unit_id U-0801 王小明)");
  EXPECT_EQ(ErasedDelivery(d, kNow).reason(), "[erased]");
  for (const char* word : {"opted_out", "frequency_cap", "unreachable", kRateLimited}) {
    d.set_reason(word);
    EXPECT_EQ(ErasedDelivery(d, kNow).reason(), word);
  }
}

TEST(DeliveryErasure, AWaitingDeliveryIsSuppressedSoNothingGoesOutLater) {
  for (auto status : {v1::DELIVERY_STATUS_DEFERRED, v1::DELIVERY_STATUS_RETRYING}) {
    v1::Delivery d = Failed();
    d.clear_delivered_at();
    d.set_status(status);
    d.set_reason(kProviderUnavailable);
    *d.mutable_deferred_until() = ToProto(kNow + std::chrono::hours(8));
    d.add_next_channels("email");
    const v1::Delivery e = ErasedDelivery(d, kNow);
    EXPECT_EQ(e.status(), v1::DELIVERY_STATUS_SUPPRESSED);
    EXPECT_EQ(e.reason(), kOwnerForgotten);
    EXPECT_FALSE(e.has_deferred_until());
    EXPECT_EQ(e.next_channels_size(), 0);
    EXPECT_FALSE(e.has_delivered_at());
    EXPECT_EQ(FromProto(e.settled_at()), kNow);
  }
}

TEST(DeliveryErasure, ErasingAnErasedDeliveryChangesNothing) {
  const v1::Delivery once = ErasedDelivery(Failed(), kNow);
  const v1::Delivery twice = ErasedDelivery(once, kNow + std::chrono::hours(5));
  EXPECT_EQ(twice.SerializeAsString(), once.SerializeAsString());
  v1::Delivery empty;
  empty.set_id("dl-2");
  empty.set_status(v1::DELIVERY_STATUS_DELIVERED);
  *empty.mutable_settled_at() = ToProto(kNow);
  EXPECT_EQ(ErasedDelivery(empty, kNow).SerializeAsString(), empty.SerializeAsString())
      << "nothing to erase: no answer becomes one";
}

}  // namespace
}  // namespace mot::notification
