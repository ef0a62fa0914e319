#include "mot/common/runtime.h"

#include <signal.h>

#include <cstdio>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "grpc/health/v1/health.pb.h"
#include "grpcpp/ext/proto_server_reflection_plugin.h"
#include "grpcpp/health_check_service_interface.h"
#include "mot/common/gate.h"
#include "mot/common/log.h"
#include "mot/common/simulated_clock.h"
#include "prometheus/counter.h"
#include "prometheus/exposer.h"
#include "prometheus/gauge.h"
#include "prometheus/registry.h"

namespace mot {
namespace {

sigset_t ShutdownSignals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  return set;
}

}  // namespace

Runtime::Runtime(std::string service, CommonConfig config)
    : service_(std::move(service)), config_(std::move(config)) {
  if (auto s = CheckKafkaOptions(config_.kafka_options); !s.ok()) {
    const std::string message(s.message());
    throw ConfigError(CommonConfig::KafkaOptionVariable(message.substr(0, message.find(':'))) +
                      " is invalid: " + message);
  }
  InitLogging(service_, config_.log_level);
  registry_ = std::make_shared<prometheus::Registry>();
  try {
    exposer_ = std::make_unique<prometheus::Exposer>(config_.metrics_addr);
  } catch (const std::exception& e) {
    throw std::runtime_error("MOT_METRICS_ADDR=" + config_.metrics_addr +
                             " cannot be bound: " + e.what());
  }
  exposer_->RegisterCollectable(registry_);
  prometheus::BuildGauge()
      .Name("mot_service_info")
      .Help("Constant 1, labelled with the service name.")
      .Register(*registry_)
      .Add({{"service", service_}})
      .Set(1);
  auto [host, port] = SplitHostPort(config_.redis_addr);
  redis_ = std::make_unique<RedisClient>(host, port, config_.redis_password,
                                         std::chrono::seconds(2), registry_.get());
  if (auto s = redis_->Ping(); !s.ok()) {
    // Not fatal: the client reconnects; handlers retry until Redis answers.
    Log().warn("redis not reachable at start: {}", s.message());
  }
  auto& simulated = prometheus::BuildGauge()
                        .Name("mot_clock_simulated")
                        .Help("1 when the service reads the local mesh's simulated clock.")
                        .Register(*registry_)
                        .Add({});
  if (config_.clock == "simulated") {
    auto clock = std::make_unique<SimulatedClock>(*redis_);
    if (auto s = clock->Refresh(); !s.ok()) {
      throw std::runtime_error("MOT_CLOCK=simulated: the shared clock cannot be read: " +
                               std::string(s.message()));
    }
    Log().warn(
        "SIMULATED CLOCK: time is {} and moves only with `motctl clock`; never run "
        "production like this",
        FormatTime(clock->Now()));
    simulated.Set(1);
    loops_.push_back([this, c = clock.get()](const std::atomic<bool>& stop) {
      bool failing = false;
      while (!stop.load()) {
        auto s = c->Refresh();
        if (!s.ok() && !failing) Log().warn("simulated clock not readable: {}", s.message());
        failing = !s.ok();
        std::this_thread::sleep_for(config_.clock_poll);
      }
    });
    clock_ = std::move(clock);
  } else {
    clock_ = std::make_unique<SystemClock>();
  }
  producer_ = std::make_unique<KafkaProducer>(
      config_.kafka_brokers, service_, config_.kafka_delivery_timeout, config_.kafka_options);
}

Runtime::~Runtime() = default;

void Runtime::AddConsumer(std::vector<std::string> topics, Handler handler,
                          const std::string& group_suffix) {
  AddBatchConsumer(std::move(topics), OneByOne(std::move(handler)), group_suffix);
}

void Runtime::AddBatchConsumer(std::vector<std::string> topics, BatchHandler handler,
                               const std::string& group_suffix) {
  ConsumerOptions options;
  options.brokers = config_.kafka_brokers;
  options.group_id = "mot." + service_ + group_suffix;
  options.topics = std::move(topics);
  options.options = config_.kafka_options;
  options.instance_id = config_.instance_id;
  options.max_payload_bytes = static_cast<size_t>(config_.kafka_max_payload_bytes);
  consumers_.push_back(std::make_unique<KafkaConsumerLoop>(std::move(options), std::move(handler),
                                                           *producer_, *registry_));
}

void Runtime::AddCollectable(const std::shared_ptr<prometheus::Collectable>& collectable) {
  exposer_->RegisterCollectable(collectable);
}

void Runtime::AddLoop(std::function<void(const std::atomic<bool>& stop)> loop) {
  loops_.push_back(std::move(loop));
}

int Runtime::Serve(std::vector<ServedMethods*> services, AccessPolicy policy) {
  grpc::EnableDefaultHealthCheckService(true);
  // gRPC's built-in health service carries no descriptor: loading ours lets reflection
  // describe grpc.health.v1.Health, so `grpcurl ... grpc.health.v1.Health/Check` works.
  (void)grpc::health::v1::HealthCheckResponse::descriptor();
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  int bound_port = 0;
  gate_ = std::make_unique<Gate>(config_.gate, std::move(policy), registry_.get());
  builder.AddListeningPort(config_.grpc_addr, gate_->Credentials(), &bound_port);
  builder.SetMaxReceiveMessageSize(gate_->max_message_bytes());
  std::vector<std::unique_ptr<DeadlineGuard>> guards;
  for (auto* s : services)
    builder.RegisterService(guards.emplace_back(new DeadlineGuard(*s)).get());
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (!server || bound_port == 0) {
    throw std::runtime_error("MOT_GRPC_ADDR=" + config_.grpc_addr + " cannot be bound");
  }
  // The kubelet's gRPC probes speak no TLS: a plain-text port answering health only.
  std::unique_ptr<grpc::Server> health;
  if (!config_.health_addr.empty()) {
    grpc::ServerBuilder health_builder;
    int health_port = 0;
    health_builder.AddListeningPort(config_.health_addr, grpc::InsecureServerCredentials(),
                                    &health_port);
    health = health_builder.BuildAndStart();
    if (!health || health_port == 0) {
      throw std::runtime_error("MOT_HEALTH_ADDR=" + config_.health_addr + " cannot be bound");
    }
  }
  const auto serving = [&](bool up) {
    server->GetHealthCheckService()->SetServingStatus(up);
    if (health) health->GetHealthCheckService()->SetServingStatus(up);
  };
  serving(true);

  std::vector<std::thread> threads;
  for (auto& c : consumers_) {
    threads.emplace_back([this, consumer = c.get()] { consumer->Run(stop_); });
  }
  for (auto& loop : loops_) {
    threads.emplace_back([this, &loop] { loop(stop_); });
  }
  Log().info("serving gRPC over TLS{} on {} and metrics on {}",
             config_.gate.tls_client_ca_pem.empty() ? "" : " (client certificates required)",
             config_.grpc_addr, config_.metrics_addr);

  sigset_t set = ShutdownSignals();
  int sig = 0;
  sigwait(&set, &sig);
  Log().info("signal {} received: shutting down", sig);
  serving(false);
  stop_.store(true);
  for (auto& t : threads) t.join();
  consumers_.clear();
  if (int left = producer_->Flush(std::chrono::seconds(10)); left > 0) {
    Log().error("{} messages left unflushed at shutdown", left);
  }
  server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(5));
  if (health) health->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(1));
  Log().info("stopped");
  return 0;
}

int RunService(const char* service, const std::function<int()>& body) {
  // The distribution's Abseil checks every mutex acquisition for lock-order cycles (a
  // debugging aid that cost gRPC's locks about 3 % of a busy service's CPU): off.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  sigset_t set = ShutdownSignals();
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  try {
    return body();
  } catch (const ConfigError& e) {
    std::fprintf(stderr, "%s: configuration error: %s\n", service, e.what());
    return 2;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s: cannot start: %s\n", service, e.what());
    return 1;
  }
}

grpc::Status InvalidArgument(std::string_view field, std::string_view rule) {
  return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                      std::string(field) + " " + std::string(rule));
}

grpc::Status PageSize(int32_t requested, int max, size_t* limit) {
  if (requested < 0) return InvalidArgument("page_size", "must not be negative");
  *limit = static_cast<size_t>(requested == 0 ? max : std::min(requested, max));
  return grpc::Status::OK;
}

grpc::Status ToGrpc(const absl::Status& status) {
  return grpc::Status(static_cast<grpc::StatusCode>(status.code()), std::string(status.message()));
}

}  // namespace mot
