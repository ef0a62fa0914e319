#include "mot/common/simulated_clock.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace mot {
namespace {

// Forward only: ARGV[1] new time (ms) or, with ARGV[2] = "advance", the step.
// Returns the time in force, or -1 when the new time is before it.
const RedisScript& MoveScript() {
  static const RedisScript script(R"(
local cur = tonumber(redis.call('GET', KEYS[1]) or '-1')
local target = tonumber(ARGV[1])
if ARGV[2] == 'advance' then
  if cur < 0 then return -2 end
  target = cur + target
end
if target < cur then return -1 end
redis.call('SET', KEYS[1], tostring(target))
return target)");
  return script;
}

absl::StatusOr<TimePoint> Parse(const RedisReply& r) {
  int64_t ms = 0;
  if (r.is_nil()) return absl::NotFoundError("no simulated time is set (motctl clock set TIME)");
  if (!absl::SimpleAtoi(r.str, &ms)) {
    return absl::DataLossError(absl::StrCat(SimulatedTime::kKey, " does not hold a time"));
  }
  return FromUnixMillis(ms);
}

}  // namespace

absl::StatusOr<TimePoint> SimulatedTime::Get() {
  auto r = redis_.Command({"GET", kKey});
  if (!r.ok()) return r.status();
  return Parse(*r);
}

absl::StatusOr<TimePoint> SimulatedTime::Init(TimePoint start) {
  auto r =
      redis_.Pipeline({{"SET", kKey, std::to_string(ToUnixMillis(start)), "NX"}, {"GET", kKey}});
  if (!r.ok()) return r.status();
  return Parse((*r)[1]);
}

absl::StatusOr<TimePoint> SimulatedTime::Set(TimePoint t) {
  auto r = redis_.Command(MoveScript().Call({kKey}, {std::to_string(ToUnixMillis(t)), "set"}));
  if (!r.ok()) return r.status();
  if (r->integer == -1) {
    auto cur = Get();
    return absl::FailedPreconditionError(
        absl::StrCat("the simulated clock only moves forward; it is at ",
                     cur.ok() ? FormatTime(*cur) : std::string(cur.status().message())));
  }
  return FromUnixMillis(r->integer);
}

absl::StatusOr<TimePoint> SimulatedTime::Advance(std::chrono::milliseconds d) {
  if (d.count() < 0) return absl::InvalidArgumentError("the simulated clock only moves forward");
  auto r = redis_.Command(MoveScript().Call({kKey}, {std::to_string(d.count()), "advance"}));
  if (!r.ok()) return r.status();
  if (r->integer == -2)
    return absl::NotFoundError("no simulated time is set (motctl clock set TIME)");
  return FromUnixMillis(r->integer);
}

TimePoint SimulatedClock::Now() const {
  if (auto t = time_.Get(); t.ok()) {
    int64_t seen = now_ms_.load();
    const int64_t ms = ToUnixMillis(*t);
    while (ms > seen && !now_ms_.compare_exchange_weak(seen, ms)) {
    }
  }
  return FromUnixMillis(now_ms_.load());
}

absl::Status SimulatedClock::Refresh() {
  auto t = time_.Init(SystemClock::WallNow());
  if (!t.ok()) return t.status();
  now_ms_.store(ToUnixMillis(*t));
  return absl::OkStatus();
}

}  // namespace mot
