// Stable hashes and deterministic ids.
#include "mot/common/ids.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "mot/common/timers.h"

namespace mot {
namespace {

TEST(StableHash, SpreadsKeysOverPartitions) {
  EXPECT_EQ(StableHash("C-1"), StableHash("C-1"));
  EXPECT_NE(StableHash("C-1"), StableHash("C-2"));
  TimerLayout layout{"scheduler", 16};
  EXPECT_EQ(layout.Prefix(7), "mot:{scheduler.07}:");
  EXPECT_EQ(layout.DueKey(12), "mot:{scheduler.12}:due");
  std::vector<int> counts(16);
  for (int i = 0; i < 16000; ++i) ++counts[layout.PartitionOf("C-" + std::to_string(i))];
  for (int c : counts) {
    EXPECT_GT(c, 800);  // about 1000 each
    EXPECT_LT(c, 1200);
  }
}

TEST(DeterministicId, StableAndDistinct) {
  EXPECT_EQ(DeterministicId("tp", {"ev-1", "welcome"}), DeterministicId("tp", {"ev-1", "welcome"}));
  EXPECT_NE(DeterministicId("tp", {"ev-1", "welcome"}), DeterministicId("tp", {"ev-2", "welcome"}));
  EXPECT_NE(DeterministicId("tp", {"ab", "c"}), DeterministicId("tp", {"a", "bc"}));
  EXPECT_EQ(DeterministicId("tp", {"x"}).rfind("tp-", 0), 0u);
}

}  // namespace
}  // namespace mot
