// The claim loop every timer wheel runs on: fresh tokens, `more` and Ring() start the
// next pass at once, a failing pass waits a tick, Run stops when told; and the options
// it refuses. Nothing here sleeps to prove something did not happen: each test waits,
// with a generous timeout, for what must happen.
#include "mot/common/claim_loop.h"

#include <chrono>
#include <condition_variable>
#include <future>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "gtest/gtest.h"

namespace mot {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

constexpr auto kPatience = 10s;  // generous: the machine may be busy

// The passes a loop made: their tokens and when each began. `answer` decides each
// pass's result from its number (1, 2, ...).
class Passes {
 public:
  explicit Passes(std::function<absl::StatusOr<ClaimLoop::Passed>(int)> answer)
      : answer_(std::move(answer)) {}
  ClaimLoop::PassFn Fn() {
    return [this](const std::string& token) {
      int n;
      {
        std::lock_guard lock(mu_);
        tokens_.push_back(token);
        at_.push_back(Clock::now());
        n = static_cast<int>(tokens_.size());
      }
      cv_.notify_all();
      return answer_(n);
    };
  }
  // Whether `n` passes began within `timeout`.
  bool WaitFor(size_t n, std::chrono::milliseconds timeout = kPatience) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, timeout, [&] { return tokens_.size() >= n; });
  }
  std::vector<std::string> tokens() {
    std::lock_guard lock(mu_);
    return tokens_;
  }
  Clock::time_point at(size_t i) {
    std::lock_guard lock(mu_);
    return at_.at(i);
  }

 private:
  std::function<absl::StatusOr<ClaimLoop::Passed>(int)> answer_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::string> tokens_;
  std::vector<Clock::time_point> at_;
};

ClaimLoop::Passed Settled(int n, bool more = false) { return {n, more}; }

// Runs `loop` on a thread until the test ends (or stops it first).
class Running {
 public:
  explicit Running(ClaimLoop& loop)
      : done_(std::async(std::launch::async, [this, &loop] { loop.Run(stop_); })) {}
  ~Running() { Stop(); }
  // Whether Run returned within `timeout` of being told to stop.
  bool Stop(std::chrono::milliseconds timeout = kPatience) {
    stop_.store(true);
    return done_.wait_for(timeout) == std::future_status::ready;
  }

 private:
  std::atomic<bool> stop_{false};
  std::future<void> done_;
};

ClaimOptions Ticking(std::chrono::milliseconds tick) {
  ClaimOptions o;
  o.tick = tick;
  return o;
}

TEST(ClaimLoop, EachPassGetsAFreshToken) {
  Passes passes([](int) { return Settled(0); });
  ClaimLoop loop("test loop", ClaimOptions{}, passes.Fn());
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(loop.Pass().ok());
  const auto tokens = passes.tokens();
  ASSERT_EQ(tokens.size(), 3u);
  const std::string replica = tokens[0].substr(0, tokens[0].rfind(':'));
  EXPECT_FALSE(replica.empty());
  for (size_t i = 0; i < tokens.size(); ++i) {
    EXPECT_EQ(tokens[i], replica + ":" + std::to_string(i + 1))
        << "<replica>:<n>, n counting the passes";
  }
  // Another loop (another process's, as far as tokens go) claims under another replica.
  Passes other_passes([](int) { return Settled(0); });
  ClaimLoop other("other loop", ClaimOptions{}, other_passes.Fn());
  ASSERT_TRUE(other.Pass().ok());
  EXPECT_NE(other_passes.tokens().at(0), tokens[0]);
}

TEST(ClaimLoop, MoreStartsTheNextPassWithoutWaitingATick) {
  // Three full batches, then nothing: four passes at once although a tick is an hour.
  Passes passes([](int n) { return Settled(100, n <= 3); });
  ClaimLoop loop("test loop", Ticking(1h), passes.Fn());
  Running running(loop);
  EXPECT_TRUE(passes.WaitFor(4));
  EXPECT_TRUE(running.Stop());
}

TEST(ClaimLoop, RingWakesAWaitingLoopAtOnce) {
  Passes passes([](int) { return Settled(0); });
  ClaimLoop loop("test loop", Ticking(1h), passes.Fn());
  Running running(loop);
  ASSERT_TRUE(passes.WaitFor(1));
  loop.Ring();  // rung during or after the first pass: the loop does not wait its hour
  EXPECT_TRUE(passes.WaitFor(2));
  loop.Ring();
  EXPECT_TRUE(passes.WaitFor(3));
  EXPECT_TRUE(running.Stop());
}

TEST(ClaimLoop, AFailingPassIsRetriedOnTheNextTick) {
  const auto tick = 200ms;
  Passes passes([](int n) -> absl::StatusOr<ClaimLoop::Passed> {
    if (n <= 2) return absl::UnavailableError("redis: connection refused");
    return Settled(1);
  });
  ClaimLoop loop("test loop", Ticking(tick), passes.Fn());
  Running running(loop);
  ASSERT_TRUE(passes.WaitFor(3)) << "retried, and retried again";
  // A failure waits its tick before the next pass (no busy retrying).
  EXPECT_GE(passes.at(1) - passes.at(0), tick);
  EXPECT_GE(passes.at(2) - passes.at(1), tick);
  EXPECT_TRUE(running.Stop());
}

TEST(ClaimLoop, RunRunsBeforePassEachTimeAndStopsWhenTold) {
  Passes passes([](int) { return Settled(0); });
  ClaimLoop loop("test loop", Ticking(1h), passes.Fn());
  std::atomic<bool> stop{false};
  std::atomic<int> before{0};
  auto done = std::async(std::launch::async, [&] { loop.Run(stop, [&] { ++before; }); });
  ASSERT_TRUE(passes.WaitFor(1));
  loop.Ring();
  ASSERT_TRUE(passes.WaitFor(2));
  stop.store(true);  // while it waits its hour
  ASSERT_EQ(done.wait_for(kPatience), std::future_status::ready);
  EXPECT_EQ(before.load(), static_cast<int>(passes.tokens().size()));
}

TEST(ClaimLoop, RunMakesNoPassOnceStopped) {
  Passes passes([](int) { return Settled(0); });
  ClaimLoop loop("test loop", Ticking(1h), passes.Fn());
  const std::atomic<bool> stopped{true};
  loop.Run(stopped);  // returns at once
  EXPECT_TRUE(passes.tokens().empty());
}

TEST(CheckClaimOptions, RefusesALeaseNotLongerThanTheDeliveryTimeout) {
  ClaimOptions o;
  o.lease = 30s;
  const auto s = CheckClaimOptions(o, 30s, "MOT_SLA_CLAIM_LEASE");
  EXPECT_TRUE(absl::IsInvalidArgument(s)) << s;
  EXPECT_EQ(
      s.message(),
      "MOT_SLA_CLAIM_LEASE: the claim lease (30000 ms) must be longer than the producer's delivery "
      "timeout (30000 ms), or a slow publish is sent twice");
  EXPECT_TRUE(absl::IsInvalidArgument(CheckClaimOptions(o, 45s, "MOT_SLA_CLAIM_LEASE")));
  EXPECT_TRUE(CheckClaimOptions(o, 29999ms, "MOT_SLA_CLAIM_LEASE").ok());
  EXPECT_TRUE(CheckClaimOptions(ClaimOptions{}, 30s, "defaults").ok()) << "the defaults are sound";
}

TEST(CheckClaimOptions, RefusesAZeroTickAndAZeroBatch) {
  ClaimOptions no_tick;
  no_tick.tick = 0ms;
  EXPECT_EQ(CheckClaimOptions(no_tick, 30s, "MOT_DISPATCH").message(),
            "MOT_DISPATCH: the tick must be above 0");
  ClaimOptions no_batch;
  no_batch.batch = 0;
  EXPECT_EQ(CheckClaimOptions(no_batch, 30s, "MOT_DISPATCH").message(),
            "MOT_DISPATCH: the batch must be 1 or more");
  ClaimOptions negative;
  negative.batch = -1;
  EXPECT_TRUE(absl::IsInvalidArgument(CheckClaimOptions(negative, 30s, "MOT_DISPATCH")));
}

}  // namespace
}  // namespace mot
