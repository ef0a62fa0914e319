#include <librdkafka/rdkafkacpp.h>

#include <set>
#include <thread>

#include "absl/strings/str_cat.h"
#include "kafka_conf.h"
#include "mot/common/codec.h"
#include "mot/common/kafka.h"
#include "mot/common/log.h"
#include "prometheus/counter.h"
#include "prometheus/registry.h"

namespace mot {

struct KafkaConsumerLoop::Metrics {
  prometheus::Family<prometheus::Counter>& family;
  prometheus::Family<prometheus::Counter>& dead_letters;
  std::map<std::string, std::array<prometheus::Counter*, 3>> by_topic;  // ok, dlq, retry
  // By topic, then by DeadLetterKind: every series made here, none on the message path.
  std::map<std::string, std::map<std::string, prometheus::Counter*>> dead_by_kind;

  explicit Metrics(prometheus::Registry& registry, const std::vector<std::string>& topics)
      : family(prometheus::BuildCounter()
                   .Name("mot_kafka_messages_total")
                   .Help("Messages consumed, by topic and result (ok, dead_lettered, retried).")
                   .Register(registry)),
        dead_letters(
            prometheus::BuildCounter()
                .Name("mot_kafka_dead_letters_total")
                .Help("Messages dead-lettered, by topic and the kind of reason (oversized, "
                      "cloudevents, malformed_json, undecodable, time_out_of_range, "
                      "unknown_type, missing_field, unknown_value, invalid).")
                .Register(registry)) {
    for (const auto& t : topics) {
      by_topic[t] = {&family.Add({{"topic", t}, {"result", "ok"}}),
                     &family.Add({{"topic", t}, {"result", "dead_lettered"}}),
                     &family.Add({{"topic", t}, {"result", "retried"}})};
      for (const auto& kind : DeadLetterKinds()) {
        dead_by_kind[t][kind] = &dead_letters.Add({{"topic", t}, {"reason", kind}});
      }
    }
  }
};

KafkaConsumerLoop::KafkaConsumerLoop(ConsumerOptions options, BatchHandler handler, Publisher& out,
                                     prometheus::Registry& registry)
    : options_(std::move(options)),
      handler_(std::move(handler)),
      out_(out),
      metrics_(std::make_unique<Metrics>(registry, options_.topics)) {
  std::map<std::string, std::string> settings = {
      {"bootstrap.servers", options_.brokers}, {"group.id", options_.group_id},
      {"enable.auto.commit", "true"},          {"enable.auto.offset.store", "false"},
      {"auto.offset.reset", "earliest"},       {"auto.commit.interval.ms", "1000"}};
  if (!options_.instance_id.empty()) settings["group.instance.id"] = options_.instance_id;
  settings_ = std::move(settings);
  Connect();
}

void KafkaConsumerLoop::Connect() {
  auto conf = MakeConf(settings_, options_.options, "kafka consumer");
  std::string err;
  consumer_.reset(RdKafka::KafkaConsumer::create(conf.get(), err));
  if (!consumer_) throw std::runtime_error(absl::StrCat("kafka consumer: ", err));
  if (auto e = consumer_->subscribe(options_.topics); e != RdKafka::ERR_NO_ERROR) {
    throw std::runtime_error(absl::StrCat("kafka subscribe: ", RdKafka::err2str(e)));
  }
}

KafkaConsumerLoop::~KafkaConsumerLoop() = default;

// A handled message whose publishes are on their way.
struct KafkaConsumerLoop::InFlight {
  Incoming msg;
  std::vector<std::shared_ptr<Delivery>> sent;
  std::string dlq_reason;     // not empty: `sent` is its dead-letter record
  bool body_dropped = false;  // that record goes without the message's body
  bool Done() const {
    for (const auto& d : sent) {
      if (!d->done.load()) return false;
    }
    return true;
  }
};

// Messages of one partition whose handling failed transiently at the first: handled
// again, in order, at `next`.
struct KafkaConsumerLoop::Blocked {
  std::deque<Incoming> pending;
  std::chrono::steady_clock::time_point next;
  std::chrono::milliseconds backoff;
};

namespace {

// What a handler publishes, sent without waiting.
class Outbox : public Publisher {
 public:
  explicit Outbox(Publisher& out) : out_(out) {}
  absl::Status Publish(const std::string& topic, const std::string& key, const std::string& payload,
                       const Headers& headers) override {
    sent_.push_back(out_.Send({topic, key, payload, headers}));
    return absl::OkStatus();
  }
  std::vector<std::shared_ptr<Delivery>> Take() { return std::move(sent_); }

 private:
  Publisher& out_;
  std::vector<std::shared_ptr<Delivery>> sent_;
};

OutMessage DeadLetter(const Incoming& msg, const std::string& reason) {
  Headers h = msg.headers;
  h["mot-dlq-reason"] = reason;
  h["mot-dlq-source"] = absl::StrCat(msg.topic, "/", msg.partition, "@", msg.offset);
  return {msg.topic + ".dlq", msg.key, msg.payload, std::move(h)};
}

bool Transient(const absl::Status& s) { return !s.ok() && !absl::IsInvalidArgument(s); }

}  // namespace

BatchHandler OneByOne(Handler handler) {
  return [handler = std::move(handler)](std::vector<Work>& batch) {
    std::set<std::pair<std::string, int32_t>> failed;
    for (auto& w : batch) {
      if (failed.count({w.msg.topic, w.msg.partition}) > 0) {
        w.status = absl::AbortedError("not handled: an earlier message of its partition failed");
        continue;
      }
      w.status = handler(w.msg, *w.out);
      if (Transient(w.status)) failed.insert({w.msg.topic, w.msg.partition});
    }
  };
}

void KafkaConsumerLoop::Handle(
    std::vector<Incoming> batch,
    const std::map<PartitionKey, std::chrono::milliseconds>& backoff_before) {
  std::vector<Outbox> boxes;
  boxes.reserve(batch.size());
  std::vector<Work> works(batch.size());
  for (size_t i = 0; i < batch.size(); ++i) {
    boxes.emplace_back(out_);
    works[i].msg = std::move(batch[i]);
    works[i].out = &boxes[i];
  }
  // A payload over the limit is refused unread; the handler gets the others.
  std::vector<Work> handled;
  std::vector<size_t> positions;
  for (size_t i = 0; i < works.size(); ++i) {
    if (works[i].msg.payload.size() > options_.max_payload_bytes) {
      works[i].status = absl::InvalidArgumentError(
          absl::StrCat("payload of ", works[i].msg.payload.size(), " bytes is over the limit of ",
                       options_.max_payload_bytes, " (MOT_KAFKA_MAX_PAYLOAD_BYTES)"));
    } else {
      positions.push_back(i);
      handled.push_back(std::move(works[i]));
    }
  }
  handler_(handled);
  for (size_t k = 0; k < positions.size(); ++k) works[positions[k]] = std::move(handled[k]);
  for (size_t i = 0; i < works.size(); ++i) {
    Work& w = works[i];
    const Incoming& msg = w.msg;
    const PartitionKey key{msg.topic, msg.partition};
    if (auto b = blocked_.find(key); b != blocked_.end()) {
      // After a transient failure in its partition: handled again after it. (A paused
      // partition delivers nothing new; a message already held is not taken twice.)
      if (b->second.pending.empty() || msg.offset > b->second.pending.back().offset) {
        b->second.pending.push_back(std::move(w.msg));
      }
      continue;
    }
    auto& counters = metrics_->by_topic[msg.topic];
    InFlight f;
    f.sent = boxes[i].Take();
    if (absl::IsInvalidArgument(w.status)) {
      f.dlq_reason = std::string(w.status.message());
      f.sent = {out_.Send(DeadLetter(msg, f.dlq_reason))};
    } else if (!w.status.ok()) {
      counters[2]->Increment();
      Blocked& b = blocked_[key];
      auto before = backoff_before.find(key);
      b.backoff = before == backoff_before.end()
                      ? options_.retry_backoff_initial
                      : std::min(before->second * 2, options_.retry_backoff_max);
      b.next = std::chrono::steady_clock::now() + b.backoff;
      Log().warn("retrying {}/{}@{} in {}ms: {}", msg.topic, msg.partition, msg.offset,
                 b.backoff.count(), w.status.message());
      b.pending.push_back(std::move(w.msg));
      Pause(key, true);
      continue;
    }
    f.msg = std::move(w.msg);
    in_flight_[key].push_back(std::move(f));
    ++in_flight_count_;
  }
}

void KafkaConsumerLoop::Pause(const PartitionKey& key, bool pause) {
  std::vector<RdKafka::TopicPartition*> tps{RdKafka::TopicPartition::create(key.first, key.second)};
  if (pause) {
    consumer_->pause(tps);  // drops what was fetched; resume fetches after the last consumed
  } else {
    consumer_->resume(tps);
  }
  RdKafka::TopicPartition::destroy(tps);
}

void KafkaConsumerLoop::RetryBlocked() {
  const auto now = std::chrono::steady_clock::now();
  std::vector<PartitionKey> due;
  for (const auto& [key, b] : blocked_) {
    if (b.next <= now) due.push_back(key);
  }
  for (const auto& key : due) {
    auto node = blocked_.extract(key);
    auto& pending = node.mapped().pending;
    Handle(std::vector<Incoming>(std::make_move_iterator(pending.begin()),
                                 std::make_move_iterator(pending.end())),
           {{key, node.mapped().backoff}});
    if (blocked_.count(key) == 0) Pause(key, false);
  }
}

void KafkaConsumerLoop::Settle() {
  for (auto& [key, queue] : in_flight_) {
    while (!queue.empty() && queue.front().Done()) {
      InFlight& f = queue.front();
      auto& counters = metrics_->by_topic[f.msg.topic];
      absl::Status failed;
      for (const auto& d : f.sent) {
        if (!d->status.ok()) failed = d->status;
      }
      if (!failed.ok() && absl::IsInvalidArgument(failed) && !f.body_dropped) {
        // Refused for good. What the handler published: the message is dead-lettered.
        // Its dead-letter record, too large: it goes without the body (the original
        // stays at its source offset).
        OutMessage dlq;
        if (f.dlq_reason.empty()) {
          f.dlq_reason = absl::StrCat("a message it published was refused: ", failed.message());
          dlq = DeadLetter(f.msg, f.dlq_reason);
        } else {
          dlq = DeadLetter(f.msg, f.dlq_reason);
          dlq.headers["mot-dlq-payload-dropped"] = absl::StrCat(f.msg.payload.size(), " bytes");
          dlq.payload.clear();
          f.body_dropped = true;
        }
        f.sent = {out_.Send(dlq)};
        continue;  // settles when that record is acknowledged
      }
      if (!failed.ok() && !absl::IsInvalidArgument(failed)) {
        // Not acknowledged: handle again from here on; nothing after it is stored.
        Log().warn("publish for {}/{}@{} failed, handling again from there: {}", key.first,
                   key.second, f.msg.offset, failed.message());
        counters[2]->Increment();
        if (blocked_.erase(key) > 0) Pause(key, false);  // re-handled from here anyway
        std::vector<RdKafka::TopicPartition*> tps{
            RdKafka::TopicPartition::create(key.first, key.second, f.msg.offset)};
        const auto e = consumer_->seek(*tps[0], 5000);
        RdKafka::TopicPartition::destroy(tps);
        if (e != RdKafka::ERR_NO_ERROR) {
          // Going on from later positions could store an offset past this message.
          Reconnect(absl::StrCat("seek ", key.first, "/", key.second, ": ", RdKafka::err2str(e)));
          return;
        }
        in_flight_count_ -= queue.size();
        queue.clear();
        break;
      }
      if (!failed.ok()) {
        Log().error("{}/{}@{} could not be dead-lettered, even without its body: {}", key.first,
                    key.second, f.msg.offset, failed.message());
      } else if (!f.dlq_reason.empty()) {
        Log().warn("dead-lettered {}/{}@{}: {}", key.first, key.second, f.msg.offset, f.dlq_reason);
      }
      counters[f.dlq_reason.empty() ? 0 : 1]->Increment();
      if (!f.dlq_reason.empty()) {
        auto topic = metrics_->dead_by_kind.find(key.first);
        if (topic != metrics_->dead_by_kind.end()) {
          topic->second.at(DeadLetterKind(f.dlq_reason))->Increment();
        }
      }
      std::vector<RdKafka::TopicPartition*> offsets{
          RdKafka::TopicPartition::create(key.first, key.second, f.msg.offset + 1)};
      consumer_->offsets_store(offsets);  // fails harmlessly for a partition no longer ours
      RdKafka::TopicPartition::destroy(offsets);
      queue.pop_front();
      --in_flight_count_;
    }
  }
}

void KafkaConsumerLoop::Reconnect(const std::string& why) {
  Log().error("kafka consumer cannot go on ({}); starting a new one from the committed offsets",
              why);
  in_flight_.clear();  // their offsets were not stored: handled again
  in_flight_count_ = 0;
  blocked_.clear();
  consumer_->close();
  for (;;) {
    try {
      Connect();
      return;
    } catch (const std::exception& e) {
      Log().error("{}; trying again", e.what());
      std::this_thread::sleep_for(std::chrono::seconds(1));
    }
  }
}

void KafkaConsumerLoop::Run(const std::atomic<bool>& stop) {
  while (!stop.load()) {
    out_.Poll(std::chrono::milliseconds(0));
    Settle();
    RetryBlocked();
    if (in_flight_count_ >= options_.max_in_flight) {
      out_.Poll(std::chrono::milliseconds(1));
      continue;
    }
    const bool busy = in_flight_count_ > 0 || !blocked_.empty();
    // What has arrived, up to a batch: waits for the first message only.
    std::vector<Incoming> batch;
    const size_t room = std::min(options_.max_batch, options_.max_in_flight - in_flight_count_);
    for (int wait = busy ? 1 : 100; batch.size() < room; wait = 0) {
      std::unique_ptr<RdKafka::Message> m(consumer_->consume(wait));
      if (m->err() == RdKafka::ERR__TIMED_OUT || m->err() == RdKafka::ERR__PARTITION_EOF) break;
      if (m->err() == RdKafka::ERR__FATAL) {
        // E.g. fenced: a static member whose session ran out (a long broker outage) and
        // rejoined. This consumer can do nothing more; nothing of this batch was handled.
        std::string why;
        const auto code = consumer_->fatal_error(why);
        Reconnect(absl::StrCat(RdKafka::err2str(code), ": ", why));
        batch.clear();
        break;
      }
      if (m->err() != RdKafka::ERR_NO_ERROR) {
        Log().warn("kafka consume: {}", m->errstr());
        break;
      }
      Incoming& in = batch.emplace_back();
      in.topic = m->topic_name();
      in.partition = m->partition();
      in.offset = m->offset();
      if (m->key() != nullptr) in.key = *m->key();
      in.payload.assign(static_cast<const char*>(m->payload()), m->len());
      if (RdKafka::Headers* h = m->headers()) {
        for (const auto& header : h->get_all()) {
          in.headers[header.key()] =
              header.value()
                  ? std::string(static_cast<const char*>(header.value()), header.value_size())
                  : std::string();
        }
      }
    }
    if (!batch.empty()) Handle(std::move(batch));
  }
  // Finish what is in flight (the producer's delivery timeout bounds it); messages
  // still being retried stay uncommitted and are handled again after a restart.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (in_flight_count_ > 0 && std::chrono::steady_clock::now() < deadline) {
    out_.Poll(std::chrono::milliseconds(10));
    Settle();
  }
  consumer_->close();  // commits the stored offsets and leaves the group
}

}  // namespace mot
