// The retry / next-channel decision after each attempt (AfterAttempt and friends).
#include "notification/domain/delivery_attempts.h"

#include "gtest/gtest.h"

namespace mot::notification {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

const TimePoint kNow = FromUnixMillis(1'793'520'000'000);

v1::Delivery OnWecom(std::initializer_list<const char*> next = {}) {
  v1::Delivery d;
  d.set_id("dl-1");
  d.set_channel("wecom");
  for (const char* c : next) d.add_next_channels(c);
  return d;
}

RetryPolicy Policy() {
  RetryPolicy p;
  p.attempts = 3;
  p.backoff = seconds(30);
  p.backoff_max = std::chrono::minutes(10);
  p.jitter = 0.5;
  return p;
}

TEST(DeliveryAttempts, ATakenMessageIsDeliveredWithTheAnswer) {
  auto out = AfterAttempt(OnWecom({"sms"}), std::string("HTTP 200"), Policy(), kNow, 0.5);
  EXPECT_EQ(out.kind, AttemptOutcome::kDelivered);
  EXPECT_EQ(out.delivery.status(), v1::DELIVERY_STATUS_DELIVERED);
  EXPECT_EQ(out.delivery.provider_response(), "HTTP 200");
  EXPECT_EQ(out.delivery.channel(), "wecom");
  EXPECT_EQ(out.delivery.tried_size(), 0);
}

TEST(DeliveryAttempts, AnUnavailableProviderIsTriedAgainOnTheSameChannelWithinTheJitter) {
  const auto failed = absl::UnavailableError("webhook answered HTTP 503");
  auto early = AfterAttempt(OnWecom({"sms"}), failed, Policy(), kNow, 0.0);
  auto late = AfterAttempt(OnWecom({"sms"}), failed, Policy(), kNow, 0.999);
  for (const auto* out : {&early, &late}) {
    EXPECT_EQ(out->kind, AttemptOutcome::kRetry);
    EXPECT_EQ(out->delivery.status(), v1::DELIVERY_STATUS_RETRYING);
    EXPECT_EQ(out->delivery.reason(), kProviderUnavailable);
    EXPECT_EQ(out->delivery.channel(), "wecom");
    EXPECT_EQ(out->delivery.attempt(), 1);
    ASSERT_EQ(out->delivery.tried_size(), 1);
    EXPECT_EQ(out->delivery.tried(0), "wecom: webhook answered HTTP 503");
    EXPECT_EQ(FromProto(out->delivery.deferred_until()), out->at);
  }
  // 30 s moved by up to half of it either way.
  EXPECT_EQ(early.at, kNow + seconds(15));
  EXPECT_GE(late.at, kNow + milliseconds(44'900));
  EXPECT_LE(late.at, kNow + seconds(45));
}

TEST(DeliveryAttempts, TheBackoffDoublesWithEachAttemptUpToItsMaximum) {
  auto second = OnWecom();
  second.set_attempt(1);
  auto out = AfterAttempt(second, absl::UnavailableError("x"), Policy(), kNow, 0.5);
  EXPECT_EQ(out.kind, AttemptOutcome::kRetry);
  EXPECT_EQ(out.at, kNow + seconds(60));
  RetryPolicy many = Policy();
  many.attempts = 20;
  auto tenth = OnWecom();
  tenth.set_attempt(9);
  EXPECT_EQ(AfterAttempt(tenth, absl::UnavailableError("x"), many, kNow, 0.5).at,
            kNow + std::chrono::minutes(10));
}

TEST(DeliveryAttempts, TheLastAttemptOnAChannelMovesToTheNextAtOnce) {
  auto third = OnWecom({"sms", "email"});
  third.set_attempt(2);
  auto out =
      AfterAttempt(third, absl::UnavailableError("webhook answered HTTP 503"), Policy(), kNow, 0.5);
  EXPECT_EQ(out.kind, AttemptOutcome::kNextChannel);
  EXPECT_EQ(out.delivery.status(), v1::DELIVERY_STATUS_RETRYING);
  EXPECT_EQ(out.delivery.reason(), kNextChannel);
  EXPECT_EQ(out.delivery.channel(), "sms");
  ASSERT_EQ(out.delivery.next_channels_size(), 1);
  EXPECT_EQ(out.delivery.next_channels(0), "email");
  EXPECT_EQ(out.delivery.attempt(), 0);
  EXPECT_EQ(out.at, kNow);
}

TEST(DeliveryAttempts, ARefusalMovesToTheNextChannelWithoutRetrying) {
  auto out =
      AfterAttempt(OnWecom({"sms"}), absl::FailedPreconditionError("webhook refused: HTTP 400"),
                   Policy(), kNow, 0.5);
  EXPECT_EQ(out.kind, AttemptOutcome::kNextChannel);
  EXPECT_EQ(out.delivery.channel(), "sms");
  EXPECT_EQ(out.delivery.provider_response(), "webhook refused: HTTP 400");
}

TEST(DeliveryAttempts, TheLastChannelFailsWithEveryAttemptInTheReason) {
  auto first =
      AfterAttempt(OnWecom({"sms"}), absl::FailedPreconditionError("webhook refused: HTTP 400"),
                   Policy(), kNow, 0.5);
  auto out =
      AfterAttempt(first.delivery, absl::FailedPreconditionError("sms refused: isv.BLACK_KEY"),
                   Policy(), kNow, 0.5);
  EXPECT_EQ(out.kind, AttemptOutcome::kFailed);
  EXPECT_EQ(out.delivery.status(), v1::DELIVERY_STATUS_FAILED);
  EXPECT_EQ(out.delivery.reason(), kEveryChannelFailed);
  EXPECT_EQ(
      EveryChannelFailed(out.delivery),
      "delivery dl-1 failed on every channel: wecom: webhook refused: HTTP 400; sms: sms refused: "
      "isv.BLACK_KEY");
}

TEST(DeliveryAttempts, AChannelWithoutAProviderMovesOnOrFails) {
  auto next = WithoutProvider(OnWecom({"sms"}), kNow);
  EXPECT_EQ(next.kind, AttemptOutcome::kNextChannel);
  EXPECT_EQ(next.delivery.tried(0), "wecom: no provider configured");
  auto failed = WithoutProvider(OnWecom(), kNow);
  EXPECT_EQ(failed.kind, AttemptOutcome::kFailed);
  EXPECT_EQ(failed.delivery.provider_response(), "no provider configured for channel wecom");
}

TEST(DeliveryAttempts, OverTheRateAMessageWaitsItsTurn) {
  const milliseconds tick = seconds(1);
  // 10 a second, the bucket empty for another 2 s: the 0th waits 2 s, the 5th 2.5 s.
  EXPECT_EQ(RateLimitedAt(kNow, seconds(2), 0, 10, tick), kNow + seconds(2));
  EXPECT_EQ(RateLimitedAt(kNow, seconds(2), 5, 10, tick), kNow + milliseconds(2500));
  // Within a tick of the deferred sends: on the next pass.
  EXPECT_EQ(RateLimitedAt(kNow, milliseconds(100), 2, 10, tick), kNow);
  auto out = RateLimited(OnWecom(), kNow + seconds(2));
  EXPECT_EQ(out.kind, AttemptOutcome::kRetry);
  EXPECT_EQ(out.delivery.status(), v1::DELIVERY_STATUS_RETRYING);
  EXPECT_EQ(out.delivery.reason(), kRateLimited);
  EXPECT_EQ(out.delivery.channel(), "wecom");
  EXPECT_EQ(FromProto(out.delivery.deferred_until()), kNow + seconds(2));
}

}  // namespace
}  // namespace mot::notification
