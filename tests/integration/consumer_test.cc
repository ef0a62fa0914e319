// The consumer loop against the mesh's real broker: batches, transient failures
// retried in order while the other partitions go on, refused messages dead-lettered,
// and offsets committed only for what was finished.
#include <librdkafka/rdkafkacpp.h>

#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "gtest/gtest.h"
#include "mesh_env.h"
#include "mot/common/kafka.h"
#include "mot/common/kafka_admin.h"
#include "prometheus/registry.h"

namespace mot {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

constexpr int kMessages = 3000;
constexpr int kPartitions = 3;

class ConsumerLoopTest : public ::testing::Test {
 protected:
  void SetUp() override {
    env_ = testkit::MeshEnv();
    brokers_ = env_["MOT_KAFKA_BROKERS"];
    ASSERT_FALSE(brokers_.empty()) << "MOT_MESH_ENV names no broker";
    topic_ = testkit::Unique("test.consumer.");
    ASSERT_TRUE(EnsureTopics(brokers_, {topic_, topic_ + ".dlq", topic_ + ".out"}, kPartitions, 1,
                             seconds(30))
                    .ok());
    producer_ = std::make_unique<KafkaProducer>(brokers_, "consumer-test", seconds(30));
  }

  struct Read {
    std::string payload;
    std::string reason;  // its mot-dlq-reason header
  };
  // Every message of a topic from the start until `want` have come (or 60 s), copied
  // (librdkafka waits for every message it handed out before a consumer goes).
  std::vector<Read> ReadAll(const std::string& topic, size_t want) {
    std::string err;
    std::unique_ptr<RdKafka::Conf> conf(RdKafka::Conf::create(RdKafka::Conf::CONF_GLOBAL));
    conf->set("bootstrap.servers", brokers_, err);
    conf->set("group.id", testkit::Unique("reader."), err);
    conf->set("auto.offset.reset", "earliest", err);
    std::unique_ptr<RdKafka::KafkaConsumer> c(RdKafka::KafkaConsumer::create(conf.get(), err));
    c->subscribe({topic});
    std::vector<Read> out;
    const auto deadline = std::chrono::steady_clock::now() + seconds(60);
    while (out.size() < want && std::chrono::steady_clock::now() < deadline) {
      std::unique_ptr<RdKafka::Message> m(c->consume(200));
      if (m->err() != RdKafka::ERR_NO_ERROR) continue;
      Read& r = out.emplace_back();
      r.payload.assign(static_cast<const char*>(m->payload()), m->len());
      if (m->headers() != nullptr) {
        for (const auto& h : m->headers()->get("mot-dlq-reason")) {
          r.reason.assign(static_cast<const char*>(h.value()), h.value_size());
        }
      }
    }
    c->close();
    return out;
  }

  std::map<std::string, std::string> env_;
  std::string brokers_;
  std::string topic_;
  std::unique_ptr<KafkaProducer> producer_;
};

TEST_F(ConsumerLoopTest, BatchesRetryInOrderDeadLetterAndCommitOnlyWhatIsDone) {
  std::vector<OutMessage> backlog;
  for (int i = 0; i < kMessages; ++i) {
    backlog.push_back({topic_, "k" + std::to_string(i % 97), std::to_string(i), {}});
  }
  backlog[1500].payload = "refused";  // InvalidArgument: dead-lettered
  for (const auto& s : producer_->PublishAll(backlog)) ASSERT_TRUE(s.ok()) << s;
  const std::string flaky = "1000";  // fails twice (Redis down, say), then passes

  std::mutex mu;
  size_t largest_batch = 0;
  int flaky_seen = 0;
  // Per partition, the offsets in the order they were first handled successfully.
  std::map<int32_t, std::vector<int64_t>> done_order;
  std::map<int32_t, std::set<int64_t>> done;
  std::set<std::string> payloads_done;
  int32_t flaky_partition = -1;
  int64_t flaky_offset = -1;
  BatchHandler handler = [&](std::vector<Work>& batch) {
    std::lock_guard lock(mu);
    largest_batch = std::max(largest_batch, batch.size());
    std::set<int32_t> failed;
    for (auto& w : batch) {
      if (failed.count(w.msg.partition) > 0) {
        w.status = absl::AbortedError("after a failure");
        continue;
      }
      if (w.msg.payload == "refused") {
        w.status = absl::InvalidArgumentError("payload is refused");
        continue;
      }
      if (w.msg.payload == flaky && flaky_seen++ < 2) {
        flaky_partition = w.msg.partition;
        flaky_offset = w.msg.offset;
        w.status = absl::UnavailableError("store unavailable");
        failed.insert(w.msg.partition);
        continue;
      }
      w.status = w.out->Publish(topic_ + ".out", w.msg.key, w.msg.payload);
      if (done[w.msg.partition].insert(w.msg.offset).second) {
        done_order[w.msg.partition].push_back(w.msg.offset);
        payloads_done.insert(w.msg.payload);
      }
    }
  };

  ConsumerOptions options;
  options.brokers = brokers_;
  options.group_id = testkit::Unique("test.group.");
  options.topics = {topic_};
  options.retry_backoff_initial = milliseconds(200);
  prometheus::Registry registry;
  std::atomic<bool> stop{false};
  std::thread runner;
  {
    KafkaConsumerLoop loop(options, handler, *producer_, registry);
    runner = std::thread([&] { loop.Run(stop); });
    const auto deadline = std::chrono::steady_clock::now() + seconds(90);
    for (;;) {
      {
        std::lock_guard lock(mu);
        if (payloads_done.size() == kMessages - 1) break;
      }
      ASSERT_LT(std::chrono::steady_clock::now(), deadline) << "not all handled in 90 s";
      std::this_thread::sleep_for(milliseconds(50));
    }
    stop = true;
    runner.join();  // finishes what is in flight, commits, leaves the group
  }

  EXPECT_GT(largest_batch, 1u) << "a backlog is handed over in batches";
  EXPECT_EQ(flaky_seen, 3) << "failed twice, passed the third time";
  ASSERT_GE(flaky_partition, 0);
  // Within each partition, messages were first handled in offset order: the flaky
  // one's successors (handled in its batch or not) only counted after it.
  for (const auto& [p, order] : done_order) {
    EXPECT_TRUE(std::is_sorted(order.begin(), order.end())) << "partition " << p;
  }
  const auto& order = done_order[flaky_partition];
  auto at = std::find(order.begin(), order.end(), flaky_offset);
  ASSERT_NE(at, order.end());
  EXPECT_NE(at + 1, order.end()) << "its successors were handled after it";

  // The refused one, dead-lettered with its reason.
  auto dlq = ReadAll(topic_ + ".dlq", 1);
  ASSERT_EQ(dlq.size(), 1u);
  EXPECT_EQ(dlq[0].payload, "refused");
  EXPECT_EQ(dlq[0].reason, "payload is refused");

  // Everything else published once per handling: every payload is on the output topic.
  auto out = ReadAll(topic_ + ".out", kMessages - 1);
  std::set<std::string> published;
  for (const auto& m : out) published.insert(m.payload);
  EXPECT_EQ(published.size(), static_cast<size_t>(kMessages - 1));

  // The group's committed offsets are the partitions' ends: nothing to handle again.
  std::string err;
  std::unique_ptr<RdKafka::Conf> conf(RdKafka::Conf::create(RdKafka::Conf::CONF_GLOBAL));
  conf->set("bootstrap.servers", brokers_, err);
  conf->set("group.id", options.group_id, err);
  std::unique_ptr<RdKafka::KafkaConsumer> check(RdKafka::KafkaConsumer::create(conf.get(), err));
  std::vector<RdKafka::TopicPartition*> tps;
  for (int p = 0; p < kPartitions; ++p) tps.push_back(RdKafka::TopicPartition::create(topic_, p));
  ASSERT_EQ(check->committed(tps, 10000), RdKafka::ERR_NO_ERROR);
  int64_t committed = 0;
  for (auto* tp : tps) {
    int64_t low = 0, high = 0;
    ASSERT_EQ(check->query_watermark_offsets(topic_, tp->partition(), &low, &high, 10000),
              RdKafka::ERR_NO_ERROR);
    EXPECT_EQ(tp->offset(), high) << "partition " << tp->partition();
    committed += tp->offset();
  }
  EXPECT_EQ(committed, kMessages);
  RdKafka::TopicPartition::destroy(tps);
  check->close();
}

}  // namespace
}  // namespace mot
