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
// hold a thread while they wait (a callback gRPC handler answers from `done`).
//
// A commit may be made of stages (e.g. store, then publish and await the broker),
// each on a thread of its own: batches go through the stages in order, and while one
// batch is in a later stage the next is already in an earlier one. A later stage
// takes every batch waiting for it in one go. Each stage must not throw; it reports
// each item's outcome in the item (and skips the items an earlier stage failed).
// Destruction commits what is queued.
template <typename T>
class GroupCommit {
 public:
  using Stage = std::function<void(std::vector<T*>& batch)>;
  using Done = std::function<void()>;
  GroupCommit(std::vector<Stage> stages, size_t max_batch)
      : stages_(std::move(stages)),
        max_batch_(max_batch == 0 ? 1 : max_batch),
        queues_(stages_.size()) {
    for (size_t s = 0; s < stages_.size(); ++s) threads_.emplace_back([this, s] { Run(s); });
  }
  GroupCommit(Stage commit, size_t max_batch)
      : GroupCommit(std::vector<Stage>{std::move(commit)}, max_batch) {}
  ~GroupCommit() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stopping_ = true;
    }
    ready_.notify_all();
    for (auto& t : threads_) t.join();
  }
  GroupCommit(const GroupCommit&) = delete;
  GroupCommit& operator=(const GroupCommit&) = delete;

  // `done` runs on the last stage's thread once `item` was committed.
  void Submit(T* item, Done done) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      queues_[0].push_back({item, std::move(done)});
    }
    ready_.notify_all();
  }

  // Returns once `item` was committed.
  void Submit(T* item) {
    std::promise<void> committed;
    auto waited = committed.get_future();
    Submit(item, [&committed] { committed.set_value(); });
    waited.wait();
  }

  // Items waiting for stage `stage` to take them (the first by default).
  size_t Queued(size_t stage = 0) {
    std::lock_guard<std::mutex> lock(mu_);
    return queues_.at(stage).size();
  }

 private:
  struct Pending {
    T* item;
    Done done;
  };

  // Stage `s` of every batch, in order. A stage stops once stopping, its queue is
  // empty and the stage before it has stopped (so nothing more can reach it).
  void Run(size_t s) {
    const size_t most = s == 0 ? max_batch_ : static_cast<size_t>(-1);
    const bool last = s + 1 == stages_.size();
    std::unique_lock<std::mutex> lock(mu_);
    for (;;) {
      ready_.wait(lock, [&] { return !queues_[s].empty() || (stopping_ && stopped_ == s); });
      if (queues_[s].empty()) {
        ++stopped_;
        ready_.notify_all();
        return;
      }
      std::vector<Pending> taken;
      while (!queues_[s].empty() && taken.size() < most) {
        taken.push_back(std::move(queues_[s].front()));
        queues_[s].pop_front();
      }
      lock.unlock();
      std::vector<T*> batch;
      batch.reserve(taken.size());
      for (auto& p : taken) batch.push_back(p.item);
      stages_[s](batch);
      if (last) {
        for (auto& p : taken) p.done();
        lock.lock();
      } else {
        lock.lock();
        for (auto& p : taken) queues_[s + 1].push_back(std::move(p));
        ready_.notify_all();
      }
    }
  }

  const std::vector<Stage> stages_;
  const size_t max_batch_;
  std::mutex mu_;
  std::condition_variable ready_;
  std::vector<std::deque<Pending>> queues_;  // the items waiting for each stage
  bool stopping_ = false;
  size_t stopped_ = 0;                // stages stopped, in order
  std::vector<std::thread> threads_;  // last: started once the rest is ready
};

}  // namespace mot
