#pragma once
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <future>
#include <mutex>
#include <thread>
#include <vector>

namespace mot {

// Group commit: callers queue items; a committer thread takes what is queued (up to
// `max_batch`) and commits it in one go, so the items that arrive while a commit is
// out (one store round trip, one awaited broker batch) go together in the next. A lone
// item is committed at once, alone: nothing waits for a batch to fill. Callers do not
// hold a thread while they wait (a callback gRPC handler answers from `done`); at most
// `max_commits` commits are out at once, one committer thread each. `commit` must not
// throw; it reports each item's outcome in the item. Destruction commits what is queued.
template <typename T>
class GroupCommit {
 public:
  using Commit = std::function<void(std::vector<T*>& batch)>;
  using Done = std::function<void()>;
  GroupCommit(Commit commit, size_t max_batch, int max_commits = 1)
      : commit_(std::move(commit)), max_batch_(max_batch == 0 ? 1 : max_batch) {
    for (int i = 0; i < (max_commits < 1 ? 1 : max_commits); ++i) {
      committers_.emplace_back([this] { Run(); });
    }
  }
  ~GroupCommit() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stopping_ = true;
    }
    ready_.notify_all();
    for (auto& t : committers_) t.join();
  }
  GroupCommit(const GroupCommit&) = delete;
  GroupCommit& operator=(const GroupCommit&) = delete;

  // `done` runs on a committer thread once `item` was committed.
  void Submit(T* item, Done done) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      queue_.push_back({item, std::move(done)});
    }
    ready_.notify_one();
  }

  // Returns once `item` was committed.
  void Submit(T* item) {
    std::promise<void> committed;
    auto waited = committed.get_future();
    Submit(item, [&committed] { committed.set_value(); });
    waited.wait();
  }

  // Items waiting for a commit to take them.
  size_t Queued() {
    std::lock_guard<std::mutex> lock(mu_);
    return queue_.size();
  }

 private:
  struct Pending {
    T* item;
    Done done;
  };

  void Run() {
    std::unique_lock<std::mutex> lock(mu_);
    for (;;) {
      ready_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping, and nothing left to commit
      std::vector<Pending> taken;
      while (!queue_.empty() && taken.size() < max_batch_) {
        taken.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
      lock.unlock();
      std::vector<T*> batch;
      batch.reserve(taken.size());
      for (auto& p : taken) batch.push_back(p.item);
      commit_(batch);
      for (auto& p : taken) p.done();
      lock.lock();
    }
  }

  const Commit commit_;
  const size_t max_batch_;
  std::mutex mu_;
  std::condition_variable ready_;
  std::deque<Pending> queue_;
  bool stopping_ = false;
  std::vector<std::thread> committers_;  // last: started once the rest is ready
};

}  // namespace mot
