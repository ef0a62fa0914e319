#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

struct redisContext;

namespace prometheus {
class Registry;
template <typename T>
class Family;
class Counter;
}  // namespace prometheus

namespace mot {

// A Redis reply, copied out of hiredis so that no hiredis type leaks.
struct RedisReply {
  enum class Type { kNil, kString, kInteger, kArray, kStatus };
  Type type = Type::kNil;
  std::string str;
  int64_t integer = 0;
  std::vector<RedisReply> elements;

  bool is_nil() const { return type == Type::kNil; }
};

// One connection to Redis, shared by the threads of a service (calls are
// serialised). A broken connection is re-established on the next call, and the
// call that found it broken is retried once on the new connection, so a Redis
// restart costs callers at most one Unavailable error each.
class RedisClient {
 public:
  // An empty password sends no AUTH.
  RedisClient(std::string host, int port, std::string password, std::chrono::milliseconds timeout,
              prometheus::Registry* registry = nullptr);
  ~RedisClient();
  RedisClient(const RedisClient&) = delete;
  RedisClient& operator=(const RedisClient&) = delete;

  // Unavailable when Redis cannot be reached; Internal for an error reply.
  absl::StatusOr<RedisReply> Command(const std::vector<std::string>& argv);
  // Several commands in one round trip (no MULTI): one reply each.
  absl::StatusOr<std::vector<RedisReply>> Pipeline(
      const std::vector<std::vector<std::string>>& commands);
  absl::Status Ping();

 private:
  absl::Status ConnectLocked();
  void DropLocked();

  const std::string host_;
  const int port_;
  const std::string password_;
  const std::chrono::milliseconds timeout_;
  std::mutex mu_;
  redisContext* ctx_ = nullptr;
  prometheus::Counter* reconnects_ = nullptr;
};

}  // namespace mot
