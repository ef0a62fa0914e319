#include "notification/domain/delivery_attempts.h"

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace mot::notification {
namespace {

AttemptOutcome Retrying(v1::Delivery d, AttemptOutcome::Kind kind, TimePoint at,
                        const char* reason) {
  d.set_status(v1::DELIVERY_STATUS_RETRYING);
  d.set_reason(reason);
  *d.mutable_deferred_until() = ToProto(at);
  return {kind, std::move(d), at};
}

// After a channel failed for good: the next one, or failed on every channel.
AttemptOutcome NextChannel(v1::Delivery d, TimePoint now) {
  if (d.next_channels_size() == 0) {
    d.set_status(v1::DELIVERY_STATUS_FAILED);
    d.set_reason(kEveryChannelFailed);
    return {AttemptOutcome::kFailed, std::move(d), {}};
  }
  d.set_channel(d.next_channels(0));
  d.mutable_next_channels()->erase(d.mutable_next_channels()->begin());
  d.set_attempt(0);
  return Retrying(std::move(d), AttemptOutcome::kNextChannel, now, kNextChannel);
}

}  // namespace

AttemptOutcome AfterAttempt(v1::Delivery d, const absl::StatusOr<std::string>& sent,
                            const RetryPolicy& policy, TimePoint now, double random) {
  if (sent.ok()) {
    d.set_status(v1::DELIVERY_STATUS_DELIVERED);
    d.set_provider_response(*sent);
    return {AttemptOutcome::kDelivered, std::move(d), {}};
  }
  d.set_provider_response(std::string(sent.status().message()));
  d.add_tried(absl::StrCat(d.channel(), ": ", sent.status().message()));
  if (absl::IsUnavailable(sent.status())) {
    d.set_attempt(d.attempt() + 1);
    if (d.attempt() < policy.attempts) {
      const TimePoint at = NextAttempt(policy, d.attempt(), now, random);
      return Retrying(std::move(d), AttemptOutcome::kRetry, at, kProviderUnavailable);
    }
  }
  return NextChannel(std::move(d), now);
}

AttemptOutcome WithoutProvider(v1::Delivery d, TimePoint now) {
  d.set_provider_response("no provider configured for channel " + d.channel());
  d.add_tried(absl::StrCat(d.channel(), ": no provider configured"));
  return NextChannel(std::move(d), now);
}

AttemptOutcome RateLimited(v1::Delivery d, TimePoint at) {
  return Retrying(std::move(d), AttemptOutcome::kRetry, at, kRateLimited);
}

TimePoint RateLimitedAt(TimePoint now, std::chrono::milliseconds first, size_t behind, double rate,
                        std::chrono::milliseconds tick) {
  const auto wait = first + std::chrono::milliseconds(static_cast<int64_t>(behind * 1000 / rate));
  return wait > tick ? now + wait : now;
}

std::string EveryChannelFailed(const v1::Delivery& d) {
  return absl::StrCat("delivery ", d.id(),
                      " failed on every channel: ", absl::StrJoin(d.tried(), "; "));
}

}  // namespace mot::notification
