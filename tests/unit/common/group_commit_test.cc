// Group commit: callers arriving together are committed together, each once.
#include "mot/common/group_commit.h"

#include <atomic>
#include <future>
#include <thread>
#include <vector>

#include "gtest/gtest.h"

namespace mot {
namespace {

// Callers arriving while a commit is out go together in the next one; each item is
// committed exactly once and its caller returns only after that.
TEST(GroupCommit, CallersArrivingDuringACommitGoTogetherEachOnce) {
  struct Item {
    int value = 0;
    int commits = 0;
  };
  std::mutex mu;
  std::vector<size_t> sizes;
  std::atomic<bool> release{false};
  std::atomic<int> in_commit{0}, most_in_commit{0};
  GroupCommit<Item> group(
      [&](std::vector<Item*>& batch) {
        const int now = ++in_commit;
        int seen = most_in_commit.load();
        while (now > seen && !most_in_commit.compare_exchange_weak(seen, now)) {
        }
        while (!release.load()) std::this_thread::yield();  // the first commit holds
        for (Item* i : batch) ++i->commits;
        {
          std::lock_guard<std::mutex> lock(mu);
          sizes.push_back(batch.size());
        }
        --in_commit;
      },
      /*max_batch=*/4);
  std::vector<Item> items(9);
  std::vector<std::thread> callers;
  std::atomic<int> returned{0};
  callers.emplace_back([&] {
    group.Submit(&items[0]);
    ++returned;
  });
  while (in_commit.load() == 0) std::this_thread::yield();  // item 0 alone, committing
  for (int i = 1; i < 9; ++i) {
    callers.emplace_back([&, i] {
      group.Submit(&items[i]);
      ++returned;
    });
  }
  while (group.Queued() < 8) std::this_thread::yield();
  EXPECT_EQ(returned.load(), 0) << "nobody returns before its commit";
  release.store(true);
  for (auto& t : callers) t.join();
  for (const auto& i : items) EXPECT_EQ(i.commits, 1);
  EXPECT_EQ(most_in_commit.load(), 1) << "one commit out at a time by default";
  ASSERT_EQ(sizes.size(), 3u);
  EXPECT_EQ(sizes[0], 1u);  // the lone first caller did not wait for company
  EXPECT_EQ(sizes[1], 4u);  // the eight that queued meanwhile, at most four a commit
  EXPECT_EQ(sizes[2], 4u);
}

TEST(GroupCommit, ABatchIsStoredWhileTheOneBeforeAwaitsTheBroker) {
  std::atomic<int> stored{0};
  std::atomic<bool> overlapped{false}, publishing{false};
  GroupCommit<int>* commits = nullptr;
  std::mutex mu;
  std::vector<size_t> published;
  std::vector<int> done_order;
  GroupCommit<int> group(
      {[&](std::vector<int*>& batch) { stored += static_cast<int>(batch.size()); },
       [&](std::vector<int*>& batch) {
         if (!publishing.exchange(true)) {  // the first publish waits for the next two's stores
           while (stored.load() < 3 || commits->Queued(1) < 2) std::this_thread::yield();
           overlapped.store(true);
         }
         std::lock_guard<std::mutex> lock(mu);
         published.push_back(batch.size());
       }},
      /*max_batch=*/1);
  commits = &group;
  std::vector<int> items = {0, 1, 2};
  std::vector<std::promise<void>> answered(3);
  for (int i = 0; i < 3; ++i) {
    if (i == 1) {
      while (!publishing.load()) std::this_thread::yield();  // item 0 alone, publishing
    }
    group.Submit(&items[i], [&, i] {
      {
        std::lock_guard<std::mutex> lock(mu);
        done_order.push_back(i);
      }
      answered[i].set_value();
    });
  }
  for (auto& a : answered) a.get_future().wait();
  EXPECT_TRUE(overlapped.load()) << "batches 1 and 2 were stored while batch 0 was publishing";
  ASSERT_EQ(published.size(), 2u);
  EXPECT_EQ(published[0], 1u);
  EXPECT_EQ(published[1], 2u) << "the two stored meanwhile are published together";
  EXPECT_EQ(done_order, (std::vector<int>{0, 1, 2}));
}

TEST(GroupCommit, DestructionCommitsWhatIsQueued) {
  std::atomic<int> published{0};
  std::vector<int> items(50);
  std::atomic<int> done{0};
  {
    GroupCommit<int> group(
        {[](std::vector<int*>&) { std::this_thread::yield(); },
         [&](std::vector<int*>& batch) { published += static_cast<int>(batch.size()); }},
        /*max_batch=*/4);
    for (auto& i : items) group.Submit(&i, [&] { ++done; });
  }
  EXPECT_EQ(published.load(), 50);
  EXPECT_EQ(done.load(), 50);
}

}  // namespace
}  // namespace mot
