#pragma once

#include <chrono>
#include <cstddef>
#include <string>

#include "absl/status/statusor.h"
#include "mot/common/clock.h"
#include "mot/notification/v1/notification.pb.h"
#include "notification/domain/routing.h"

namespace mot::notification {

// Why a message is RETRYING, and why one FAILED after every channel (the record's
// reason and the metric's label).
inline constexpr char kProviderUnavailable[] = "provider_unavailable";
inline constexpr char kRateLimited[] = "rate_limited";
inline constexpr char kNextChannel[] = "next_channel";
inline constexpr char kEveryChannelFailed[] = "every_channel_failed";

// What happens to a delivery after an attempt: the retry / next-channel decision.
struct AttemptOutcome {
  enum Kind {
    kDelivered,    // the provider took it
    kRetry,        // RETRYING on the same channel at `at`
    kNextChannel,  // RETRYING on the next channel, at once (`at` is now)
    kFailed,       // FAILED on every channel: dead-lettered with every attempt
  };
  Kind kind = kDelivered;
  // The delivery as it is recorded (status, reason, provider response, attempts tried,
  // channel, next channels, deferred_until).
  v1::Delivery delivery;
  // kRetry and kNextChannel: when it is tried again (its timer).
  TimePoint at{};
};

// After the provider's answer `sent` to the attempt of `d` on its channel at `now`:
// OK is DELIVERED with the answer; Unavailable with attempts left is tried again on the
// same channel at NextAttempt(policy, attempt, now, random) (`random` in [0, 1) places
// the jitter); any other failure, or the last attempt, moves to the next channel at
// once, or FAILED (every_channel_failed) when none is left.
AttemptOutcome AfterAttempt(v1::Delivery d, const absl::StatusOr<std::string>& sent,
                            const RetryPolicy& policy, TimePoint now, double random);

// A channel without a configured provider: the next channel, or FAILED.
AttemptOutcome WithoutProvider(v1::Delivery d, TimePoint now);

// Over the provider's rate: RETRYING (rate_limited) at `at`.
AttemptOutcome RateLimited(v1::Delivery d, TimePoint at);

// When the message `behind` places after the first one over a provider's `rate` is
// tried: the bucket's `first` wait, then one per 1/rate seconds (a burst drains at the
// rate instead of all trying again at once); at `now` (the next pass) when within a
// `tick` of the deferred sends.
TimePoint RateLimitedAt(TimePoint now, std::chrono::milliseconds first, size_t behind, double rate,
                        std::chrono::milliseconds tick);

// The dead letter's reason for a delivery FAILED on every channel: every attempt.
std::string EveryChannelFailed(const v1::Delivery& d);

}  // namespace mot::notification
