#pragma once

// The messages a decision emits and the port they are published through. Header-only
// (target motmesh::messaging): domain libraries may link it and return OutMessage for
// app/ to publish; Kafka itself (motmesh::kafka implements Publisher) stays out of them.

#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"

namespace mot {

using Headers = std::map<std::string, std::string>;
// A message sent without waiting: `done` turns true once the broker acknowledged it
// (status OK) or refused it (status as Publish would return); read `status` only then.
struct Delivery {
  std::atomic<bool> done{false};
  absl::Status status;
};

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
  // Sends without waiting for the broker; Poll() serves the delivery reports. By
  // default a Publish, done at once.
  virtual std::shared_ptr<Delivery> Send(const OutMessage& m) {
    auto d = std::make_shared<Delivery>();
    d->status = Publish(m.topic, m.key, m.payload, m.headers);
    d->done.store(true);
    return d;
  }
  virtual void Poll(std::chrono::milliseconds wait) {}
};

// For handlers that publish nothing: a publish is a programming error.
class NoPublisher : public Publisher {
 public:
  absl::Status Publish(const std::string& topic, const std::string&, const std::string&,
                       const Headers&) override {
    return absl::InternalError("this handler publishes nothing, yet published to " + topic);
  }
};

}  // namespace mot
