// motctl topics ensure | list: the mesh's Kafka topics (librdkafka's Admin API).
#include "mot/common/topics.h"

#include "client.h"
#include "fmt/format.h"
#include "mot/common/config.h"
#include "mot/common/kafka_admin.h"

namespace motctl {

void AddTopics(CLI::App& app, Client& client) {
  auto* topics = app.add_subcommand("topics", "the mesh's Kafka topics");
  topics->require_subcommand(1);
  auto* ensure = topics->add_subcommand(
      "ensure", "create the mesh's topics (and their .dlq) that are missing; wait for leaders");
  struct Flags {
    int partitions = 3, replication = 1;
    std::string timeout = "60s";
    std::vector<std::string> extra;
  };
  auto f = std::make_shared<Flags>();
  ensure->add_option("--partitions", f->partitions, "partitions per new topic")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  ensure->add_option("--replication-factor", f->replication, "replicas per new topic")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  ensure->add_option("--timeout", f->timeout, "give up after")->capture_default_str();
  ensure->add_option("--topic", f->extra,
                     "one more topic to create (repeatable; a benchmark's own)");
  ensure->callback([&client, f] {
    auto timeout = mot::ParseDuration(f->timeout);
    if (!timeout.ok())
      throw std::runtime_error("--timeout: " + std::string(timeout.status().message()));
    auto wanted = mot::AllTopics();
    wanted.insert(wanted.end(), f->extra.begin(), f->extra.end());
    auto s = mot::EnsureTopics(client.Get("MOT_KAFKA_BROKERS"), wanted, f->partitions,
                               f->replication, *timeout, mot::KafkaOptionsFromEnv(mot::Env()));
    if (!s.ok()) throw std::runtime_error(std::string(s.message()));
    std::cout << wanted.size() << " topics ready\n";
  });
  topics->add_subcommand("list", "the broker's topics")->callback([&client] {
    auto list = mot::ListTopics(client.Get("MOT_KAFKA_BROKERS"), std::chrono::seconds(10),
                                mot::KafkaOptionsFromEnv(mot::Env()));
    if (!list.ok()) throw std::runtime_error(std::string(list.status().message()));
    for (const auto& t : *list) {
      std::cout << fmt::format("{:<36} partitions {:>3}  with leader {:>3}\n", t.name, t.partitions,
                               t.partitions_with_leader);
    }
  });
}

}  // namespace motctl
