#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "grpcpp/grpcpp.h"
#include "mot/common/clock.h"
#include "mot/common/config.h"
#include "mot/common/gate.h"
#include "mot/common/kafka.h"
#include "mot/common/redis.h"
#include "mot/common/served.h"

namespace prometheus {
class Collectable;
class Exposer;
class Registry;
}  // namespace prometheus

namespace mot {

// The shared body of every service: Redis, a Kafka producer, /metrics, consumers,
// a gRPC server with health checking and reflection, and clean shutdown on
// SIGTERM/SIGINT (stop consuming, finish the message in hand, commit, flush, stop
// serving).
class Runtime {
 public:
  // Throws ConfigError or std::runtime_error when a part cannot start.
  Runtime(std::string service, CommonConfig config);
  ~Runtime();

  const std::string& service() const { return service_; }
  const CommonConfig& config() const { return config_; }
  RedisClient& redis() { return *redis_; }
  KafkaProducer& producer() { return *producer_; }
  prometheus::Registry& registry() { return *registry_; }
  // More metrics on /metrics, computed when scraped (e.g. read from Redis). Held
  // weakly: the caller keeps it alive.
  void AddCollectable(const std::shared_ptr<prometheus::Collectable>& collectable);
  // The system clock, or the mesh's shared simulated clock (MOT_CLOCK=simulated).
  const Clock& clock() const { return *clock_; }
  const std::atomic<bool>& stopping() const { return stop_; }

  // A consumer in group "<service>" (suffix appended if given) run on its own thread.
  void AddConsumer(std::vector<std::string> topics, Handler handler,
                   const std::string& group_suffix = "");
  // The same, handing the handler what has arrived in batches.
  void AddBatchConsumer(std::vector<std::string> topics, BatchHandler handler,
                        const std::string& group_suffix = "");
  // A background loop (e.g. a timer wheel) called until shutdown.
  void AddLoop(std::function<void(const std::atomic<bool>& stop)> loop);
  // Serves until SIGTERM/SIGINT behind the gate (TLS, tokens, `policy`'s scopes, the
  // caller's rate, the message size), each service behind its deadline guard (a call
  // nobody waits for any more does no work); returns the process exit code.
  int Serve(std::vector<ServedMethods*> services, AccessPolicy policy);

 private:
  const std::string service_;
  const CommonConfig config_;
  std::atomic<bool> stop_{false};
  std::shared_ptr<prometheus::Registry> registry_;
  std::unique_ptr<prometheus::Exposer> exposer_;
  std::unique_ptr<RedisClient> redis_;
  std::unique_ptr<Clock> clock_;
  std::unique_ptr<KafkaProducer> producer_;
  std::unique_ptr<Gate> gate_;
  std::vector<std::unique_ptr<KafkaConsumerLoop>> consumers_;
  std::vector<std::function<void(const std::atomic<bool>&)>> loops_;
};

// Wraps a service's main: blocks SIGTERM/SIGINT for all threads (the runtime waits
// for them), turns a ConfigError into one line on stderr and exit code 2, and any
// other start-up failure into one line and exit code 1.
int RunService(const char* service, const std::function<int()>& body);

// grpc::Status from absl::Status, keeping the code and the message.
grpc::Status ToGrpc(const absl::Status& status);

// INVALID_ARGUMENT "<field> <rule>", the one way a handler refuses a request: the
// field as the API names it ("page_token", "event.customer_id") and the rule it
// breaks ("is required", "must be from 0 to 1000"), never the value sent.
grpc::Status InvalidArgument(std::string_view field, std::string_view rule);

// The one page-size rule of every list call: `requested` entries, or `max` when 0 or
// more than `max` (MOT_LIST_PAGE_SIZE_MAX); INVALID_ARGUMENT naming page_size when
// negative. Where a page ends travels in the store's own token (PageCursor for an
// index ordered by time, a position for a journey's list).
grpc::Status PageSize(int32_t requested, int max, size_t* limit);

}  // namespace mot
