#include "mot/common/clock.h"

#include "absl/strings/str_format.h"
#include "google/protobuf/util/time_util.h"

namespace mot {

int64_t ToUnixMillis(TimePoint t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

TimePoint FromUnixMillis(int64_t ms) { return TimePoint(std::chrono::milliseconds(ms)); }

google::protobuf::Timestamp ToProto(TimePoint t) {
  return google::protobuf::util::TimeUtil::MillisecondsToTimestamp(ToUnixMillis(t));
}

TimePoint FromProto(const google::protobuf::Timestamp& ts) {
  return FromUnixMillis(google::protobuf::util::TimeUtil::TimestampToMilliseconds(ts));
}

std::string FormatTime(TimePoint t) {
  std::time_t secs = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::string DeterministicId(std::string_view prefix,
                            std::initializer_list<std::string_view> parts) {
  constexpr uint64_t kPrime = 1099511628211ULL;
  uint64_t a = 14695981039346656037ULL;
  uint64_t b = 0x9e3779b97f4a7c15ULL;
  for (std::string_view part : parts) {
    for (unsigned char c : part) {
      a = (a ^ c) * kPrime;
      b = (b ^ c) * kPrime;
    }
    // A separator that cannot appear in text keeps ("ab","c") apart from ("a","bc").
    a = (a ^ 0xff) * kPrime;
    b = (b ^ 0xfe) * kPrime;
  }
  return absl::StrFormat("%s-%016x%016x", std::string(prefix), a, b);
}

}  // namespace mot
