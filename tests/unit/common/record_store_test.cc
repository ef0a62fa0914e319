// The in-memory record store the tests use behaves as the Redis one.
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "memory_record_store.h"

namespace mot {
namespace {

TEST(MemoryRecordStore, FirstInsertWinsAndIndexesOrder) {
  testkit::MemoryRecordStore store;
  EXPECT_TRUE(*store.Insert("b", "c1", 20, "B"));
  EXPECT_TRUE(*store.Insert("a", "c1", 10, "A"));
  EXPECT_FALSE(*store.Insert("a", "c1", 10, "A2"));
  EXPECT_EQ(**store.Get("a"), "A");
  EXPECT_EQ(*store.ListByCustomer("c1", 10), (std::vector<std::string>{"A", "B"}));
  EXPECT_EQ(*store.ListRecent(1), (std::vector<std::string>{"B"}));
}

}  // namespace
}  // namespace mot
