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
class Counter;
}  // namespace prometheus

namespace mot {

// A Redis reply, copied out of hiredis so that no hiredis type leaks.
struct RedisReply {
  enum class Type { kNil, kString, kInteger, kArray, kStatus, kError };
  Type type = Type::kNil;
  std::string str;
  int64_t integer = 0;
  std::vector<RedisReply> elements;

  bool is_nil() const { return type == Type::kNil; }
};

// A Lua script, called with EVALSHA. Every script made is known to every
// RedisClient of the process: when Redis answers NOSCRIPT (a restart or SCRIPT
// FLUSH emptied its cache), the client loads the scripts and runs those calls again.
// Make scripts once (static or long-lived objects), not per call.
class RedisScript {
 public:
  explicit RedisScript(std::string source);
  const std::string& sha() const { return sha_; }
  // EVALSHA sha numkeys keys... args...
  std::vector<std::string> Call(const std::vector<std::string>& keys,
                                const std::vector<std::string>& args) const;

 private:
  std::string sha_;
};

// Connections to Redis for the threads of a service: each call takes an idle
// connection (or opens one) and gives it back, so threads do not queue behind one
// another. A call that finds its connection broken drops the idle ones too and is
// retried once on a new connection, so a Redis restart costs callers at most one
// Unavailable error each.
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
  // Several independent commands in one round trip (no MULTI): one reply each.
  // Calls of a RedisScript that Redis no longer knows are run again after loading it.
  absl::StatusOr<std::vector<RedisReply>> Pipeline(
      const std::vector<std::vector<std::string>>& commands);
  absl::Status Ping();

 private:
  absl::StatusOr<redisContext*> Connect();
  // Sends the commands and reads one reply each; false on an I/O error.
  static bool RoundTrip(redisContext* ctx,
                        const std::vector<const std::vector<std::string>*>& commands,
                        std::vector<RedisReply>* replies);
  static bool LoadScripts(redisContext* ctx);
  redisContext* TakeIdle();
  void GiveBack(redisContext* ctx);
  void DropIdle();

  const std::string host_;
  const int port_;
  const std::string password_;
  const std::chrono::milliseconds timeout_;
  std::mutex mu_;
  std::vector<redisContext*> idle_;
  prometheus::Counter* reconnects_ = nullptr;
};

}  // namespace mot
