#pragma once

#include <chrono>
#include <functional>
#include <string>
#include <thread>

#include "gtest/gtest.h"

namespace mot::testkit {

// Whether `condition` held within `timeout`: it is tried at once, then after each
// `poll` until it holds or the timeout has passed (and once more at the end). The
// failure names `what` and the timeout, so that EXPECT_TRUE(Eventually(...)) says what
// did not come; use it as a bool where nothing is asserted. A poll of 0 suits a
// condition that blocks by itself (a Kafka consume with its own timeout).
inline ::testing::AssertionResult Eventually(
    const std::function<bool()>& condition, std::chrono::milliseconds timeout,
    const std::string& what, std::chrono::milliseconds poll = std::chrono::milliseconds(100)) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    if (condition()) return ::testing::AssertionSuccess();
    if (std::chrono::steady_clock::now() >= deadline) break;
    std::this_thread::sleep_for(poll);
  }
  return ::testing::AssertionFailure()
         << what << ": not within " << static_cast<double>(timeout.count()) / 1000 << " s";
}

}  // namespace mot::testkit
