// motctl dlq list | show | replay: the dead letters of the mesh's topics, to act on.
// Every consumed topic has <topic>.dlq; a message there carries the reason
// (mot-dlq-reason) and where it came from (mot-dlq-source "topic/partition@offset").
// list counts them by topic and kind of reason, then lists them; show decodes one
// with personal data masked; replay publishes them back onto their source topic with
// their key and headers and mot-replayed-from, which is safe to repeat: events keep
// their ids, so a replayed event that was planned once is planned once.
#include <librdkafka/rdkafkacpp.h>

#include <map>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "client.h"
#include "fmt/format.h"
#include "google/protobuf/util/json_util.h"
#include "mot/common/codec.h"
#include "mot/common/config.h"
#include "mot/common/kafka.h"
#include "mot/common/kafka_admin.h"
#include "mot/common/lifecycle_codec.h"
#include "mot/common/log.h"
#include "mot/common/topics.h"
#include "mot/customer/v1/profile.pb.h"
#include "mot/notification/v1/notification.pb.h"
#include "mot/survey/v1/survey.pb.h"
#include "mot/ticketing/v1/ticketing.pb.h"

namespace motctl {
namespace {

struct DeadLetter {
  std::string id;  // <dlq topic>/<partition>@<offset>
  std::string dlq_topic, source_topic, source, reason, kind, key, payload;
  int64_t timestamp_ms = 0;
  mot::Headers headers;
};

template <typename T>
std::unique_ptr<google::protobuf::Message> Make0() {
  return std::make_unique<T>();
}

struct DlqFlags {
  std::string topic, reason, since, id;
  bool dry_run = false;
};

std::string DlqOf(const std::string& topic) {
  return absl::EndsWith(topic, ".dlq") ? topic : topic + ".dlq";
}

std::unique_ptr<RdKafka::KafkaConsumer> Reader(Client& client) {
  std::string err;
  std::unique_ptr<RdKafka::Conf> conf(RdKafka::Conf::create(RdKafka::Conf::CONF_GLOBAL));
  std::map<std::string, std::string> settings = mot::KafkaOptionsFromEnv(mot::Env());
  settings["bootstrap.servers"] = client.Get("MOT_KAFKA_BROKERS");
  settings["group.id"] = RandomId("motctl-dlq");
  settings["enable.auto.commit"] = "false";
  settings["enable.partition.eof"] = "true";
  for (const auto& [k, v] : settings) {
    if (conf->set(k, v, err) != RdKafka::Conf::CONF_OK) throw std::runtime_error(k + ": " + err);
  }
  std::unique_ptr<RdKafka::KafkaConsumer> c(RdKafka::KafkaConsumer::create(conf.get(), err));
  if (!c) throw std::runtime_error("kafka consumer: " + err);
  return c;
}

DeadLetter FromMessage(RdKafka::Message& m) {
  DeadLetter d;
  d.dlq_topic = m.topic_name();
  d.id = absl::StrCat(d.dlq_topic, "/", m.partition(), "@", m.offset());
  if (m.key() != nullptr) d.key = *m.key();
  d.payload.assign(static_cast<const char*>(m.payload()), m.len());
  d.timestamp_ms = m.timestamp().timestamp;
  if (const RdKafka::Headers* h = m.headers()) {
    for (const auto& header : h->get_all()) {
      d.headers[header.key()] =
          std::string(static_cast<const char*>(header.value()), header.value_size());
    }
  }
  d.reason = d.headers["mot-dlq-reason"];
  d.source = d.headers["mot-dlq-source"];
  d.source_topic = d.source.substr(0, d.source.find('/'));
  if (d.source_topic.empty()) d.source_topic = d.dlq_topic.substr(0, d.dlq_topic.size() - 4);
  d.kind = mot::DeadLetterKind(d.reason);
  return d;
}

// Every dead letter of `dlq_topic` from offset `from` (every partition, to its end),
// or only the one at `only_partition`@`from`.
std::vector<DeadLetter> Read(Client& client, const std::string& dlq_topic, int partitions,
                             int only_partition = -1,
                             int64_t from = RdKafka::Topic::OFFSET_BEGINNING) {
  auto consumer = Reader(client);
  std::vector<RdKafka::TopicPartition*> assign;
  for (int p = 0; p < partitions; ++p) {
    if (only_partition >= 0 && p != only_partition) continue;
    assign.push_back(RdKafka::TopicPartition::create(dlq_topic, p, from));
  }
  consumer->assign(assign);
  size_t at_end = 0;
  std::vector<DeadLetter> out;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (at_end < assign.size() && std::chrono::steady_clock::now() < deadline) {
    std::unique_ptr<RdKafka::Message> m(consumer->consume(500));
    if (m->err() == RdKafka::ERR__PARTITION_EOF) {
      ++at_end;
    } else if (m->err() == RdKafka::ERR_NO_ERROR) {
      out.push_back(FromMessage(*m));
      if (only_partition >= 0) break;  // the one asked for
    }
  }
  RdKafka::TopicPartition::destroy(assign);
  consumer->close();
  return out;
}

// The dead letters of the topic named (source or .dlq), or of every topic, filtered.
std::vector<DeadLetter> Matching(Client& client, const DlqFlags& f) {
  auto topics = mot::ListTopics(client.Get("MOT_KAFKA_BROKERS"), std::chrono::seconds(10),
                                mot::KafkaOptionsFromEnv(mot::Env()));
  if (!topics.ok()) throw std::runtime_error(std::string(topics.status().message()));
  mot::TimePoint since{};
  if (!f.since.empty() && !mot::ParseTime(f.since, &since)) {
    throw std::runtime_error("--since '" + f.since +
                             "' is not a time such as 2026-12-01T00:00:00Z");
  }
  std::vector<DeadLetter> out;
  for (const auto& t : *topics) {
    if (!absl::EndsWith(t.name, ".dlq")) continue;
    if (!f.topic.empty() && t.name != DlqOf(f.topic)) continue;
    for (auto& d : Read(client, t.name, t.partitions)) {
      if (!f.reason.empty() && d.kind != f.reason) continue;
      if (!f.since.empty() && d.timestamp_ms < mot::ToUnixMillis(since)) continue;
      out.push_back(std::move(d));
    }
  }
  return out;
}

std::string When(int64_t ms) { return mot::FormatTime(mot::FromUnixMillis(ms)); }

void List(Client& client, const DlqFlags& f) {
  const auto all = Matching(client, f);
  std::map<std::pair<std::string, std::string>, int> counts;
  for (const auto& d : all) ++counts[{d.source_topic, d.kind}];
  std::cout << fmt::format("{:<32} {:<18} {}\n", "TOPIC", "REASON", "COUNT");
  for (const auto& [k, n] : counts)
    std::cout << fmt::format("{:<32} {:<18} {}\n", k.first, k.second, n);
  std::cout << "\n";
  for (const auto& d : all) {
    std::cout << fmt::format("{}  {}  {:<18} {}\n", d.id, When(d.timestamp_ms), d.kind,
                             mot::MaskPersonalData(d.reason));
  }
}

// What each topic carries, to decode its dead letters.
std::unique_ptr<google::protobuf::Message> MessageOf(const std::string& topic) {
  using Make = std::unique_ptr<google::protobuf::Message> (*)();
  static const std::map<std::string, Make> kinds = {
      {mot::kCustomerTopic, [] { return Make0<mot::customer::v1::CustomerProfile>(); }},
      {mot::kTicketingCommandsTopic, [] { return Make0<mot::ticketing::v1::OpenTicketCommand>(); }},
      {mot::kNotificationCommandsTopic,
       [] { return Make0<mot::notification::v1::SendNotificationCommand>(); }},
      {mot::kSurveyCommandsTopic, [] { return Make0<mot::survey::v1::CreateSurveyCommand>(); }},
      {mot::kTicketEventsTopic, [] { return Make0<mot::ticketing::v1::TicketEvent>(); }},
      {mot::kNotificationEventsTopic,
       [] { return Make0<mot::notification::v1::NotificationEvent>(); }},
      {mot::kSurveyEventsTopic, [] { return Make0<mot::survey::v1::SurveyEvent>(); }},
  };
  auto it = kinds.find(topic);
  return it == kinds.end() ? nullptr : it->second();
}

// The payload as JSON where it decodes (a lifecycle event, a profile, a command ...),
// personal data masked; else its size.
std::string Decoded(const DeadLetter& d) {
  mot::Incoming in{d.source_topic, 0, 0, d.key, d.payload, d.headers};
  std::unique_ptr<google::protobuf::Message> m;
  if (d.source_topic == mot::kLifecycleTopic) {
    auto e = std::make_unique<mot::lifecycle::v1::LifecycleEvent>();
    if (mot::DecodeLifecycleEvent(in, e.get()).ok()) m = std::move(e);
  } else if (auto msg = MessageOf(d.source_topic); msg && mot::DecodeMessage(in, msg.get()).ok()) {
    m = std::move(msg);
  }
  if (m == nullptr) {
    return fmt::format("({} bytes that do not decode as {})", d.payload.size(), d.source_topic);
  }
  std::string json;
  google::protobuf::util::JsonPrintOptions o;
  o.add_whitespace = true;
  (void)google::protobuf::util::MessageToJsonString(*m, &json, o);
  return mot::MaskPersonalData(json);
}

void Show(Client& client, const DlqFlags& f) {
  const size_t slash = f.id.rfind('/'), at = f.id.rfind('@');
  int partition = 0;
  int64_t offset = 0;
  if (slash == std::string::npos || at == std::string::npos || at < slash ||
      !absl::SimpleAtoi(f.id.substr(slash + 1, at - slash - 1), &partition) ||
      !absl::SimpleAtoi(f.id.substr(at + 1), &offset)) {
    throw std::runtime_error("ID '" + f.id +
                             "': expected TOPIC.dlq/PARTITION@OFFSET, as dlq list shows");
  }
  auto found = Read(client, f.id.substr(0, slash), partition + 1, partition, offset);
  if (found.empty() || found[0].id != f.id) throw std::runtime_error("no dead letter " + f.id);
  const DeadLetter& d = found[0];
  std::cout << fmt::format(
      "id       {}\nreason   {}\nkind     {}\nsource   {}\ntime     {}\nkey      {}\n", d.id,
      mot::MaskPersonalData(d.reason), d.kind, d.source, When(d.timestamp_ms),
      mot::MaskPersonalData(d.key));
  std::cout << "payload  " << Decoded(d) << "\n";
}

void Replay(Client& client, const DlqFlags& f) {
  if (f.topic.empty())
    throw std::runtime_error("replay needs the TOPIC whose dead letters go back");
  const auto all = Matching(client, f);
  if (f.dry_run) {
    for (const auto& d : all)
      std::cout << fmt::format("would replay {} onto {}\n", d.id, d.source_topic);
    std::cout << fmt::format("{} dead letters would go back (dry run: nothing published)\n",
                             all.size());
    return;
  }
  mot::KafkaProducer producer(client.Get("MOT_KAFKA_BROKERS"), "motctl-dlq",
                              std::chrono::seconds(30), mot::KafkaOptionsFromEnv(mot::Env()));
  Progress progress("replaying", "dead letters", all.size());
  for (size_t i = 0; i < all.size(); ++i) {
    const DeadLetter& d = all[i];
    mot::Headers headers;
    for (const auto& [k, v] : d.headers) {
      if (k.rfind("mot-dlq-", 0) != 0) headers[k] = v;
    }
    headers["mot-replayed-from"] = d.id;
    auto s = producer.Publish(d.source_topic, d.key, d.payload, headers);
    if (!s.ok()) {
      throw std::runtime_error(fmt::format("replaying {} failed after {} of {}: {}", d.id, i,
                                           all.size(), std::string(s.message())));
    }
    progress.Show(i + 1);
  }
  std::cout << fmt::format("replayed {} dead letters\n", all.size());
}

}  // namespace

void AddDlq(CLI::App& app, Client& client) {
  auto* cmd =
      app.add_subcommand("dlq", "the dead letters of the mesh's topics: list, show, replay");
  cmd->require_subcommand(1);
  auto f = std::make_shared<DlqFlags>();
  const auto filters = [f](CLI::App* sub) {
    sub->add_option("--reason", f->reason,
                    "only this kind: oversized, cloudevents, malformed_json, undecodable, "
                    "time_out_of_range, unknown_type, missing_field, unknown_value, invalid");
    sub->add_option("--since", f->since, "only those dead-lettered since then (RFC 3339)");
  };
  auto* list = cmd->add_subcommand("list", "counts by topic and reason, then every entry");
  list->add_option("topic", f->topic, "a topic (or its .dlq); default: every topic");
  filters(list);
  list->callback([&client, f] { List(client, *f); });
  auto* show =
      cmd->add_subcommand("show", "one dead letter: reason, source, time, the payload masked");
  show->add_option("id", f->id, "TOPIC.dlq/PARTITION@OFFSET, as dlq list shows")->required();
  show->callback([&client, f] { Show(client, *f); });
  auto* replay =
      cmd->add_subcommand("replay", "back onto their source topic, key and headers kept");
  replay->add_option("topic", f->topic, "the topic (or its .dlq)")->required();
  filters(replay);
  replay->add_flag("--dry-run", f->dry_run, "list what would go back; publish nothing");
  replay->callback([&client, f] { Replay(client, *f); });
}

}  // namespace motctl
