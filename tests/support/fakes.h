#pragma once

#include <atomic>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "google/protobuf/text_format.h"
#include "gtest/gtest.h"
#include "mot/common/clock.h"
#include "mot/common/kafka.h"

namespace mot::testkit {

// A clock the test moves.
class ManualClock : public Clock {
 public:
  explicit ManualClock(TimePoint now) : now_ms_(ToUnixMillis(now)) {}
  TimePoint Now() const override { return FromUnixMillis(now_ms_.load()); }
  void Advance(std::chrono::milliseconds d) { now_ms_ += d.count(); }

 private:
  std::atomic<int64_t> now_ms_;
};

// Records what was published; can be told to fail.
class FakePublisher : public Publisher {
 public:
  struct Message {
    std::string topic, key, payload;
    Headers headers;
  };
  absl::Status Publish(const std::string& topic, const std::string& key, const std::string& payload,
                       const Headers& headers) override {
    if (!fail_with.ok()) return fail_with;
    if (payload.size() > max_bytes) {
      return absl::InvalidArgumentError("kafka produce to " + topic +
                                        ": Broker: Message size too large");
    }
    sent.push_back({topic, key, payload, headers});
    return absl::OkStatus();
  }
  std::vector<Message> sent;
  absl::Status fail_with = absl::OkStatus();
  size_t max_bytes = 1'000'000;  // larger messages are refused for good
};

// A shipped configuration file (deploy/config/<name>).
// A message from protobuf text format ("kind: 'repair' customer_id: 'C-1'").
template <typename Message>
Message FromText(const std::string& text) {
  Message m;
  EXPECT_TRUE(google::protobuf::TextFormat::ParseFromString(text, &m)) << text;
  return m;
}

inline std::string ShippedConfig(const std::string& name) {
  std::ifstream in(std::string(MOT_SOURCE_DIR) + "/deploy/config/" + name);
  std::stringstream buf;
  buf << in.rdbuf();
  return buf.str();
}

inline Incoming Message(const std::string& topic, const std::string& payload) {
  Incoming in;
  in.topic = topic;
  in.payload = payload;
  return in;
}

}  // namespace mot::testkit
