#pragma once

#include <atomic>
#include <chrono>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "mot/common/messaging.h"

namespace RdKafka {
class Producer;
class KafkaConsumer;
}  // namespace RdKafka

namespace prometheus {
class Registry;
}

namespace mot {

// Extra librdkafka properties (security, SASL, TLS ...): property -> value.
using KafkaOptions = std::map<std::string, std::string>;

// InvalidArgument naming the first property librdkafka refuses.
absl::Status CheckKafkaOptions(const KafkaOptions& options);

// Idempotent librdkafka producer (acks=all). Keys are partitioned with
// murmur2 like the Java client, so a customer's events land on the same partition
// whoever publishes them.
class KafkaProducer : public Publisher {
 public:
  KafkaProducer(const std::string& brokers, const std::string& client_id,
                std::chrono::milliseconds delivery_timeout, const KafkaOptions& options = {});
  ~KafkaProducer() override;
  absl::Status Publish(const std::string& topic, const std::string& key, const std::string& payload,
                       const Headers& headers = {}) override;
  std::vector<absl::Status> PublishAll(const std::vector<OutMessage>& messages) override;
  std::shared_ptr<Delivery> Send(const OutMessage& message) override;
  void Poll(std::chrono::milliseconds wait) override;
  // Waits for what is still in flight; returns how many messages were left.
  int Flush(std::chrono::milliseconds timeout);

 private:
  class DeliveryReports;
  std::unique_ptr<DeliveryReports> reports_;
  std::unique_ptr<RdKafka::Producer> producer_;
};

struct Incoming {
  std::string topic;
  int32_t partition = 0;
  int64_t offset = 0;
  std::string key;
  std::string payload;
  Headers headers;
};

// A handler stores the message's effect and publishes what follows through `out`,
// which sends without waiting: the loop goes on to the next message, and stores this
// one's offset once every message before it is done and its publishes acknowledged.
// What it returns:
//  OK                -> the effect is stored.
//  InvalidArgument   -> the message can never be handled; it goes to <topic>.dlq
//                       with the status message in the "mot-dlq-reason" header.
//  anything else     -> a transient failure; the same message is retried with
//                       backoff (its partition paused, the others go on; the
//                       consumer keeps polling, so it stays in its group).
// A publish refused for good dead-letters the message; one that fails otherwise
// rewinds the partition to the first unfinished message, which is handled again
// (handlers are idempotent).
using Handler = std::function<absl::Status(const Incoming&, Publisher& out)>;

// One message of a batch: the handler publishes what follows through `out` and sets
// `status` as a Handler returns it.
struct Work {
  Incoming msg;
  Publisher* out = nullptr;
  absl::Status status;
};
// Handles many messages at once (e.g. one Redis round trip for all of them), in
// consumption order. Once a message fails transiently, the later ones of its
// partition are handled again after it, whatever their status: a batch handler may
// handle them or leave them (statuses default to OK, so set one for each).
using BatchHandler = std::function<void(std::vector<Work>& batch)>;
// A Handler run on each message of a batch in turn; after a transient failure the
// later messages of that partition are left unhandled.
BatchHandler OneByOne(Handler handler);
// A batch handler's HandleBatch run on one message: its status.
template <typename H>
absl::Status HandleOne(H& handler, const Incoming& in, Publisher& out) {
  std::vector<Work> batch{Work{in, &out, {}}};
  handler.HandleBatch(batch);
  return batch[0].status;
}

struct ConsumerOptions {
  std::string brokers;
  std::string group_id;
  std::vector<std::string> topics;
  KafkaOptions options;
  // group.instance.id (static membership) when not empty.
  std::string instance_id;
  std::chrono::milliseconds retry_backoff_initial{100};
  std::chrono::milliseconds retry_backoff_max{5000};
  // Messages handled and not yet finished (their publishes unacknowledged), at most.
  size_t max_in_flight = 1000;
  // Messages handed to the handler at once, at most: what has arrived, without waiting.
  size_t max_batch = 500;
  // A payload larger than this is dead-lettered unread (MOT_KAFKA_MAX_PAYLOAD_BYTES;
  // librdkafka's default message.max.bytes: nothing larger could be published on).
  size_t max_payload_bytes = 1000000;
};

// A consumer-group member that commits an offset only after every message up to it
// had its effect stored and its publishes acknowledged (enable.auto.offset.store=false;
// stored offsets are committed in the background and on close).
class KafkaConsumerLoop {
 public:
  KafkaConsumerLoop(ConsumerOptions options, BatchHandler handler, Publisher& out,
                    prometheus::Registry& registry);
  ~KafkaConsumerLoop();
  // Blocks until stop is set; the messages in flight are finished first (bounded by
  // the delivery timeout), then the stored offsets are committed and the consumer
  // leaves the group.
  void Run(const std::atomic<bool>& stop);

 private:
  struct Metrics;
  struct InFlight;
  struct Blocked;
  using PartitionKey = std::pair<std::string, int32_t>;
  // Runs the handler on a batch; what failed transiently is kept, its partition
  // paused, and retried with backoff (later messages of that partition after it),
  // doubled from `backoff_before` for a partition that was being retried.
  void Handle(std::vector<Incoming> batch,
              const std::map<PartitionKey, std::chrono::milliseconds>& backoff_before = {});
  // Finished messages at the front of each partition: store offsets, dead-letter what
  // was refused, rewind what failed.
  void Settle();
  void RetryBlocked();
  void Pause(const PartitionKey& key, bool pause);
  // Creates the consumer and subscribes.
  void Connect();
  // Drops what is in flight (handled again) and starts a new consumer, which resumes
  // from the committed offsets: after a fatal error, or when a rewind cannot be done.
  void Reconnect(const std::string& why);

  ConsumerOptions options_;
  BatchHandler handler_;
  Publisher& out_;
  std::unique_ptr<Metrics> metrics_;
  std::map<std::string, std::string> settings_;  // of the consumer
  std::unique_ptr<RdKafka::KafkaConsumer> consumer_;
  std::map<PartitionKey, std::deque<InFlight>> in_flight_;
  std::map<PartitionKey, Blocked> blocked_;  // messages being retried; their partition paused
  size_t in_flight_count_ = 0;
};

}  // namespace mot
