// drain_bench: how fast the scheduler replicas of a local mesh on the simulated
// clock drain a backlog of due touchpoints, end to end through the real broker.
//
//   drain_bench --env-file MESH_ENV --metrics URL[,URL...] [--count 10000]
//
// Plans `count` repair tickets an hour ahead (nothing is due), moves the simulated
// clock two hours, and times until the replicas (their /metrics URLs) have
// dispatched them all; then waits until the scheduler has seen every ticket opened,
// so that the next run starts on a quiet mesh. Prints one line: replicas, count,
// seconds, touchpoints/s.
#include <chrono>
#include <fstream>
#include <iostream>
#include <thread>

#include "CLI/CLI.hpp"
#include "absl/strings/str_split.h"
#include "bench_util.h"
#include "fmt/format.h"
#include "mot/common/config.h"
#include "mot/common/kafka.h"
#include "mot/common/simulated_clock.h"
#include "mot/common/topics.h"
#include "mot/lifecycle/v1/event.pb.h"

namespace {

using bench::Metric;
using bench::Seconds;
using bench::Sum;
using Clock = bench::Steady;

// Waits (bounded) until `done()`; false on timeout.
template <typename Done>
bool WaitFor(Done done, double limit_s) {
  const auto t0 = Clock::now();
  while (!done()) {
    if (Seconds(t0) > limit_s) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"drain_bench: scheduler replicas draining a backlog of due touchpoints"};
  std::string env_file, metrics_list;
  int count = 10000;
  app.add_option("--env-file", env_file, "the mesh's env file")->required();
  app.add_option("--metrics", metrics_list,
                 "the scheduler replicas' /metrics URLs, comma separated")
      ->required();
  app.add_option("--count", count, "touchpoints")->capture_default_str();
  CLI11_PARSE(app, argc, argv);
  auto env = bench::ReadEnv(env_file);
  if (env["MOT_CLOCK"] != "simulated") {
    std::cerr
        << "drain_bench: the mesh must run on the simulated clock (mesh up --simulated-clock)\n";
    return 2;
  }
  const std::vector<std::string> urls = absl::StrSplit(metrics_list, ',');
  auto [host, port] = mot::SplitHostPort(env["MOT_REDIS_ADDR"]);
  mot::RedisClient redis(host, port, env["MOT_REDIS_PASSWORD"], std::chrono::seconds(5));
  mot::SimulatedTime clock(redis);
  auto now = clock.Get();
  if (!now.ok()) {
    std::cerr << "drain_bench: " << now.status().message() << "\n";
    return 1;
  }
  const std::string planned = "mot_scheduler_touchpoints_planned_total";
  const std::string dispatched =
      "mot_scheduler_touchpoints_dispatched_total{service=\"ticketing\"}";
  const std::string opened =
      "mot_kafka_messages_total{result=\"ok\",topic=\"mot.ticket.v1\"}";  // labels sorted
  const double planned_0 = Sum(urls, planned), dispatched_0 = Sum(urls, dispatched),
               opened_0 = Sum(urls, opened);

  mot::KafkaProducer producer(env["MOT_KAFKA_BROKERS"], "drain-bench", std::chrono::seconds(30));
  const std::string run = fmt::format("{}", mot::ToUnixMillis(*now));
  std::vector<mot::OutMessage> events;
  for (int i = 0; i < count; ++i) {
    mot::lifecycle::v1::LifecycleEvent e;
    e.set_event_id(fmt::format("drain-{}-{}", run, i));
    e.set_type("repair_requested");
    e.set_customer_id(fmt::format("C-DRAIN-{}-{}", run, i));
    e.set_unit_id("U-1");
    e.set_project_id("P-DRAIN");
    *e.mutable_occurred_at() = mot::ToProto(*now + std::chrono::hours(1));
    events.push_back({mot::kLifecycleTopic, e.customer_id(), e.SerializeAsString(), {}});
  }
  for (const auto& s : producer.PublishAll(events)) {
    if (!s.ok()) {
      std::cerr << "drain_bench: " << s.message() << "\n";
      return 1;
    }
  }
  if (!WaitFor([&] { return Sum(urls, planned) - planned_0 >= count; }, 300)) {
    std::cerr << "drain_bench: not all planned in 300 s\n";
    return 1;
  }
  if (auto t = clock.Advance(std::chrono::hours(2)); !t.ok()) {
    std::cerr << "drain_bench: " << t.status().message() << "\n";
    return 1;
  }
  const auto t0 = Clock::now();
  const bool drained = WaitFor([&] { return Sum(urls, dispatched) - dispatched_0 >= count; }, 300);
  const double took = Seconds(t0);
  std::cout << fmt::format("{} replica(s)  {} touchpoints  {:.2f} s  {:.0f} touchpoints/s{}\n",
                           urls.size(), count, took, count / took, drained ? "" : "  (NOT ALL)");
  // Let the rest of the mesh (ticketing, the outcomes) finish before another run.
  WaitFor([&] { return Sum(urls, opened) - opened_0 >= count; }, 300);
  return drained ? 0 : 1;
}
