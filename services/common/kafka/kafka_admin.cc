#include "mot/common/kafka_admin.h"

#include <librdkafka/rdkafka.h>

#include <algorithm>
#include <map>
#include <memory>
#include <thread>

#include "absl/strings/str_cat.h"

namespace mot {
namespace {

struct KafkaDeleter {
  void operator()(rd_kafka_t* rk) const { rd_kafka_destroy(rk); }
};
using KafkaHandle = std::unique_ptr<rd_kafka_t, KafkaDeleter>;

absl::StatusOr<KafkaHandle> Connect(const std::string& brokers, const KafkaOptions& options) {
  char err[512];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  for (const auto& [k, v] : options) {
    if (rd_kafka_conf_set(conf, k.c_str(), v.c_str(), err, sizeof err) != RD_KAFKA_CONF_OK) {
      rd_kafka_conf_destroy(conf);
      return absl::InvalidArgumentError(absl::StrCat("kafka option ", k, ": ", err));
    }
  }
  if (rd_kafka_conf_set(conf, "bootstrap.servers", brokers.c_str(), err, sizeof err) !=
          RD_KAFKA_CONF_OK ||
      rd_kafka_conf_set(conf, "log_level", "3", err, sizeof err) != RD_KAFKA_CONF_OK) {
    rd_kafka_conf_destroy(conf);
    return absl::InvalidArgumentError(absl::StrCat("kafka admin: ", err));
  }
  rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
  if (rk == nullptr) return absl::InternalError(absl::StrCat("kafka admin: ", err));
  return KafkaHandle(rk);
}

// name -> (partitions, partitions with a leader), or an error if the broker did not answer.
absl::StatusOr<std::map<std::string, std::pair<int, int>>> Describe(rd_kafka_t* rk,
                                                                    int timeout_ms) {
  const rd_kafka_metadata_t* md = nullptr;
  rd_kafka_resp_err_t err = rd_kafka_metadata(rk, 1, nullptr, &md, timeout_ms);
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return absl::UnavailableError(absl::StrCat("metadata: ", rd_kafka_err2str(err)));
  }
  std::map<std::string, std::pair<int, int>> out;
  for (int i = 0; i < md->topic_cnt; ++i) {
    const auto& t = md->topics[i];
    if (t.err != RD_KAFKA_RESP_ERR_NO_ERROR) continue;
    int led = 0;
    for (int p = 0; p < t.partition_cnt; ++p) led += t.partitions[p].leader >= 0;
    out[t.topic] = {t.partition_cnt, led};
  }
  rd_kafka_metadata_destroy(md);
  return out;
}

absl::Status CreateMissing(rd_kafka_t* rk, const std::vector<std::string>& topics, int partitions,
                           int replication_factor, int timeout_ms) {
  char err[512];
  std::vector<rd_kafka_NewTopic_t*> news;
  for (const auto& t : topics) {
    rd_kafka_NewTopic_t* nt =
        rd_kafka_NewTopic_new(t.c_str(), partitions, replication_factor, err, sizeof err);
    if (nt == nullptr) {
      for (auto* n : news) rd_kafka_NewTopic_destroy(n);
      return absl::InvalidArgumentError(absl::StrCat("topic ", t, ": ", err));
    }
    news.push_back(nt);
  }
  rd_kafka_queue_t* queue = rd_kafka_queue_new(rk);
  rd_kafka_AdminOptions_t* options = rd_kafka_AdminOptions_new(rk, RD_KAFKA_ADMIN_OP_CREATETOPICS);
  rd_kafka_AdminOptions_set_operation_timeout(options, timeout_ms, err, sizeof err);
  rd_kafka_CreateTopics(rk, news.data(), news.size(), options, queue);
  rd_kafka_event_t* ev = rd_kafka_queue_poll(queue, timeout_ms + 1000);
  absl::Status status = absl::OkStatus();
  if (ev == nullptr) {
    status = absl::UnavailableError("CreateTopics: no answer from the broker");
  } else if (rd_kafka_event_error(ev) != RD_KAFKA_RESP_ERR_NO_ERROR) {
    status =
        absl::UnavailableError(absl::StrCat("CreateTopics: ", rd_kafka_event_error_string(ev)));
  } else {
    size_t n = 0;
    const rd_kafka_topic_result_t** results =
        rd_kafka_CreateTopics_result_topics(rd_kafka_event_CreateTopics_result(ev), &n);
    for (size_t i = 0; i < n && status.ok(); ++i) {
      rd_kafka_resp_err_t e = rd_kafka_topic_result_error(results[i]);
      if (e != RD_KAFKA_RESP_ERR_NO_ERROR && e != RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS) {
        status = absl::UnavailableError(absl::StrCat(
            "CreateTopics ", rd_kafka_topic_result_name(results[i]), ": ", rd_kafka_err2str(e)));
      }
    }
  }
  if (ev != nullptr) rd_kafka_event_destroy(ev);
  rd_kafka_AdminOptions_destroy(options);
  rd_kafka_queue_destroy(queue);
  for (auto* nt : news) rd_kafka_NewTopic_destroy(nt);
  return status;
}

}  // namespace

absl::Status EnsureTopics(const std::string& brokers, const std::vector<std::string>& topics,
                          int partitions, int replication_factor, std::chrono::milliseconds timeout,
                          const KafkaOptions& options) {
  auto rk = Connect(brokers, options);
  if (!rk.ok()) return rk.status();
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  std::string last = "the broker did not answer";
  while (std::chrono::steady_clock::now() < deadline) {
    auto existing = Describe(rk->get(), 2000);
    if (!existing.ok()) {
      last = std::string(existing.status().message());
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
      continue;
    }
    std::vector<std::string> missing, leaderless;
    for (const auto& t : topics) {
      auto it = existing->find(t);
      if (it == existing->end()) {
        missing.push_back(t);
      } else if (it->second.second < it->second.first || it->second.first == 0) {
        leaderless.push_back(t);
      }
    }
    if (missing.empty() && leaderless.empty()) return absl::OkStatus();
    if (!missing.empty()) {
      auto s = CreateMissing(rk->get(), missing, partitions, replication_factor, 5000);
      last = s.ok() ? absl::StrCat("created ", missing.size(), " topics, waiting for leaders")
                    : std::string(s.message());
    } else {
      last = absl::StrCat("no leader yet for ", leaderless.front());
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return absl::DeadlineExceededError(absl::StrCat("topics not ready in time: ", last));
}

absl::StatusOr<std::vector<TopicInfo>> ListTopics(const std::string& brokers,
                                                  std::chrono::milliseconds timeout,
                                                  const KafkaOptions& options) {
  auto rk = Connect(brokers, options);
  if (!rk.ok()) return rk.status();
  auto described = Describe(rk->get(), static_cast<int>(timeout.count()));
  if (!described.ok()) return described.status();
  std::vector<TopicInfo> out;
  for (const auto& [name, counts] : *described) {
    if (name.rfind("__", 0) == 0) continue;
    out.push_back({name, counts.first, counts.second});
  }
  return out;
}

}  // namespace mot
