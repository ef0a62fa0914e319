// Deciding what goes out to an owner: channels by segment, preferences and hint;
// opt-outs and what overrides them; quiet hours in the owner's zone; the frequency cap.
#include "notification/domain/routing.h"

#include "absl/time/time.h"
#include "fakes.h"
#include "gtest/gtest.h"
#include "mot/common/token_bucket.h"

namespace mot::notification {
namespace {

using std::chrono::hours;

class RoutingTest : public ::testing::Test {
 protected:
  RoutingTest() { EXPECT_TRUE(absl::LoadTimeZone("Asia/Shanghai", &shanghai_)); }
  TimePoint At(const std::string& local, const absl::TimeZone* zone = nullptr) const {
    absl::Time t;
    std::string err;
    EXPECT_TRUE(absl::ParseTime("%Y-%m-%d %H:%M", local, zone ? *zone : shanghai_, &t, &err))
        << err;
    return FromUnixMillis(absl::ToUnixMillis(t));
  }
  std::string Local(TimePoint t, const absl::TimeZone* zone = nullptr) const {
    return absl::FormatTime("%Y-%m-%d %H:%M", absl::FromUnixMillis(ToUnixMillis(t)),
                            zone ? *zone : shanghai_);
  }
  Decision DecideOk(const Owner& owner, const std::string& category, TimePoint now,
                    const std::string& hint = "") {
    auto d = Decide(routing_, owner, category, hint, now);
    EXPECT_TRUE(d.ok()) << d.status();
    return d.ok() ? *d : Decision{};
  }
  static Owner Everywhere() {
    Owner o;
    o.reachable = {"app", "wecom", "sms", "email", "hotline"};
    return o;
  }

  absl::TimeZone shanghai_;
  Routing routing_ = *Routing::FromYaml(testkit::ShippedConfig("channels.yaml"));
};

TEST_F(RoutingTest, TheShippedDefaults) {
  EXPECT_EQ(routing_.quiet_hours().start_minute, 21 * 60);
  EXPECT_EQ(routing_.quiet_hours().end_minute, 8 * 60);
  EXPECT_EQ(routing_.cap_messages(), 3);
  EXPECT_EQ(routing_.cap_within(), hours(24 * 7));
  for (const char* c : {"safety", "legal", "transactional"}) {
    ASSERT_NE(routing_.Category(c), nullptr) << c;
    EXPECT_TRUE(routing_.Category(c)->mandatory) << c;
    EXPECT_FALSE(routing_.Category(c)->capped) << c;
  }
  for (const char* c : {"care", "marketing"}) {
    ASSERT_NE(routing_.Category(c), nullptr) << c;
    EXPECT_TRUE(routing_.Category(c)->capped) << c;
    EXPECT_FALSE(routing_.Category(c)->mandatory) << c;
  }
  EXPECT_FALSE(routing_.Category("safety")->quiet_hours)
      << "a safety notice does not wait for morning";
}

TEST_F(RoutingTest, ChannelsBySegmentThenPreferencesThenHintThenDefaults) {
  Owner elderly = Everywhere();
  elderly.segment = "elderly";
  elderly.preferred_channels = {"email"};
  EXPECT_EQ(DecideOk(elderly, "service", At("2026-11-23 10:00"), "wecom").channels,
            (std::vector<std::string>{"hotline", "sms", "email", "wecom", "app"}));
  Owner plain = Everywhere();
  EXPECT_EQ(DecideOk(plain, "service", At("2026-11-23 10:00"), "email").channels,
            (std::vector<std::string>{"email", "app", "wecom", "sms"}));
  plain.reachable = {"sms"};  // only a mobile
  EXPECT_EQ(DecideOk(plain, "service", At("2026-11-23 10:00")).channels,
            (std::vector<std::string>{"sms"}));
  plain.reachable.clear();
  const auto nowhere = DecideOk(plain, "service", At("2026-11-23 10:00"));
  EXPECT_EQ(nowhere.kind, Decision::kSuppress);
  EXPECT_EQ(nowhere.reason, "unreachable");
}

TEST_F(RoutingTest, OptOutsSuppressCareButNotSafetyLegalOrTransactional) {
  Owner o = Everywhere();
  o.opted_out_categories = {"care", "safety"};
  o.opted_out_channels = {"app", "wecom", "sms", "email", "hotline"};
  const auto care = DecideOk(o, "care", At("2026-11-23 10:00"));
  EXPECT_EQ(care.kind, Decision::kSuppress);
  EXPECT_EQ(care.reason, "opted_out");
  for (const char* c : {"safety", "legal", "transactional"}) {
    const auto d = DecideOk(o, c, At("2026-11-23 10:00"));
    EXPECT_EQ(d.kind, Decision::kSend) << c;
    EXPECT_EQ(d.channels.size(), 4u) << c << ": the defaults, opt-outs set aside";
  }
  // Opting out of a channel moves the message to the next one.
  Owner some = Everywhere();
  some.opted_out_channels = {"app"};
  EXPECT_EQ(DecideOk(some, "care", At("2026-11-23 10:00")).channels,
            (std::vector<std::string>{"wecom", "sms", "email"}));
  // Every channel it could take refused: the owner's choice, recorded as such.
  some.opted_out_channels = {"app", "wecom", "sms", "email"};
  const auto none = DecideOk(some, "service", At("2026-11-23 10:00"));
  EXPECT_EQ(none.kind, Decision::kSuppress);
  EXPECT_EQ(none.reason, "opted_out");
}

TEST_F(RoutingTest, QuietHoursHoldUntilMorningInTheOwnersZone) {
  Owner o = Everywhere();
  const auto late = DecideOk(o, "care", At("2026-11-23 23:10"));
  EXPECT_EQ(late.kind, Decision::kDefer);
  EXPECT_EQ(Local(late.at), "2026-11-24 08:00");
  const auto early = DecideOk(o, "care", At("2026-11-24 07:59"));
  EXPECT_EQ(early.kind, Decision::kDefer);
  EXPECT_EQ(Local(early.at), "2026-11-24 08:00");
  EXPECT_EQ(DecideOk(o, "care", At("2026-11-24 08:00")).kind, Decision::kSend);
  EXPECT_EQ(DecideOk(o, "care", At("2026-11-24 20:59")).kind, Decision::kSend);
  EXPECT_EQ(Local(DecideOk(o, "care", At("2026-11-24 21:00")).at), "2026-11-25 08:00");
  EXPECT_EQ(Local(DecideOk(o, "care", At("2026-12-31 22:30")).at), "2027-01-01 08:00");
  EXPECT_EQ(DecideOk(o, "safety", At("2026-11-23 23:10")).kind, Decision::kSend)
      << "a safety notice goes out at night";
  EXPECT_EQ(DecideOk(o, "legal", At("2026-11-23 23:10")).kind, Decision::kDefer);

  // An owner abroad: 23:10 in New York is 12:10 in Shanghai, held until 08:00 there.
  absl::TimeZone ny;
  ASSERT_TRUE(absl::LoadTimeZone("America/New_York", &ny));
  o.time_zone = "America/New_York";
  const auto abroad = DecideOk(o, "care", At("2026-11-23 23:10", &ny));
  EXPECT_EQ(abroad.kind, Decision::kDefer);
  EXPECT_EQ(Local(abroad.at, &ny), "2026-11-24 08:00");
  EXPECT_EQ(DecideOk(o, "care", At("2026-11-24 02:00")).kind, Decision::kSend)
      << "02:00 in Shanghai is 13:00 in New York";
  // Across the change from summer time: 2026-11-01 01:30 New York, held to 08:00 EST.
  const auto dst = DecideOk(o, "care", At("2026-11-01 01:30", &ny));
  EXPECT_EQ(Local(dst.at, &ny), "2026-11-01 08:00");
}

TEST_F(RoutingTest, TheFourthCareMessageInAWeekIsCapped) {
  Owner o = Everywhere();
  const TimePoint now = At("2026-11-23 10:00");
  o.capped_sent = {now - hours(24 * 6), now - hours(48), now - hours(1)};
  const auto fourth = DecideOk(o, "care", now);
  EXPECT_EQ(fourth.kind, Decision::kSuppress);
  EXPECT_EQ(fourth.reason, "frequency_cap");
  EXPECT_EQ(DecideOk(o, "marketing", now).reason, "frequency_cap");
  EXPECT_EQ(DecideOk(o, "transactional", now).kind, Decision::kSend) << "not counted, not capped";
  EXPECT_EQ(DecideOk(o, "service", now).kind, Decision::kSend);
  // A week after the first, there is room again.
  EXPECT_EQ(DecideOk(o, "care", now - hours(24 * 6) + hours(24 * 7)).kind, Decision::kSend);
  o.capped_sent.pop_back();
  EXPECT_EQ(DecideOk(o, "care", now).kind, Decision::kSend) << "the third is allowed";
}

TEST_F(RoutingTest, AnUnknownCategoryIsNamedAndNoCategoryIsTheDefault) {
  Owner o = Everywhere();
  auto d = Decide(routing_, o, "lottery", "", At("2026-11-23 10:00"));
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.status().message(), "category 'lottery' is not configured (channels.yaml)");
  o.opted_out_categories = {"service"};
  EXPECT_EQ(DecideOk(o, "", At("2026-11-23 10:00")).reason, "opted_out") << "empty is 'service'";
}

TEST(RoutingConfig, ErrorsNameTheSettingAndTheField) {
  const std::string good = testkit::ShippedConfig("channels.yaml");
  ASSERT_TRUE(Routing::FromYaml(good).ok());
  auto with = [&](const std::string& from, const std::string& to) {
    std::string text = good;
    const auto at = text.find(from);
    EXPECT_NE(at, std::string::npos) << from;
    if (at != std::string::npos) text.replace(at, from.size(), to);
    auto r = Routing::FromYaml(text);
    return r.ok() ? std::string("accepted") : std::string(r.status().message());
  };
  EXPECT_EQ(with("time_zone: Asia/Shanghai", "time_zone: Mars/Base"),
            "time_zone: unknown zone 'Mars/Base'");
  EXPECT_EQ(with("from: \"21:00\"", "from: \"25:00\""),
            "quiet_hours.from: expected a local time HH:MM such as 09:00");
  EXPECT_EQ(with("  messages: 3", "  messages: -1"),
            "frequency_cap.messages: expected a whole number, 0 or more");
  EXPECT_EQ(with("within: 7d", "within: soon"),
            "frequency_cap.within: expected a duration such as 7d");
  EXPECT_EQ(with("elderly: [hotline, sms]", "elderly: [hotline, pager]"),
            "segments.elderly: channel 'pager' is not in 'channels'");
  EXPECT_EQ(with("care: {capped: true}", "care: {capped: maybe}"),
            "categories.care: capped: expected true or false");
  EXPECT_EQ(with("care: {capped: true}", "care: {capped: true, loud: true}"),
            "categories.care: unknown field 'loud'");
  EXPECT_EQ(with("legal: {mandatory: true}", "legal: {mandatory: true, capped: true}"),
            "categories.legal: a mandatory category cannot be capped");
  EXPECT_EQ(with("default_category: service", "default_category: misc"),
            "default_category: 'misc' is not in 'categories'");
  EXPECT_EQ(with("default_category: service", "default_categroy: service"),
            "unknown setting 'default_categroy'");
  EXPECT_EQ(with("attempts: 3", "attempts: 0"),
            "delivery.attempts: expected a whole number, 1 or more");
  EXPECT_EQ(with("backoff: 30s", "backoff: later"),
            "delivery.backoff: expected a duration such as 30s");
  EXPECT_EQ(with("backoff_max: 10m", "backoff_max: 10s"),
            "delivery.backoff_max: shorter than delivery.backoff");
  EXPECT_EQ(with("jitter: 0.5", "jitter: 1.5"), "delivery.jitter: expected a share from 0 to 1");
  EXPECT_EQ(with("    default: 200", "    pager: 5"),
            "delivery.rate_per_second: channel 'pager' is not in 'channels'");
  EXPECT_EQ(with("    default: 200", "    sms: 0"),
            "delivery.rate_per_second.sms: expected a number above 0");
  EXPECT_EQ(with("  attempts: 3", "  retries: 3"), "delivery: unknown field 'retries'");
}

TEST_F(RoutingTest, TheShippedRetryPolicy) {
  const RetryPolicy& p = routing_.retry();
  EXPECT_EQ(p.attempts, 3);
  EXPECT_EQ(p.backoff, std::chrono::seconds(30));
  EXPECT_EQ(p.backoff_max, std::chrono::minutes(10));
  EXPECT_DOUBLE_EQ(p.jitter, 0.5);
  EXPECT_DOUBLE_EQ(p.RateOf("sms"), 200);
}

TEST(NextAttempt, DoublesEachTimeUpToTheMaximumWithJitterBothWays) {
  RetryPolicy p;  // 30 s, doubled, at most 10 min, jitter 0.5
  const TimePoint now = FromUnixMillis(1'800'000'000'000);
  auto wait = [&](int failed, double random) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
        NextAttempt(p, failed, now, random) - now);
  };
  EXPECT_EQ(wait(1, 0.5), std::chrono::seconds(30))
      << "the middle of the jitter is the backoff itself";
  EXPECT_EQ(wait(2, 0.5), std::chrono::seconds(60));
  EXPECT_EQ(wait(3, 0.5), std::chrono::seconds(120));
  EXPECT_EQ(wait(6, 0.5), std::chrono::minutes(10)) << "30 s x 32 is past the maximum";
  EXPECT_EQ(wait(60, 0.5), std::chrono::minutes(10)) << "no overflow however many";
  EXPECT_EQ(wait(1, 0.0), std::chrono::seconds(15)) << "half of it earlier";
  EXPECT_EQ(wait(1, 0.999999), std::chrono::milliseconds(44'999)) << "up to half of it later";
  p.jitter = 0;
  EXPECT_EQ(wait(2, 0.0), std::chrono::seconds(60));
}

TEST(TokenBucket, StartsFullTakesWhatItHasAndRefillsAtItsRate) {
  const auto t0 = TokenBucket::Steady::time_point{} + std::chrono::hours(1);
  TokenBucket b(10, 10, t0);  // 10 a second, a second's worth
  EXPECT_EQ(b.Take(4, t0), 4);
  EXPECT_EQ(b.Take(10, t0), 6) << "what was left";
  EXPECT_EQ(b.Take(1, t0), 0);
  EXPECT_EQ(b.Wait(t0), std::chrono::milliseconds(100));
  EXPECT_EQ(b.Take(5, t0 + std::chrono::milliseconds(250)), 2) << "2.5 tokens in 250 ms";
  EXPECT_EQ(b.Wait(t0 + std::chrono::milliseconds(250)), std::chrono::milliseconds(50));
  EXPECT_EQ(b.Take(100, t0 + std::chrono::hours(1)), 10) << "never more than the burst";
}

}  // namespace
}  // namespace mot::notification
