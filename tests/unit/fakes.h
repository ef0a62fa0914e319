#pragma once

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "mot/common/kafka.h"

namespace mot::testing {

// Records what was published; can be told to fail.
class FakePublisher : public Publisher {
 public:
  struct Message {
    std::string topic, key, payload;
    Headers headers;
  };
  absl::Status Publish(const std::string& topic, const std::string& key,
                       const std::string& payload, const Headers& headers) override {
    if (!fail_with.ok()) return fail_with;
    sent.push_back({topic, key, payload, headers});
    return absl::OkStatus();
  }
  std::vector<Message> sent;
  absl::Status fail_with = absl::OkStatus();
};

// A shipped configuration file (deploy/config/<name>).
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

}  // namespace mot::testing
