#include "mot/common/clock.h"

#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "google/protobuf/util/time_util.h"

namespace mot {

int64_t ToUnixMillis(TimePoint t) { return t.time_since_epoch().count(); }

TimePoint FromUnixMillis(int64_t ms) { return TimePoint(std::chrono::milliseconds(ms)); }

google::protobuf::Timestamp ToProto(TimePoint t) {
  return google::protobuf::util::TimeUtil::MillisecondsToTimestamp(ToUnixMillis(t));
}

TimePoint FromProto(const google::protobuf::Timestamp& ts) {
  return FromUnixMillis(google::protobuf::util::TimeUtil::TimestampToMilliseconds(ts));
}

std::string FormatTime(TimePoint t) {
  return absl::FormatTime("%4Y-%m-%d%ET%H:%M:%SZ", absl::FromUnixMillis(ToUnixMillis(t)),
                          absl::UTCTimeZone());
}

bool ParseTime(const std::string& text, TimePoint* out) {
  absl::Time t;
  std::string err;
  if (!absl::ParseTime(absl::RFC3339_full, text, &t, &err)) return false;
  // Years 1 to 9999 only: a timestamp cannot hold others (year 10000 once threw).
  static const absl::Time kFirst =
      absl::FromCivil(absl::CivilSecond(1, 1, 1, 0, 0, 0), absl::UTCTimeZone());
  static const absl::Time kEnd =
      absl::FromCivil(absl::CivilSecond(10000, 1, 1, 0, 0, 0), absl::UTCTimeZone());
  if (t < kFirst || t >= kEnd) return false;
  *out = FromUnixMillis(absl::ToUnixMillis(t));
  return true;
}

absl::Status CheckWithin(const google::protobuf::Timestamp& at, std::string_view field,
                         TimePoint now, const TimeWindow& window) {
  const std::string name(field);
  if (at.nanos() < 0 || at.nanos() > 999999999) {
    return absl::InvalidArgumentError(absl::StrCat(name, " is not a valid time"));
  }
  const int64_t s = at.seconds();
  const int64_t now_s = ToUnixMillis(now) / 1000;
  const auto shown = [&] {
    return absl::FormatTime("%4Y-%m-%d%ET%H:%M:%SZ", absl::FromUnixSeconds(s), absl::UTCTimeZone());
  };
  if (s > now_s + window.max_ahead.count() / 1000) {
    return absl::InvalidArgumentError(
        absl::StrCat(name, " ", shown(), " is too far in the future"));
  }
  if (s < now_s - window.max_age.count() / 1000) {
    return absl::InvalidArgumentError(absl::StrCat(name, " ", shown(), " is too far in the past"));
  }
  return absl::OkStatus();
}

}  // namespace mot
