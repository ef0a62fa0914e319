// The timer engine and the scheduler's journey store and dispatcher against the
// mesh's real Redis (ctest fixture "mesh"), each test in its own key namespace so
// the running scheduler never sees its timers. Time is a ManualClock: no test
// waits for anything to fall due.
#include <atomic>
#include <set>
#include <thread>

#include "fakes.h"
#include "gtest/gtest.h"
#include "mesh_env.h"
#include "mot/common/timers.h"
#include "mot/common/topics.h"
#include "prometheus/registry.h"
#include "touchpoint-scheduler/app/dispatcher.h"
#include "touchpoint-scheduler/app/metrics.h"
#include "touchpoint-scheduler/app/redis_journey_store.h"

namespace mot::scheduler {
namespace {

using std::chrono::hours;
using std::chrono::milliseconds;
using std::chrono::seconds;
using testkit::ManualClock;
using testkit::Unique;

const TimePoint kT0 = FromUnixMillis(1'793'520'000'000);  // 2026-11-01T08:00:00Z

PlannedTouchpoint Planned(const std::string& customer, const std::string& id, TimePoint due,
                          size_t payload_bytes = 16) {
  PlannedTouchpoint p;
  p.touchpoint.set_id(id);
  p.touchpoint.set_step_id("step");
  p.touchpoint.set_service("ticketing");
  p.touchpoint.set_customer_id(customer);
  p.touchpoint.set_status(v1::TOUCHPOINT_STATUS_SCHEDULED);
  *p.touchpoint.mutable_due_at() = ToProto(due);
  p.payload = std::string(payload_bytes, 'x');
  return p;
}

class TimerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    env_ = testkit::MeshEnv();
    ASSERT_FALSE(env_["MOT_REDIS_ADDR"].empty()) << "MOT_MESH_ENV does not name a running mesh";
    redis_ = testkit::MeshRedis(env_);
    options_.ns = Unique("test");
    options_.partitions = 4;
    options_.retention = hours(24 * 365 * 5);
    store_ = std::make_unique<RedisJourneyStore>(*redis_, options_);
  }

  v1::TouchpointStatus Status(const std::string& customer) {
    auto j = store_->Journey(customer);
    EXPECT_TRUE(j.ok()) << j.status();
    return j.ok() && !j->empty() ? (*j)[0].status() : v1::TOUCHPOINT_STATUS_UNSPECIFIED;
  }

  int64_t Armed() { return store_->Timers()->armed; }

  std::map<std::string, std::string> env_;
  std::unique_ptr<RedisClient> redis_;
  JourneyStoreOptions options_;
  std::unique_ptr<RedisJourneyStore> store_;
};

// A redelivered event used to check the status and re-arm the timer in two round
// trips: a dispatch between them left a DISPATCHED touchpoint armed, to be sent again.
TEST_F(TimerTest, RedeliveryRacingADispatchNeverRearmsIt) {
  constexpr int kCount = 1000;
  std::vector<PlannedTouchpoint> planned;
  for (int i = 0; i < kCount; ++i)
    planned.push_back(Planned("C-race", "tp-" + std::to_string(i), kT0));
  auto other = testkit::MeshRedis(env_);
  RedisJourneyStore redelivery(*other, options_);
  std::atomic<bool> done{false};
  std::thread replayer([&] {  // the event, delivered again and again
    while (!done.load()) {
      for (const auto& p : planned) ASSERT_TRUE(redelivery.Schedule(p, kT0).ok());
    }
  });
  int dispatched = 0;
  for (int round = 0; round < 5000 && dispatched < kCount; ++round) {
    const int part = TimerLayout{options_.ns, options_.partitions}.PartitionOf("C-race");
    auto claimed = store_->ClaimDue(part, kT0, seconds(60), 2, "r:" + std::to_string(round));
    ASSERT_TRUE(claimed.ok()) << claimed.status();
    std::vector<Settlement> settle;
    for (const auto& c : *claimed) {
      settle.push_back({c.partition, c.id, c.token, Settlement::Kind::kDispatched, "", {}});
    }
    auto held = store_->Settle(settle, kT0);
    ASSERT_TRUE(held.ok());
    for (bool h : *held) dispatched += h;
  }
  done = true;
  replayer.join();
  EXPECT_EQ(dispatched, kCount);  // each exactly once
  EXPECT_EQ(Armed(), 0) << "a redelivered event re-armed a dispatched touchpoint";
  auto journey = store_->Journey("C-race");
  ASSERT_TRUE(journey.ok());
  ASSERT_EQ(journey->size(), static_cast<size_t>(kCount));
  for (const auto& tp : *journey) {
    EXPECT_EQ(tp.status(), v1::TOUCHPOINT_STATUS_DISPATCHED) << tp.id();
  }
}

// A claim used to be SET NX "1", deleted by whoever finished: a slow replica deleted
// the claim of the replica that took over after its lease ran out.
TEST_F(TimerTest, AnExpiredClaimCanNeitherSettleNorReleaseTheNewOne) {
  ASSERT_TRUE(store_->Schedule(Planned("C-lease", "tp-1", kT0), kT0).ok());
  const int part = TimerLayout{options_.ns, options_.partitions}.PartitionOf("C-lease");
  auto a = store_->ClaimDue(part, kT0, seconds(60), 10, "replica-a:1");
  ASSERT_EQ(a->size(), 1u);
  EXPECT_TRUE(store_->ClaimDue(part, kT0 + seconds(59), seconds(60), 10, "replica-b:1")->empty())
      << "claimed twice within the lease";
  auto b = store_->ClaimDue(part, kT0 + seconds(61), seconds(60), 10, "replica-b:2");
  ASSERT_EQ(b->size(), 1u) << "the lease ran out; the touchpoint is due again";

  // Replica A's slow publish finally returns: its claim is gone, nothing changes.
  auto late = store_->Settle({{part, "tp-1", "replica-a:1", Settlement::Kind::kDispatched, "", {}}},
                             kT0 + seconds(62));
  ASSERT_TRUE(late.ok());
  EXPECT_FALSE((*late)[0]);
  auto late_retry = store_->Settle(
      {{part, "tp-1", "replica-a:1", Settlement::Kind::kRetry, "x", kT0 + seconds(63)}},
      kT0 + seconds(62));
  EXPECT_FALSE((*late_retry)[0]);
  EXPECT_EQ(Status("C-lease"), v1::TOUCHPOINT_STATUS_SCHEDULED);
  EXPECT_TRUE(store_->ClaimDue(part, kT0 + seconds(62), seconds(60), 10, "replica-c:1")->empty())
      << "A released B's claim";

  auto mine = store_->Settle({{part, "tp-1", "replica-b:2", Settlement::Kind::kDispatched, "", {}}},
                             kT0 + seconds(62));
  EXPECT_TRUE((*mine)[0]);
  EXPECT_EQ(Status("C-lease"), v1::TOUCHPOINT_STATUS_DISPATCHED);
  EXPECT_EQ(Armed(), 0);
}

// Replicas used to read the same head of one sorted set and race for it.
TEST_F(TimerTest, BatchClaimsAreDisjointAndTakeFullBatches) {
  RedisTimers timers(*redis_, {options_.ns, 1});
  std::vector<RedisTimers::Timer> all;
  for (int i = 0; i < 1000; ++i) all.push_back({0, "t" + std::to_string(i), kT0 - seconds(i)});
  ASSERT_TRUE(timers.Arm(all).ok());
  std::set<std::string> seen;
  for (int round = 0; round < 10; ++round) {
    for (const char* replica : {"a", "b"}) {
      auto ids = timers.Claim(0, kT0, seconds(60), 50, absl::StrCat(replica, round));
      ASSERT_TRUE(ids.ok());
      EXPECT_EQ(ids->size(), 50u) << "a replica got less than a batch from a backlog";
      for (const auto& id : *ids) EXPECT_TRUE(seen.insert(id).second) << id << " claimed twice";
    }
  }
  EXPECT_EQ(seen.size(), 1000u);
  EXPECT_TRUE(seen.count("t999"));  // oldest first: the first batch began with it
  EXPECT_EQ(*timers.Complete(0, {"t0", "t1"}, "a0"), 0) << "another claimer's timers";
  EXPECT_EQ(*timers.Count(0), 1000);
}

TEST_F(TimerTest, TimersLivePartitionedUnderHashTags) {
  const TimerLayout layout{options_.ns, options_.partitions};
  for (int i = 0; i < 40; ++i) {
    const std::string c = "C-part-" + std::to_string(i);
    ASSERT_TRUE(store_->Schedule(Planned(c, "tp-" + c, kT0 + hours(1)), kT0).ok());
    ASSERT_TRUE(store_->RecordMilestone(c, "handover", kT0, kT0).ok());
  }
  std::set<int> used;
  for (int p = 0; p < options_.partitions; ++p) {
    int64_t n = *RedisTimers(*redis_, layout).Count(p);
    if (n > 0) used.insert(p);
  }
  EXPECT_EQ(used.size(), 4u) << "every partition takes a share";
  // Every key of a customer carries its partition's tag: one Redis Cluster slot.
  const std::string c = "C-part-7";
  const std::string tag = layout.Prefix(layout.PartitionOf(c));
  auto keys = redis_->Command({"KEYS", "mot:{" + options_.ns + ".*"});
  int of_customer = 0;
  for (const auto& k : keys->elements) {
    if (k.str.find(c) != std::string::npos) {
      EXPECT_EQ(k.str.rfind(tag, 0), 0u) << k.str;
      ++of_customer;
    }
  }
  EXPECT_EQ(of_customer, 3);  // tp:tp-C-part-7, journey:, milestones:
}

TEST_F(TimerTest, DispatchedCommandsAreDroppedAndFinishedJourneysExpire) {
  const TimePoint due = kT0 + hours(24 * 90);
  ASSERT_TRUE(store_->RecordMilestone("C-ret", "handover", kT0, kT0).ok());
  ASSERT_TRUE(store_->Schedule(Planned("C-ret", "tp-r", due, 500), kT0).ok());
  const std::string tp_key = store_->TouchpointKey("C-ret", "tp-r");
  const std::string prefix = tp_key.substr(0, tp_key.find("tp:"));
  auto expire = [&](const std::string& key) {
    return redis_->Command({"PEXPIRETIME", key})->integer;
  };
  EXPECT_EQ(expire(tp_key), -1) << "a pending touchpoint never expires";
  const int64_t five_years = ToUnixMillis(FromUnixMillis(0) + options_.retention);
  EXPECT_EQ(expire(prefix + "journey:C-ret"), ToUnixMillis(due) + five_years);
  EXPECT_EQ(expire(prefix + "milestones:C-ret"), ToUnixMillis(due) + five_years);

  const TimePoint fired = due + seconds(3);
  const int part = TimerLayout{options_.ns, options_.partitions}.PartitionOf("C-ret");
  auto c = store_->ClaimDue(part, fired, seconds(60), 10, "r:1");
  ASSERT_EQ(c->size(), 1u);
  ASSERT_TRUE(
      store_->Settle({{part, "tp-r", "r:1", Settlement::Kind::kDispatched, "", {}}}, fired).ok());
  EXPECT_TRUE(redis_->Command({"HGET", tp_key, "payload"})->is_nil())
      << "command kept after dispatch";
  EXPECT_FALSE(redis_->Command({"HGET", tp_key, "tp"})->is_nil());
  EXPECT_EQ(expire(tp_key), ToUnixMillis(fired) + five_years);

  // An outcome for a touchpoint no longer stored creates nothing (no key without expiry).
  Outcome stray{"C-ret", "tp-gone", v1::TOUCHPOINT_STATUS_DONE, "done", "x"};
  ASSERT_TRUE(store_->Advance(stray, fired).ok());
  EXPECT_EQ(redis_->Command({"EXISTS", store_->TouchpointKey("C-ret", "tp-gone")})->integer, 0);
}

TEST_F(TimerTest, ASkippedTouchpointIsKeptWithItsReasonAndNeverArmed) {
  PlannedTouchpoint stale = Planned("C-skip", "tp-stale", kT0 - hours(24 * 640));
  stale.touchpoint.set_status(v1::TOUCHPOINT_STATUS_SKIPPED);
  stale.touchpoint.set_outcome("due 2025-03-02, 640 days before the mesh heard of it");
  stale.payload.clear();
  const PlannedTouchpoint ahead = Planned("C-skip", "tp-ahead", kT0 + hours(24 * 30));
  const int64_t armed = Armed();
  for (int delivery = 0; delivery < 2; ++delivery) {  // redelivered: stored once
    auto sends = store_->ScheduleOrSend({stale, ahead}, {false, false}, kT0);
    ASSERT_TRUE(sends.ok()) << sends.status();
    EXPECT_EQ(*sends, (std::vector<bool>{false, false}));
  }
  EXPECT_EQ(Armed(), armed + 1) << "only the one ahead has a timer";
  auto journey = store_->Journey("C-skip");
  ASSERT_TRUE(journey.ok()) << journey.status();
  ASSERT_EQ(journey->size(), 2u);
  EXPECT_EQ((*journey)[0].id(), "tp-stale");
  EXPECT_EQ((*journey)[0].status(), v1::TOUCHPOINT_STATUS_SKIPPED);
  EXPECT_EQ((*journey)[0].outcome(), "due 2025-03-02, 640 days before the mesh heard of it");
  EXPECT_EQ((*journey)[1].status(), v1::TOUCHPOINT_STATUS_SCHEDULED);
  const std::string key = store_->TouchpointKey("C-skip", "tp-stale");
  EXPECT_TRUE(redis_->Command({"HGET", key, "payload"})->is_nil()) << "no command kept";
  EXPECT_GT(redis_->Command({"PEXPIRETIME", key})->integer, 0) << "kept for the retention only";
  // Nothing of it is ever claimed.
  const int part = TimerLayout{options_.ns, options_.partitions}.PartitionOf("C-skip");
  auto claimed = store_->ClaimDue(part, kT0 + hours(1), seconds(60), 10, "r:1");
  ASSERT_TRUE(claimed.ok());
  for (const auto& c : *claimed) EXPECT_NE(c.id, "tp-stale");
}

// customer_forgotten in the scripts: the journey ends (every scheduled touchpoint
// cancelled, its command and timer gone), the record and milestones are deleted, the
// tombstone stays; only a profile newer than it writes the record again.
TEST_F(TimerTest, AForgottenCustomerKeepsOnlyATombstoneUntilANewerProfile) {
  const std::string c = "C-gone";
  CustomerUpdate profile{c, {{"segment", "elderly"}, {"birth", "03-14"}}, {}};
  profile.as_of = kT0 - hours(1);
  ASSERT_TRUE(store_->UpdateCustomers({profile}, kT0).ok());
  ASSERT_TRUE(store_->RecordMilestone(c, "handover", kT0, kT0).ok());
  ASSERT_TRUE(
      store_
          ->ScheduleAll({Planned(c, "tp-1", kT0 + hours(24)), Planned(c, "tp-2", kT0 + hours(48))},
                        kT0)
          .ok());
  const int64_t armed = Armed();
  const std::string tp_key = store_->TouchpointKey(c, "tp-1");
  const std::string prefix = tp_key.substr(0, tp_key.find("tp:"));
  ASSERT_EQ(redis_->Command({"SISMEMBER", prefix + "birthdays", c})->integer, 1);

  Amendment end{c, "customer_forgotten", "forgotten", "", {}, /*every=*/true};
  auto r = store_->StoreSegment({end}, {Forgetting(c, kT0)}, {}, {}, kT0);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->amended[0].cancelled_steps.size(), 2u);
  EXPECT_EQ(Armed(), armed - 2) << "their timers are gone";
  const auto journey = store_->Journey(c);
  ASSERT_TRUE(journey.ok()) << journey.status();
  for (const auto& tp : *journey) {
    EXPECT_EQ(tp.status(), v1::TOUCHPOINT_STATUS_CANCELLED);
    EXPECT_EQ(tp.outcome(), "forgotten");
  }
  EXPECT_TRUE(redis_->Command({"HGET", tp_key, "payload"})->is_nil()) << "command kept";
  EXPECT_EQ(redis_->Command({"EXISTS", prefix + "customer:" + c})->integer, 0);
  EXPECT_EQ(redis_->Command({"EXISTS", prefix + "milestones:" + c})->integer, 0);
  EXPECT_EQ(redis_->Command({"SISMEMBER", prefix + "birthdays", c})->integer, 0);
  EXPECT_EQ(redis_->Command({"SISMEMBER", prefix + "customers", c})->integer, 0);
  EXPECT_EQ(store_->Forgotten({c, "C-other"})->at(c), kT0);
  EXPECT_EQ(store_->Forgotten({c, "C-other"})->size(), 1u);

  // An event's update and an older profile write nothing; a newer profile lifts it.
  ASSERT_TRUE(store_->RecordMilestone(c, "handover", kT0, kT0 + hours(1)).ok());
  ASSERT_TRUE(store_->UpdateCustomers({profile}, kT0 + hours(1)).ok());
  EXPECT_EQ(redis_->Command({"EXISTS", prefix + "customer:" + c})->integer, 0);
  EXPECT_EQ(redis_->Command({"EXISTS", prefix + "milestones:" + c})->integer, 0);
  profile.as_of = kT0 + hours(1);
  ASSERT_TRUE(store_->UpdateCustomers({profile}, kT0 + hours(1)).ok());
  EXPECT_EQ(store_->Facts({c}, {})->at(c).segment, "elderly");
  EXPECT_TRUE(store_->Forgotten({c})->empty());
}

// The dispatcher against the real store, with a publisher the test controls.
class DispatcherTest : public TimerTest {
 protected:
  void SetUp() override {
    TimerTest::SetUp();
    metrics_ = MakeSchedulerMetrics(registry_, Playbook{});
    options.batch = 10;
    options.claim_lease = seconds(60);
    options.retry_initial = seconds(1);
    options.retry_max = seconds(8);
  }
  Dispatcher MakeDispatcher() {
    return Dispatcher(*store_, publisher_, clock_, options, *metrics_);
  }
  double Failures(DispatchFailure why) { return metrics_->failures.at(why)->Value(); }

  prometheus::Registry registry_;
  std::unique_ptr<SchedulerMetrics> metrics_;
  testkit::FakePublisher publisher_;
  ManualClock clock_{kT0};
  DispatcherOptions options;
};

// One touchpoint the broker refuses for good used to block every dispatch, forever.
TEST_F(DispatcherTest, APermanentFailureFailsThatTouchpointAndTheOthersGoOn) {
  for (int i = 0; i < 25; ++i) {
    const std::string c = "C-" + std::to_string(i);
    ASSERT_TRUE(
        store_->Schedule(Planned(c, "tp-" + c, kT0 - seconds(25 - i), i == 0 ? 2'000'000 : 16), kT0)
            .ok());
  }
  auto d = MakeDispatcher();
  int sent = 0;
  for (int pass = 0; pass < 10; ++pass) sent += d.DispatchDue()->dispatched;
  EXPECT_EQ(sent, 24);
  EXPECT_EQ(publisher_.sent.size(), 24u);
  auto j = *store_->Journey("C-0");
  EXPECT_EQ(j[0].status(), v1::TOUCHPOINT_STATUS_FAILED);
  EXPECT_NE(j[0].outcome().find("not dispatched: kafka produce to mot.ticketing.commands.v1"),
            std::string::npos)
      << j[0].outcome();
  EXPECT_EQ(Failures(DispatchFailure::kRejected), 1);
  EXPECT_EQ(Armed(), 0);
  EXPECT_EQ(metrics_->pending.Value(), 0);
}

TEST_F(DispatcherTest, ATransientFailureBacksOffPerTouchpoint) {
  ASSERT_TRUE(store_->Schedule(Planned("C-1", "tp-1", kT0), kT0).ok());
  ASSERT_TRUE(store_->Schedule(Planned("C-2", "tp-2", kT0 + seconds(5)), kT0).ok());
  publisher_.fail_with = absl::UnavailableError("broker down");
  auto d = MakeDispatcher();
  EXPECT_EQ(d.DispatchDue()->dispatched, 0);
  EXPECT_EQ(Failures(DispatchFailure::kUnavailable), 1);
  EXPECT_EQ(metrics_->pending.Value(), 2);
  clock_.Advance(milliseconds(900));
  EXPECT_EQ(d.DispatchDue()->dispatched, 0);
  EXPECT_EQ(Failures(DispatchFailure::kUnavailable), 1) << "retried before its backoff";
  clock_.Advance(milliseconds(100));  // 1 s: the first retry
  ASSERT_TRUE(d.DispatchDue().ok());
  EXPECT_EQ(Failures(DispatchFailure::kUnavailable), 2);
  clock_.Advance(milliseconds(1999));  // the second waits 2 s
  ASSERT_TRUE(d.DispatchDue().ok());
  EXPECT_EQ(Failures(DispatchFailure::kUnavailable), 2);
  publisher_.fail_with = absl::OkStatus();
  clock_.Advance(milliseconds(1));
  EXPECT_EQ(d.DispatchDue()->dispatched, 1);
  EXPECT_EQ(Status("C-1"), v1::TOUCHPOINT_STATUS_DISPATCHED);
  clock_.Advance(seconds(2));  // tp-2 was due at +5 s and never failed
  EXPECT_EQ(d.DispatchDue()->dispatched, 1);
  EXPECT_EQ(publisher_.sent.size(), 2u);
}

TEST_F(DispatcherTest, TheOldestDueTimersAgeIsExposed) {
  ASSERT_TRUE(store_->Schedule(Planned("C-1", "tp-1", kT0 - seconds(90)), kT0).ok());
  ASSERT_TRUE(store_->Schedule(Planned("C-2", "tp-2", kT0 + hours(24)), kT0).ok());
  options.partitions = {};  // serves nothing: the timer stays due, and its age shows it
  std::vector<int> none_served;
  auto d = Dispatcher(*store_, publisher_, clock_, options, *metrics_);
  ASSERT_TRUE(d.DispatchDue().ok());
  EXPECT_EQ(metrics_->oldest_due_age.Value(), 0) << "served everything, so nothing stays due";
  ASSERT_TRUE(store_->Schedule(Planned("C-3", "tp-3", kT0 - seconds(30)), kT0).ok());
  const int part3 = TimerLayout{options_.ns, options_.partitions}.PartitionOf("C-3");
  for (int p = 0; p < options_.partitions; ++p) {
    if (p != part3) options.partitions.push_back(p);
  }
  auto partial = Dispatcher(*store_, publisher_, clock_, options, *metrics_);
  ASSERT_TRUE(partial.DispatchDue().ok());
  EXPECT_EQ(metrics_->oldest_due_age.Value(), 30);
  EXPECT_EQ(metrics_->pending.Value(), 2);
}

TEST(ParsePartitions, RangesAndErrors) {
  EXPECT_EQ(*ParsePartitions("all", 3), (std::vector<int>{0, 1, 2}));
  EXPECT_EQ(*ParsePartitions("0-2,5", 8), (std::vector<int>{0, 1, 2, 5}));
  EXPECT_EQ(ParsePartitions("7-9", 8).status().message(),
            "'7-9' is not a partition or range of partitions 0..7");
  EXPECT_FALSE(ParsePartitions("x", 8).ok());
}

}  // namespace
}  // namespace mot::scheduler
