// The owner's eraser on customer_forgotten: nothing planted is left in any stored
// record, nothing held goes out later, what metrics and audits count stays, and a
// second time erases nothing.
#include "notification/app/owner_eraser.h"

#include "metric_value.h"
#include "notification/domain/delivery_erasure.h"
#include "owner_world.h"

namespace mot::notification {
namespace {

double Erased(prometheus::Registry& registry, const std::string& what) {
  return MetricValue(registry, "mot_notification_erasures_total", {{"what", what}}).value_or(-1);
}

TEST_F(OwnerWorld, ForgettingAnOwnerLeavesNothingOfTheirsInAnyStoredRecord) {
  Plant();
  // Before: the planted data is kept (the profile and preferences sealed; the
  // provider's answer and the held commands' variables as they came).
  std::string before;
  for (const auto& [id, bytes] : store_.All()) before += bytes;
  EXPECT_FALSE(Found(before).empty());
  EXPECT_TRUE(store_.Get("deferred:" + IdOf("tp-night"))->has_value());
  EXPECT_TRUE(store_.Get("deferred:" + IdOf("tp-retry") + "/1")->has_value());

  ASSERT_TRUE(Forget().ok());
  for (const auto& [id, bytes] : store_.All()) {
    EXPECT_TRUE(Found(bytes).empty()) << id << " still holds " << Found(bytes)[0];
  }
  EXPECT_FALSE(store_.Get("owner:C-7")->has_value());
  EXPECT_FALSE(store_.Get("prefs:C-7")->has_value());
  EXPECT_FALSE(store_.Get("deferred:" + IdOf("tp-night"))->has_value());
  EXPECT_FALSE(store_.Get("deferred:" + IdOf("tp-retry") + "/1")->has_value());

  // What metrics and audits count stays; what was waiting is suppressed, settled.
  const v1::Delivery sent = Recorded("tp-sent");
  EXPECT_EQ(sent.status(), v1::DELIVERY_STATUS_DELIVERED);
  EXPECT_EQ(sent.channel(), "sms");
  EXPECT_EQ(sent.template_id(), "welcome_signed");
  EXPECT_EQ(sent.provider_response(), kErased);
  EXPECT_TRUE(sent.has_delivered_at());
  const v1::Delivery retry = Recorded("tp-retry");
  EXPECT_EQ(retry.status(), v1::DELIVERY_STATUS_SUPPRESSED);
  EXPECT_EQ(retry.reason(), kOwnerForgotten);
  EXPECT_EQ(retry.attempt(), 1);
  ASSERT_EQ(retry.tried_size(), 1);
  EXPECT_EQ(retry.tried(0), "sms: [erased]");
  EXPECT_EQ(Recorded("tp-night").status(), v1::DELIVERY_STATUS_SUPPRESSED);
  // Each record now expires its retention after it settled.
  for (const char* id : {"tp-sent", "tp-retry", "tp-night"}) {
    const v1::Delivery d = Recorded(id);
    ASSERT_TRUE(d.has_settled_at()) << id;
    EXPECT_EQ(store_.ExpiresAt(IdOf(id)), ToUnixMillis(FromProto(d.settled_at()) + retention_))
        << id;
  }

  // Their timers fire and nothing goes out.
  clock_.Advance(std::chrono::hours(24));
  EXPECT_EQ(*deferred_.Pass(), 0);
  EXPECT_TRUE(again_.sent.empty());

  EXPECT_EQ(Erased(registry_, "contact_record"), 1);
  EXPECT_EQ(Erased(registry_, "preferences"), 1);
  EXPECT_EQ(Erased(registry_, "delivery"), 3);
  EXPECT_EQ(Erased(registry_, "deferred_send"), 2);
  EXPECT_EQ(
      MetricValue(registry_, "mot_notification_owner_records_total", {{"change", "forgotten"}}), 1);
}

TEST_F(OwnerWorld, ForgettingTwiceErasesNothingMore) {
  Plant();
  ASSERT_TRUE(Forget().ok());
  const auto once = store_.All();
  ASSERT_TRUE(Forget().ok());
  EXPECT_EQ(store_.All(), once);
  EXPECT_EQ(Erased(registry_, "contact_record"), 1);
  EXPECT_EQ(Erased(registry_, "preferences"), 1);
  EXPECT_EQ(Erased(registry_, "delivery"), 3);
  EXPECT_EQ(Erased(registry_, "deferred_send"), 2);
}

TEST_F(OwnerWorld, AnOwnerNotKnownIsForgottenWithNothingToErase) {
  ASSERT_TRUE(Forget().ok());
  EXPECT_TRUE(store_.All().empty());
  for (const char* what : {"contact_record", "preferences", "delivery", "deferred_send"}) {
    EXPECT_EQ(Erased(registry_, what), 0) << what;
  }
}

}  // namespace
}  // namespace mot::notification
