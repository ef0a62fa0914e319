// mesh_bench: end-to-end throughput of the mesh against the raw broker, in one run.
//
//   raw   N messages published one at a time (acknowledged, as every mesh hop does)
//         to a bench topic and consumed back: the broker's floor for one hop.
//   mesh  N repair_requested events for N customers, until the scheduler has seen N
//         "ticket opened" outcomes: lifecycle -> scheduler -> ticketing -> scheduler,
//         three acknowledged hops plus Redis writes per event.
//
// Prints both rates and their ratio. Addresses come from the local mesh's env file.
#include <curl/curl.h>
#include <librdkafka/rdkafkacpp.h>

#include <chrono>
#include <fstream>
#include <iostream>
#include <map>
#include <regex>
#include <thread>

#include "CLI/CLI.hpp"
#include "fmt/format.h"
#include "mot/common/clock.h"
#include "mot/common/codec.h"
#include "mot/common/topics.h"
#include "mot/common/kafka.h"
#include "mot/common/kafka_admin.h"
#include "mot/lifecycle/v1/event.pb.h"

namespace {

using Clock = std::chrono::steady_clock;

std::map<std::string, std::string> ReadEnv(const std::string& path) {
  std::map<std::string, std::string> env;
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    auto eq = line.find('=');
    if (eq != std::string::npos) env[line.substr(0, eq)] = line.substr(eq + 1);
  }
  return env;
}

size_t Collect(char* data, size_t size, size_t n, void* out) {
  static_cast<std::string*>(out)->append(data, size * n);
  return size * n;
}

// The value of mot_kafka_messages_total{topic=..., result="ok"} on a /metrics page.
double OkCount(const std::string& url, const std::string& topic) {
  std::string body;
  CURL* c = curl_easy_init();
  curl_easy_setopt(c, CURLOPT_URL, url.c_str());
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, Collect);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &body);
  curl_easy_setopt(c, CURLOPT_TIMEOUT, 5L);
  curl_easy_perform(c);
  curl_easy_cleanup(c);
  std::istringstream lines(body);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.rfind("mot_kafka_messages_total{", 0) == 0 &&
        line.find("topic=\"" + topic + "\"") != std::string::npos &&
        line.find("result=\"ok\"") != std::string::npos) {
      return std::stod(line.substr(line.rfind(' ') + 1));
    }
  }
  return 0;
}

double Seconds(Clock::time_point since) {
  return std::chrono::duration<double>(Clock::now() - since).count();
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"mesh_bench: mesh throughput against the raw broker"};
  std::string env_file = ".run/bench/mesh.env";
  int n = 1000;
  app.add_option("--env-file", env_file)->capture_default_str();
  app.add_option("-n,--events", n, "events per measurement")->capture_default_str();
  CLI11_PARSE(app, argc, argv);
  auto env = ReadEnv(env_file);
  const std::string brokers = env["MOT_KAFKA_BROKERS"];
  if (brokers.empty()) {
    std::cerr << "mesh_bench: " << env_file << " names no running mesh\n";
    return 2;
  }
  mot::KafkaProducer producer(brokers, "mesh-bench", std::chrono::seconds(30));
  const std::string payload(200, 'x');  // about the size of a lifecycle event

  // Raw: one acknowledged publish at a time, then consume them all back.
  const std::string topic = "mot.bench.v1";
  if (auto s = mot::EnsureTopics(brokers, {topic}, 3, 1, std::chrono::seconds(30)); !s.ok()) {
    std::cerr << "mesh_bench: " << s.message() << "\n";
    return 1;
  }
  auto t0 = Clock::now();
  for (int i = 0; i < n; ++i) {
    if (!producer.Publish(topic, std::to_string(i), payload).ok()) return 1;
  }
  std::string err;
  std::unique_ptr<RdKafka::Conf> conf(RdKafka::Conf::create(RdKafka::Conf::CONF_GLOBAL));
  conf->set("bootstrap.servers", brokers, err);
  conf->set("group.id", fmt::format("bench-{}", std::chrono::system_clock::now().time_since_epoch().count()), err);
  conf->set("auto.offset.reset", "earliest", err);
  std::unique_ptr<RdKafka::KafkaConsumer> consumer(RdKafka::KafkaConsumer::create(conf.get(), err));
  consumer->subscribe({topic});
  int got = 0;
  while (got < n && Seconds(t0) < 120) {
    std::unique_ptr<RdKafka::Message> m(consumer->consume(200));
    got += m->err() == RdKafka::ERR_NO_ERROR;
  }
  consumer->close();
  const double raw = Seconds(t0);

  // Mesh: repair requests until the scheduler has seen every ticket opened.
  const std::string metrics = env["MOT_SCHEDULER_METRICS"];
  const double before = OkCount(metrics, mot::kTicketEventsTopic);
  const auto run = std::chrono::system_clock::now().time_since_epoch().count();
  t0 = Clock::now();
  for (int i = 0; i < n; ++i) {
    mot::lifecycle::v1::LifecycleEvent e;
    e.set_event_id(fmt::format("bench-{}-{}", run, i));
    e.set_type("repair_requested");
    e.set_customer_id(fmt::format("C-BENCH-{}", i));
    e.set_unit_id("U-1");
    e.set_project_id("P-BENCH");
    *e.mutable_occurred_at() = mot::ToProto(mot::SystemClock::WallNow());
    if (!producer.Publish(mot::kLifecycleTopic, e.customer_id(), e.SerializeAsString()).ok()) return 1;
  }
  const double published = Seconds(t0);
  double done = 0;
  while ((done = OkCount(metrics, mot::kTicketEventsTopic) - before) < n && Seconds(t0) < 300) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  const double mesh = Seconds(t0);

  std::cout << fmt::format("events                 {}\n", n);
  std::cout << fmt::format("raw broker hop         {:.2f} s  {:8.0f} msg/s  (publish acked one by one, consume)\n",
                           raw, got / raw);
  std::cout << fmt::format("mesh end to end        {:.2f} s  {:8.0f} events/s  (published in {:.2f} s; {} of {} done)\n",
                           mesh, done / mesh, published, static_cast<int>(done), n);
  std::cout << fmt::format("ratio mesh/raw time    {:.1f}x  (3 hops + Redis per event vs 1 hop)\n", mesh / raw);
  return done >= n && got >= n ? 0 : 1;
}
