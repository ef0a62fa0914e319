// Time points: protobuf round trips, formatting, the window a timestamp must lie in.
#include "mot/common/clock.h"

#include <limits>

#include "fakes.h"
#include "gtest/gtest.h"

namespace mot {
namespace {

using std::chrono::hours;
using std::chrono::seconds;

TEST(Clock, ProtoRoundTripAndFormat) {
  const TimePoint t = FromUnixMillis(1'763'800'000'123);
  EXPECT_EQ(FromProto(ToProto(t)), t);
  EXPECT_EQ(FormatTime(FromUnixMillis(0)), "1970-01-01T00:00:00Z");
  // Millisecond time points hold every Timestamp date (nanoseconds overflow after 2262).
  google::protobuf::Timestamp far;
  far.set_seconds(253402214400);  // 9999-12-31T00:00:00Z
  EXPECT_EQ(FormatTime(FromProto(far)), "9999-12-31T00:00:00Z");
  TimePoint parsed;
  ASSERT_TRUE(ParseTime("2026-11-01T16:00:00+08:00", &parsed));
  EXPECT_EQ(FormatTime(parsed), "2026-11-01T08:00:00Z");
  EXPECT_FALSE(ParseTime("yesterday", &parsed));
  testkit::ManualClock clock(t);
  clock.Advance(hours(2));
  EXPECT_EQ(clock.Now() - t, hours(2));
}

TEST(Clock, CheckWithinTheWindowAtItsEdgesAndBeyondAnyTimestamp) {
  const TimePoint now = FromUnixMillis(1'763'800'000'000);
  const TimeWindow window;  // 30 years back, a day ahead
  google::protobuf::Timestamp at = ToProto(now);
  EXPECT_TRUE(CheckWithin(at, "requested_at", now, window).ok());
  at = ToProto(now + hours(24));
  EXPECT_TRUE(CheckWithin(at, "requested_at", now, window).ok()) << "a day ahead is in";
  at = ToProto(now + hours(24) + seconds(1));
  EXPECT_EQ(
      CheckWithin(at, "requested_at", now, window).message(),
      "requested_at " + FormatTime(now + hours(24) + seconds(1)) + " is too far in the future");
  at = ToProto(now - window.max_age);
  EXPECT_TRUE(CheckWithin(at, "requested_at", now, window).ok()) << "30 years back is in";
  at = ToProto(now - window.max_age - seconds(1));
  EXPECT_NE(CheckWithin(at, "requested_at", now, window).message().find("too far in the past"),
            absl::string_view::npos);
  // Values no Timestamp may hold: refused before any conversion could overflow.
  at.set_seconds(std::numeric_limits<int64_t>::max());
  EXPECT_TRUE(absl::IsInvalidArgument(CheckWithin(at, "occurred_at", now, window)));
  at.set_seconds(std::numeric_limits<int64_t>::min());
  EXPECT_TRUE(absl::IsInvalidArgument(CheckWithin(at, "occurred_at", now, window)));
  at = ToProto(now);
  at.set_nanos(1'000'000'000);
  EXPECT_EQ(CheckWithin(at, "occurred_at", now, window).message(),
            "occurred_at is not a valid time");
}

}  // namespace
}  // namespace mot
