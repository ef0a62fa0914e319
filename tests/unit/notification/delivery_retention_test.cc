// A delivery's record is kept for the retention from when it settled.
#include "notification/domain/delivery_retention.h"

#include "gtest/gtest.h"

namespace mot::notification {
namespace {

const TimePoint kNow = FromUnixMillis(1'793'520'000'000);
const std::chrono::milliseconds kRetention = std::chrono::hours(24 * 365 * 5);

TEST(DeliveryRetention, OnlyDeliveredFailedAndSuppressedAreSettled) {
  EXPECT_TRUE(IsSettled(v1::DELIVERY_STATUS_DELIVERED));
  EXPECT_TRUE(IsSettled(v1::DELIVERY_STATUS_FAILED));
  EXPECT_TRUE(IsSettled(v1::DELIVERY_STATUS_SUPPRESSED));
  EXPECT_FALSE(IsSettled(v1::DELIVERY_STATUS_DEFERRED));
  EXPECT_FALSE(IsSettled(v1::DELIVERY_STATUS_RETRYING));
  EXPECT_FALSE(IsSettled(v1::DELIVERY_STATUS_UNSPECIFIED));
}

TEST(DeliveryRetention, ARecordGoesTheRetentionAfterItSettled) {
  v1::Delivery d;
  d.set_status(v1::DELIVERY_STATUS_RETRYING);
  Settle(d, kNow);
  EXPECT_FALSE(d.has_settled_at());
  EXPECT_FALSE(d.has_delivered_at());
  EXPECT_EQ(RetainedUntil(d, kRetention), std::nullopt) << "kept while it waits";
  d.set_status(v1::DELIVERY_STATUS_DELIVERED);
  Settle(d, kNow + std::chrono::minutes(1));
  EXPECT_EQ(FromProto(d.delivered_at()), kNow + std::chrono::minutes(1));
  EXPECT_EQ(RetainedUntil(d, kRetention), kNow + std::chrono::minutes(1) + kRetention);
  Settle(d, kNow + std::chrono::hours(1));  // settled once
  EXPECT_EQ(RetainedUntil(d, kRetention), kNow + std::chrono::minutes(1) + kRetention);
}

TEST(DeliveryRetention, ASuppressedMessageIsSettledButNotDelivered) {
  v1::Delivery d;
  d.set_status(v1::DELIVERY_STATUS_SUPPRESSED);
  Settle(d, kNow);
  EXPECT_FALSE(d.has_delivered_at());
  EXPECT_EQ(RetainedUntil(d, kRetention), kNow + kRetention);
}

TEST(DeliveryRetention, ARecordSettledBeforeSettledAtWasKeptIsKeptForGood) {
  v1::Delivery d;
  d.set_status(v1::DELIVERY_STATUS_DELIVERED);
  *d.mutable_delivered_at() = ToProto(kNow);
  EXPECT_EQ(RetainedUntil(d, kRetention), std::nullopt);
}

}  // namespace
}  // namespace mot::notification
