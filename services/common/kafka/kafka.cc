#include "mot/common/kafka.h"

#include <librdkafka/rdkafkacpp.h>

#include <thread>

#include "absl/strings/str_cat.h"
#include "mot/common/log.h"
#include "prometheus/counter.h"
#include "prometheus/registry.h"

namespace mot {
namespace {

// The outcome of one produce call, filled in by the delivery report.
struct Pending {
  std::atomic<bool> done{false};
  RdKafka::ErrorCode err = RdKafka::ERR_NO_ERROR;
};

// Errors no retry can cure: the message itself is refused.
bool Permanent(RdKafka::ErrorCode err) {
  switch (err) {
    case RdKafka::ERR_MSG_SIZE_TOO_LARGE:
    case RdKafka::ERR_RECORD_LIST_TOO_LARGE:
    case RdKafka::ERR_INVALID_MSG:
    case RdKafka::ERR_INVALID_RECORD:
    case RdKafka::ERR_INVALID_MSG_SIZE:
      return true;
    default:
      return false;
  }
}

absl::Status ProduceError(const char* what, const std::string& topic, size_t bytes,
                          RdKafka::ErrorCode err) {
  std::string message = absl::StrCat("kafka ", what, " to ", topic, " (", bytes,
                                     " bytes): ", RdKafka::err2str(err));
  return Permanent(err) ? absl::InvalidArgumentError(message) : absl::UnavailableError(message);
}

// librdkafka's own log lines and errors, into the service's JSON log.
class LogEvents : public RdKafka::EventCb {
 public:
  void event_cb(RdKafka::Event& event) override {
    switch (event.type()) {
      case RdKafka::Event::EVENT_ERROR:
        Log().warn("kafka: {}: {}", RdKafka::err2str(event.err()), event.str());
        break;
      case RdKafka::Event::EVENT_LOG: {
        const int sev = event.severity();
        const auto level = sev <= RdKafka::Event::EVENT_SEVERITY_ERROR     ? spdlog::level::err
                           : sev == RdKafka::Event::EVENT_SEVERITY_WARNING ? spdlog::level::warn
                           : sev <= RdKafka::Event::EVENT_SEVERITY_INFO    ? spdlog::level::info
                                                                           : spdlog::level::debug;
        Log().log(level, "kafka {}: {}", event.fac(), event.str());
        break;
      }
      default:
        break;
    }
  }
};

std::unique_ptr<RdKafka::Conf> MakeConf(std::map<std::string, std::string> settings,
                                        const KafkaOptions& options, const char* what) {
  for (const auto& [k, v] : options) settings.emplace(k, v);  // ours win
  static LogEvents log_events;
  std::unique_ptr<RdKafka::Conf> conf(RdKafka::Conf::create(RdKafka::Conf::CONF_GLOBAL));
  std::string err;
  conf->set("event_cb", static_cast<RdKafka::EventCb*>(&log_events), err);
  for (const auto& [k, v] : settings) {
    if (conf->set(k, v, err) != RdKafka::Conf::CONF_OK) {
      throw std::runtime_error(absl::StrCat(what, ": ", k, ": ", err));
    }
  }
  return conf;
}

}  // namespace

absl::Status CheckKafkaOptions(const KafkaOptions& options) {
  std::unique_ptr<RdKafka::Conf> conf(RdKafka::Conf::create(RdKafka::Conf::CONF_GLOBAL));
  std::string err;
  for (const auto& [k, v] : options) {
    if (conf->set(k, v, err) != RdKafka::Conf::CONF_OK) {
      return absl::InvalidArgumentError(absl::StrCat(k, ": ", err));
    }
  }
  return absl::OkStatus();
}

class KafkaProducer::DeliveryReports : public RdKafka::DeliveryReportCb {
 public:
  void dr_cb(RdKafka::Message& message) override {
    auto* pending = static_cast<Pending*>(message.msg_opaque());
    if (pending == nullptr) return;
    pending->err = message.err();
    pending->done.store(true);
  }
};

KafkaProducer::KafkaProducer(const std::string& brokers, const std::string& client_id,
                             std::chrono::milliseconds delivery_timeout,
                             const KafkaOptions& options)
    : reports_(std::make_unique<DeliveryReports>()) {
  auto conf = MakeConf({{"bootstrap.servers", brokers},
                        {"client.id", client_id},
                        {"enable.idempotence", "true"},
                        {"acks", "all"},
                        // Every publish is awaited before the offset is stored: a linger
                        // only adds latency (2 ms cost 40 % of mesh throughput, tools/bench).
                        {"linger.ms", "0"},
                        // The Java client's partitioner: same key, same partition.
                        {"partitioner", "murmur2_random"},
                        {"message.timeout.ms", std::to_string(delivery_timeout.count())}},
                       options, "kafka producer");
  std::string err;
  conf->set("dr_cb", reports_.get(), err);
  producer_.reset(RdKafka::Producer::create(conf.get(), err));
  if (!producer_) throw std::runtime_error(absl::StrCat("kafka producer: ", err));
}

KafkaProducer::~KafkaProducer() {
  if (int left = Flush(std::chrono::seconds(10)); left > 0) {
    Log().warn("kafka producer closed with {} messages undelivered", left);
  }
}

int KafkaProducer::Flush(std::chrono::milliseconds timeout) {
  producer_->flush(static_cast<int>(timeout.count()));
  return producer_->outq_len();
}

absl::Status KafkaProducer::Publish(const std::string& topic, const std::string& key,
                                    const std::string& payload, const Headers& headers) {
  return PublishAll({OutMessage{topic, key, payload, headers}})[0];
}

std::vector<absl::Status> KafkaProducer::PublishAll(const std::vector<OutMessage>& messages) {
  std::vector<absl::Status> out(messages.size());
  std::vector<Pending> pending(messages.size());
  for (size_t i = 0; i < messages.size(); ++i) {
    const OutMessage& m = messages[i];
    RdKafka::Headers* hdrs = RdKafka::Headers::create();
    for (const auto& [k, v] : m.headers) hdrs->add(k, v);
    RdKafka::ErrorCode err;
    for (;;) {
      err = producer_->produce(m.topic, RdKafka::Topic::PARTITION_UA,
                               RdKafka::Producer::RK_MSG_COPY, const_cast<char*>(m.payload.data()),
                               m.payload.size(), m.key.data(), m.key.size(), 0, hdrs, &pending[i]);
      if (err != RdKafka::ERR__QUEUE_FULL) break;
      producer_->poll(50);
    }
    if (err != RdKafka::ERR_NO_ERROR) {
      delete hdrs;  // on failure the headers stay ours
      out[i] = ProduceError("produce", m.topic, m.payload.size(), err);
      pending[i].done.store(true);
    }
  }
  // message.timeout.ms bounds the wait: librdkafka always reports every message.
  for (size_t i = 0; i < messages.size(); ++i) {
    while (!pending[i].done.load()) producer_->poll(5);
    if (out[i].ok() && pending[i].err != RdKafka::ERR_NO_ERROR) {
      out[i] = ProduceError("delivery", messages[i].topic, messages[i].payload.size(),
                            pending[i].err);
    }
  }
  return out;
}

struct KafkaConsumerLoop::Metrics {
  prometheus::Family<prometheus::Counter>& family;
  std::map<std::string, std::array<prometheus::Counter*, 3>> by_topic;  // ok, dlq, retry

  explicit Metrics(prometheus::Registry& registry, const std::vector<std::string>& topics)
      : family(prometheus::BuildCounter()
                   .Name("mot_kafka_messages_total")
                   .Help("Messages consumed, by topic and result (ok, dead_lettered, retried).")
                   .Register(registry)) {
    for (const auto& t : topics) {
      by_topic[t] = {&family.Add({{"topic", t}, {"result", "ok"}}),
                     &family.Add({{"topic", t}, {"result", "dead_lettered"}}),
                     &family.Add({{"topic", t}, {"result", "retried"}})};
    }
  }
};

KafkaConsumerLoop::KafkaConsumerLoop(ConsumerOptions options, Handler handler,
                                     Publisher& dead_letters, prometheus::Registry& registry)
    : options_(std::move(options)),
      handler_(std::move(handler)),
      dead_letters_(dead_letters),
      metrics_(std::make_unique<Metrics>(registry, options_.topics)) {
  std::map<std::string, std::string> settings = {{"bootstrap.servers", options_.brokers},
                        {"group.id", options_.group_id},
                        {"enable.auto.commit", "true"},
                        {"enable.auto.offset.store", "false"},
                        {"auto.offset.reset", "earliest"},
                        {"auto.commit.interval.ms", "1000"}};
  if (!options_.instance_id.empty()) settings["group.instance.id"] = options_.instance_id;
  auto conf = MakeConf(std::move(settings), options_.options, "kafka consumer");
  std::string err;
  consumer_.reset(RdKafka::KafkaConsumer::create(conf.get(), err));
  if (!consumer_) throw std::runtime_error(absl::StrCat("kafka consumer: ", err));
  if (auto e = consumer_->subscribe(options_.topics); e != RdKafka::ERR_NO_ERROR) {
    throw std::runtime_error(absl::StrCat("kafka subscribe: ", RdKafka::err2str(e)));
  }
}

KafkaConsumerLoop::~KafkaConsumerLoop() = default;

bool KafkaConsumerLoop::HandleOne(const Incoming& msg, const std::atomic<bool>& stop) {
  auto& counters = metrics_->by_topic[msg.topic];
  auto backoff = options_.retry_backoff_initial;
  while (!stop.load()) {
    absl::Status s = handler_(msg);
    if (s.ok()) {
      counters[0]->Increment();
      return true;
    }
    if (absl::IsInvalidArgument(s)) {
      Headers h = msg.headers;
      h["mot-dlq-reason"] = std::string(s.message());
      h["mot-dlq-source"] = absl::StrCat(msg.topic, "/", msg.partition, "@", msg.offset);
      absl::Status d = dead_letters_.Publish(msg.topic + ".dlq", msg.key, msg.payload, h);
      if (absl::IsInvalidArgument(d)) {
        // Too large for the dead-letter topic: the record names the original, which
        // stays on its topic at mot-dlq-source.
        h["mot-dlq-payload-dropped"] = absl::StrCat(msg.payload.size(), " bytes");
        d = dead_letters_.Publish(msg.topic + ".dlq", msg.key, "", h);
      }
      if (d.ok()) {
        Log().warn("dead-lettered {}/{}@{}: {}", msg.topic, msg.partition, msg.offset,
                   s.message());
        counters[1]->Increment();
        return true;
      }
      s = d;
    }
    counters[2]->Increment();
    Log().warn("retrying {}/{}@{} in {}ms: {}", msg.topic, msg.partition, msg.offset,
               backoff.count(), s.message());
    for (auto waited = std::chrono::milliseconds(0); waited < backoff && !stop.load();
         waited += std::chrono::milliseconds(50)) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    backoff = std::min(backoff * 2, options_.retry_backoff_max);
  }
  return false;
}

void KafkaConsumerLoop::Run(const std::atomic<bool>& stop) {
  while (!stop.load()) {
    std::unique_ptr<RdKafka::Message> m(consumer_->consume(200));
    if (m->err() == RdKafka::ERR__TIMED_OUT || m->err() == RdKafka::ERR__PARTITION_EOF) continue;
    if (m->err() != RdKafka::ERR_NO_ERROR) {
      Log().warn("kafka consume: {}", m->errstr());
      continue;
    }
    Incoming in;
    in.topic = m->topic_name();
    in.partition = m->partition();
    in.offset = m->offset();
    if (m->key() != nullptr) in.key = *m->key();
    in.payload.assign(static_cast<const char*>(m->payload()), m->len());
    if (RdKafka::Headers* h = m->headers()) {
      for (const auto& header : h->get_all()) {
        in.headers[header.key()] =
            header.value() ? std::string(static_cast<const char*>(header.value()),
                                         header.value_size())
                           : std::string();
      }
    }
    if (!HandleOne(in, stop)) break;  // stopping: this offset stays uncommitted
    std::vector<RdKafka::TopicPartition*> offsets{
        RdKafka::TopicPartition::create(in.topic, in.partition, in.offset + 1)};
    consumer_->offsets_store(offsets);
    RdKafka::TopicPartition::destroy(offsets);
  }
  consumer_->close();  // commits the stored offsets and leaves the group
}

}  // namespace mot
