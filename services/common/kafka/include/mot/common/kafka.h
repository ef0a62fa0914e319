#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"

namespace RdKafka {
class Producer;
class KafkaConsumer;
}  // namespace RdKafka

namespace prometheus {
class Registry;
}

namespace mot {

using Headers = std::map<std::string, std::string>;
// Extra librdkafka properties (security, SASL, TLS ...): property -> value.
using KafkaOptions = std::map<std::string, std::string>;

// InvalidArgument naming the first property librdkafka refuses.
absl::Status CheckKafkaOptions(const KafkaOptions& options);

struct OutMessage {
  std::string topic;
  std::string key;
  std::string payload;
  Headers headers;
};

// Publishes messages and returns once the broker has acknowledged them, so a
// caller that gets OK may store its offset. InvalidArgument when the message can
// never be accepted (larger than the producer or broker allows); Unavailable for
// what may pass on a retry (broker down, timed out).
class Publisher {
 public:
  virtual ~Publisher() = default;
  virtual absl::Status Publish(const std::string& topic, const std::string& key,
                               const std::string& payload, const Headers& headers = {}) = 0;
  // Many at once, all in flight together; one status per message, in order.
  virtual std::vector<absl::Status> PublishAll(const std::vector<OutMessage>& messages) {
    std::vector<absl::Status> out;
    out.reserve(messages.size());
    for (const auto& m : messages) out.push_back(Publish(m.topic, m.key, m.payload, m.headers));
    return out;
  }
};

// Idempotent librdkafka producer (acks=all). Keys are partitioned with
// murmur2 like the Java client, so a customer's events land on the same partition
// whoever publishes them.
class KafkaProducer : public Publisher {
 public:
  KafkaProducer(const std::string& brokers, const std::string& client_id,
                std::chrono::milliseconds delivery_timeout, const KafkaOptions& options = {});
  ~KafkaProducer() override;
  absl::Status Publish(const std::string& topic, const std::string& key,
                       const std::string& payload, const Headers& headers = {}) override;
  std::vector<absl::Status> PublishAll(const std::vector<OutMessage>& messages) override;
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

// What a handler returns:
//  OK                -> the effect is stored; the offset is committed.
//  InvalidArgument   -> the message can never be handled; it goes to <topic>.dlq
//                       with the status message in the "mot-dlq-reason" header.
//  anything else     -> a transient failure; the same message is retried with
//                       backoff and nothing after it on the partition is consumed.
using Handler = std::function<absl::Status(const Incoming&)>;

struct ConsumerOptions {
  std::string brokers;
  std::string group_id;
  std::vector<std::string> topics;
  KafkaOptions options;
  // group.instance.id (static membership) when not empty.
  std::string instance_id;
  std::chrono::milliseconds retry_backoff_initial{100};
  std::chrono::milliseconds retry_backoff_max{5000};
};

// A consumer-group member that commits offsets only after the handler stored the
// effect (enable.auto.offset.store=false; stored offsets are committed in the
// background and on Close()).
class KafkaConsumerLoop {
 public:
  KafkaConsumerLoop(ConsumerOptions options, Handler handler, Publisher& dead_letters,
                    prometheus::Registry& registry);
  ~KafkaConsumerLoop();
  // Blocks until stop is set; the message in hand is finished first, then the
  // stored offsets are committed and the consumer leaves the group.
  void Run(const std::atomic<bool>& stop);

 private:
  struct Metrics;
  bool HandleOne(const Incoming& msg, const std::atomic<bool>& stop);

  ConsumerOptions options_;
  Handler handler_;
  Publisher& dead_letters_;
  std::unique_ptr<Metrics> metrics_;
  std::unique_ptr<RdKafka::KafkaConsumer> consumer_;
};

}  // namespace mot
