#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "mot/common/kafka.h"

namespace mot {

struct TopicInfo {
  std::string name;
  int partitions = 0;
  int partitions_with_leader = 0;
};

// Creates the topics that do not exist yet (librdkafka's Admin API) and waits
// until every partition of every topic has a leader. Retries while the broker is
// not answering, until `timeout`. DeadlineExceeded says what was still missing.
absl::Status EnsureTopics(const std::string& brokers, const std::vector<std::string>& topics,
                          int partitions, int replication_factor, std::chrono::milliseconds timeout,
                          const KafkaOptions& options = {});

// The broker's topics (internal ones excluded), sorted by name.
absl::StatusOr<std::vector<TopicInfo>> ListTopics(const std::string& brokers,
                                                  std::chrono::milliseconds timeout,
                                                  const KafkaOptions& options = {});

}  // namespace mot
