#pragma once
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <vector>

namespace mot {

// Group commit for callers that each hold a thread (a synchronous gRPC handler): a
// caller queues its item and waits; whoever finds a free commit slot takes what is
// queued (up to `max_batch`) and commits it in one go for everyone, so the items that
// arrive while a commit is out (one store round trip, one awaited broker batch) go
// together in the next. A lone caller commits at once, alone: nothing waits for a
// batch to fill. `commit` must not throw; it reports each item's outcome in the item.
template <typename T>
class GroupCommit {
 public:
  using Commit = std::function<void(std::vector<T*>& batch)>;
  GroupCommit(Commit commit, size_t max_batch, int max_commits = 1)
      : commit_(std::move(commit)),
        max_batch_(max_batch == 0 ? 1 : max_batch),
        max_commits_(max_commits < 1 ? 1 : max_commits) {}

  // Returns once `item` was committed (by this caller or another).
  void Submit(T* item) {
    Pending mine{item};
    std::unique_lock<std::mutex> lock(mu_);
    queue_.push_back(&mine);
    while (!mine.done) {
      if (committing_ < max_commits_ && !queue_.empty()) {
        std::vector<Pending*> taken;
        while (!queue_.empty() && taken.size() < max_batch_) {
          taken.push_back(queue_.front());
          queue_.pop_front();
        }
        ++committing_;
        lock.unlock();
        std::vector<T*> batch;
        batch.reserve(taken.size());
        for (auto* p : taken) batch.push_back(p->item);
        commit_(batch);
        lock.lock();
        --committing_;
        for (auto* p : taken) p->done = true;
        done_.notify_all();
      } else {
        done_.wait(lock);
      }
    }
  }

  // Items waiting for a commit to take them.
  size_t Queued() {
    std::lock_guard<std::mutex> lock(mu_);
    return queue_.size();
  }

 private:
  struct Pending {
    T* item;
    bool done = false;
  };
  const Commit commit_;
  const size_t max_batch_;
  const int max_commits_;
  std::mutex mu_;
  std::condition_variable done_;
  std::deque<Pending*> queue_;
  int committing_ = 0;
};

}  // namespace mot
