// mesh_bench: the pipeline against what the broker and Redis do at their best, in
// one run on the same broker, topics and Redis (a local mesh on the system clock).
//
//   producer     N messages from librdkafka with its batching defaults (acks=all,
//                idempotent): what publishing alone does here.
//   passthrough  a bare librdkafka consume -> produce -> store-offset loop over N
//                messages, batched: the most one hop can do here. The baseline.
//   end to end   N repair requests: lifecycle event -> scheduler -> command ->
//                ticket stored -> domain event -> journey DONE (three hops, Redis on
//                each), published all at once; events/s and the ratio to passthrough.
//   latency      contract signings at a fixed rate for a while: event published ->
//                the local webhook receiver gets the welcome message; p50/p99/p99.9.
//   memory       each service's resident memory at rest and its peak under load.
//   redis        redis-benchmark SET and ZADD unpipelined (the services' depth).
//
// End to end and latency run unmeasured first (--warmups rounds): a fresh broker
// compiles its hot paths and a fresh Redis grows its tables for the first minute,
// which a mesh in service has long done.
//
//   mesh_bench --env-file MESH_ENV [--events 20000] [--rate 1000] [--seconds 10]
//              [--warmups 2] [--json FILE] [--markdown FILE]
#include <librdkafka/rdkafkacpp.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <functional>
#include <iostream>
#include <thread>

#include "CLI/CLI.hpp"
#include "bench_util.h"
#include "mot/common/clock.h"
#include "mot/common/config.h"
#include "mot/common/kafka.h"
#include "mot/common/kafka_admin.h"
#include "mot/common/redis.h"
#include "mot/common/topics.h"
#include "mot/lifecycle/v1/event.pb.h"

namespace {

using bench::Seconds;
using bench::Steady;

[[noreturn]] void Die(const std::string& what) {
  std::cerr << "mesh_bench: " << what << "\n";
  std::exit(1);
}

std::unique_ptr<RdKafka::Conf> Conf(const std::map<std::string, std::string>& settings) {
  std::unique_ptr<RdKafka::Conf> conf(RdKafka::Conf::create(RdKafka::Conf::CONF_GLOBAL));
  std::string err;
  for (const auto& [k, v] : settings) {
    if (conf->set(k, v, err) != RdKafka::Conf::CONF_OK) Die(k + ": " + err);
  }
  return conf;
}

// librdkafka's producer with its defaults (batching), acks=all and idempotent like ours.
std::unique_ptr<RdKafka::Producer> RawProducer(const std::string& brokers) {
  auto conf = Conf({{"bootstrap.servers", brokers}, {"enable.idempotence", "true"}});
  std::string err;
  std::unique_ptr<RdKafka::Producer> p(RdKafka::Producer::create(conf.get(), err));
  if (!p) Die(err);
  return p;
}

void Produce(RdKafka::Producer& p, const std::string& topic, const std::string& key,
             const std::string& payload) {
  while (p.produce(topic, RdKafka::Topic::PARTITION_UA, RdKafka::Producer::RK_MSG_COPY,
                   const_cast<char*>(payload.data()), payload.size(), key.data(), key.size(), 0,
                   nullptr) == RdKafka::ERR__QUEUE_FULL) {
    p.poll(10);
  }
  p.poll(0);
}

double ProducerRate(const std::string& brokers, const std::string& topic, int n,
                    const std::string& payload) {
  auto p = RawProducer(brokers);
  const auto t0 = Steady::now();
  for (int i = 0; i < n; ++i) Produce(*p, topic, std::to_string(i), payload);
  p->flush(60000);
  if (p->outq_len() > 0) Die("producer baseline: messages left unsent");
  return n / Seconds(t0);
}

// Stores the source offset of each forwarded message once the broker acknowledged
// it (reports come in order per partition: the producer is idempotent).
class StoreOnDelivery : public RdKafka::DeliveryReportCb {
 public:
  StoreOnDelivery(RdKafka::KafkaConsumer& consumer, std::string topic)
      : consumer_(consumer), topic_(std::move(topic)) {}
  void dr_cb(RdKafka::Message& m) override {
    auto* source = static_cast<std::pair<int32_t, int64_t>*>(m.msg_opaque());
    if (m.err() != RdKafka::ERR_NO_ERROR) Die("passthrough: " + m.errstr());
    std::vector<RdKafka::TopicPartition*> tps{
        RdKafka::TopicPartition::create(topic_, source->first, source->second + 1)};
    consumer_.offsets_store(tps);
    RdKafka::TopicPartition::destroy(tps);
    delete source;
    ++delivered;
  }
  int delivered = 0;

 private:
  RdKafka::KafkaConsumer& consumer_;
  const std::string topic_;
};

// Consumes `in` and produces every message to `out` without waiting, storing each
// source offset once its copy is acknowledged: one at-least-once hop, pipelined and
// batched by librdkafka's defaults (the most a hop can do here). Messages per second
// from the first consumed until the last acknowledged.
double PassthroughRate(const std::string& brokers, const std::string& in, const std::string& out,
                       int n, const std::string& payload) {
  auto filler = RawProducer(brokers);
  for (int i = 0; i < n; ++i) Produce(*filler, in, std::to_string(i), payload);
  filler->flush(60000);
  auto conf = Conf(
      {{"bootstrap.servers", brokers},
       {"group.id", fmt::format("bench-pass-{}", mot::ToUnixMillis(mot::SystemClock::WallNow()))},
       {"auto.offset.reset", "earliest"},
       {"enable.auto.offset.store", "false"}});
  std::string err;
  std::unique_ptr<RdKafka::KafkaConsumer> consumer(RdKafka::KafkaConsumer::create(conf.get(), err));
  if (!consumer) Die(err);
  consumer->subscribe({in});
  StoreOnDelivery reports(*consumer, in);
  auto pconf = Conf({{"bootstrap.servers", brokers}, {"enable.idempotence", "true"}});
  pconf->set("dr_cb", &reports, err);
  std::unique_ptr<RdKafka::Producer> producer(RdKafka::Producer::create(pconf.get(), err));
  if (!producer) Die(err);
  int forwarded = 0;
  Steady::time_point t0;
  while (forwarded < n) {
    std::unique_ptr<RdKafka::Message> m(consumer->consume(forwarded == 0 ? 5000 : 100));
    producer->poll(0);
    if (m->err() != RdKafka::ERR_NO_ERROR) continue;
    if (forwarded == 0) t0 = Steady::now();  // from the first message on
    auto* source = new std::pair<int32_t, int64_t>(m->partition(), m->offset());
    while (producer->produce(out, RdKafka::Topic::PARTITION_UA, RdKafka::Producer::RK_MSG_COPY,
                             m->payload(), m->len(), m->key_pointer(), m->key_len(), 0, nullptr,
                             source) == RdKafka::ERR__QUEUE_FULL) {
      producer->poll(10);
    }
    ++forwarded;
  }
  while (reports.delivered < n && Seconds(t0) < 120) producer->poll(10);
  const double rate = reports.delivered / Seconds(t0);
  consumer->close();
  return rate;
}

mot::lifecycle::v1::LifecycleEvent Event(const std::string& id, const std::string& type,
                                         const std::string& customer, const std::string& project) {
  mot::lifecycle::v1::LifecycleEvent e;
  e.set_event_id(id);
  e.set_type(type);
  e.set_customer_id(customer);
  e.set_unit_id("U-1");
  e.set_project_id(project);
  e.set_source("bench");
  *e.mutable_occurred_at() = mot::ToProto(mot::SystemClock::WallNow());
  // What the playbook's steps need (docs/events.md).
  if (type == "contract_signed") (*e.mutable_attributes())["planned_handover_date"] = "2030-06-30";
  return e;
}

// Resident memory (KiB) of a component of the mesh, by its pid file.
double RssKiB(const std::string& mesh_dir, const std::string& name) {
  std::ifstream pidf(mesh_dir + "/pids/" + name + ".pid");
  int pid = 0;
  pidf >> pid;
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stod(line.substr(6));
  }
  return 0;
}

// CPU seconds (user + system) a component of the mesh has used so far.
double CpuSeconds(const std::string& mesh_dir, const std::string& name) {
  std::ifstream pidf(mesh_dir + "/pids/" + name + ".pid");
  int pid = 0;
  pidf >> pid;
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string all((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
  auto close = all.rfind(')');
  if (close == std::string::npos) return 0;
  std::istringstream rest(all.substr(close + 2));
  std::string field;
  double utime = 0, stime = 0;
  for (int i = 3; rest >> field; ++i) {  // fields 14 and 15: utime, stime (clock ticks)
    if (i == 14) utime = std::stod(field);
    if (i == 15) {
      stime = std::stod(field);
      break;
    }
  }
  return (utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

// A number from Redis's INFO persistence ("aof_rewrites", "aof_rewrite_in_progress").
int64_t RedisPersistence(mot::RedisClient& redis, const std::string& field) {
  auto r = redis.Command({"INFO", "persistence"});
  if (!r.ok()) Die(std::string(r.status().message()));
  const auto at = r->str.find("\n" + field + ":");
  return at == std::string::npos ? -1 : std::atoll(r->str.c_str() + at + field.size() + 2);
}

// Until Redis has no AOF rewrite running or due, then a breath: the next phase
// starts on a quiet mesh, not in the tail of the one before.
void Quiet(mot::RedisClient& redis) {
  const auto deadline = Steady::now() + std::chrono::seconds(60);
  while (Steady::now() < deadline && (RedisPersistence(redis, "aof_rewrite_in_progress") != 0 ||
                                      RedisPersistence(redis, "aof_rewrite_scheduled") != 0)) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  std::this_thread::sleep_for(std::chrono::seconds(2));
}

double Percentile(std::vector<double> v, double q) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<size_t>(q * (v.size() - 1) + 0.5))];
}

// N repair requests published at once: lifecycle event -> scheduler -> command ->
// ticket stored -> domain event -> journey DONE. Events per second, from the first
// publish until the scheduler has consumed the N ticket events.
double EndToEnd(mot::KafkaProducer& producer, const std::string& metrics, const std::string& run,
                int events) {
  const std::string outcomes = "mot_kafka_messages_total{result=\"ok\",topic=\"mot.ticket.v1\"}";
  const double before = bench::Metric(metrics, outcomes);
  std::vector<mot::OutMessage> batch;
  for (int i = 0; i < events; ++i) {
    auto e = Event(fmt::format("bench-{}-{}", run, i), "repair_requested",
                   fmt::format("C-BENCH-{}-{}", run, i), "P-BENCH");
    batch.push_back({mot::kLifecycleTopic, e.customer_id(), e.SerializeAsString(), {}});
  }
  const auto t0 = Steady::now();
  for (const auto& s : producer.PublishAll(batch)) {
    if (!s.ok()) Die(std::string(s.message()));
  }
  double done = 0;
  while ((done = bench::Metric(metrics, outcomes) - before) < events && Seconds(t0) < 300) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return done / Seconds(t0);
}

// When the scheduler produced each welcome command of a latency run (the broker's
// CreateTime of mot.notification.commands.v1 messages keyed C-LAT-<run>-<i>), by i.
std::map<int, int64_t> CommandTimes(const std::string& brokers, const std::string& run,
                                    size_t want) {
  auto conf = Conf({{"bootstrap.servers", brokers},
                    {"group.id", "bench-commands-" + run},
                    {"auto.offset.reset", "earliest"},
                    {"enable.auto.commit", "false"}});
  std::string err;
  std::unique_ptr<RdKafka::KafkaConsumer> c(RdKafka::KafkaConsumer::create(conf.get(), err));
  if (!c) Die(err);
  c->subscribe({mot::kNotificationCommandsTopic});
  const std::string prefix = "C-LAT-" + run + "-";
  std::map<int, int64_t> out;
  const auto deadline = Steady::now() + std::chrono::seconds(60);
  while (out.size() < want && Steady::now() < deadline) {
    std::unique_ptr<RdKafka::Message> m(c->consume(200));
    if (m->err() != RdKafka::ERR_NO_ERROR || m->key() == nullptr) continue;
    if (m->key()->rfind(prefix, 0) != 0) continue;
    out[std::atoi(m->key()->c_str() + prefix.size())] = m->timestamp().timestamp;
  }
  c->close();
  return out;
}

struct LatencyRun {
  std::vector<double> total_ms;      // published -> webhook received
  std::vector<double> scheduler_ms;  // published -> command produced (scheduler)
  std::vector<double> delivery_ms;   // command produced -> webhook received (notification)
};

// Contract signings at `rate` for `seconds`: for each, ms from its publish until the
// local webhook receiver logged its welcome message (what arrived within 120 s), and
// the two legs of it (with `brokers` given).
LatencyRun Latencies(mot::KafkaProducer& producer, const std::string& webhook_log,
                     const std::string& run, int rate, int seconds, double* offered,
                     const std::function<void()>& every_second = nullptr,
                     const std::string& brokers = "", const std::string& samples_path = "") {
  const int total = rate * seconds;
  std::vector<int64_t> sent_ms(total);
  const auto t0 = Steady::now();
  for (int i = 0; i < total; ++i) {
    std::this_thread::sleep_until(t0 + std::chrono::microseconds(1'000'000LL * i / rate));
    auto e = Event(fmt::format("lat-{}-{}", run, i), "contract_signed",
                   fmt::format("C-LAT-{}-{}", run, i), fmt::format("P-LAT-{}-{}", run, i));
    sent_ms[i] = mot::ToUnixMillis(mot::SystemClock::WallNow());
    (void)producer.Send({mot::kLifecycleTopic, e.customer_id(), e.SerializeAsString(), {}});
    producer.Poll(std::chrono::milliseconds(0));
    if (i % rate == 0 && every_second) every_second();
  }
  if (offered != nullptr) *offered = total / Seconds(t0);
  producer.Flush(std::chrono::seconds(30));
  // The receiver's log: one JSON line per message, its time and the text naming the project.
  const std::string project = "P-LAT-" + run + "-";
  std::vector<double> latency_ms;
  std::map<int, int64_t> received_ms;
  const auto deadline = Steady::now() + std::chrono::seconds(120);
  while (Steady::now() < deadline) {
    latency_ms.clear();
    received_ms.clear();
    std::ifstream log(webhook_log);
    std::string line;
    while (std::getline(log, line)) {
      const auto at = line.find(project);
      if (at == std::string::npos) continue;
      const int i = std::atoi(line.c_str() + at + project.size());
      auto j = nlohmann::json::parse(line, nullptr, false);
      mot::TimePoint received;
      if (j.is_discarded() || i < 0 || i >= total ||
          !mot::ParseTime(j.value("received_at", ""), &received)) {
        continue;
      }
      latency_ms.push_back(static_cast<double>(mot::ToUnixMillis(received) - sent_ms[i]));
      received_ms[i] = mot::ToUnixMillis(received);
    }
    if (static_cast<int>(latency_ms.size()) >= total) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
  }
  LatencyRun out;
  out.total_ms = std::move(latency_ms);
  if (brokers.empty()) return out;
  std::ofstream samples(samples_path);
  for (const auto& [i, produced] : CommandTimes(brokers, run, received_ms.size())) {
    auto r = received_ms.find(i);
    if (r == received_ms.end()) continue;
    if (samples)
      samples << i << "," << produced - sent_ms[i] << "," << r->second - produced << "\n";
    out.scheduler_ms.push_back(static_cast<double>(produced - sent_ms[i]));
    out.delivery_ms.push_back(static_cast<double>(r->second - produced));
  }
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"mesh_bench: the pipeline against the raw broker and Redis"};
  std::string env_file, json_path, md_path;
  int events = 20000, rate = 1000, seconds = 10, warmups = 2;
  app.add_option("--env-file", env_file, "the mesh's env file")->required();
  app.add_option("--events", events, "events for the throughput figures")->capture_default_str();
  app.add_option("--rate", rate, "events per second for the latency figure")->capture_default_str();
  app.add_option("--seconds", seconds, "how long the latency figure runs")->capture_default_str();
  app.add_option("--warmups", warmups, "unmeasured rounds of both phases first")
      ->capture_default_str();
  app.add_option("--json", json_path, "write the figures as JSON here");
  app.add_option("--markdown", md_path, "write the figures as a Markdown table here");
  std::string samples_path;
  app.add_option("--samples", samples_path,
                 "write each latency sample here: i, scheduler ms, notification ms (CSV)");
  CLI11_PARSE(app, argc, argv);
  auto env = bench::ReadEnv(env_file);
  const std::string brokers = env["MOT_KAFKA_BROKERS"];
  if (brokers.empty()) Die(env_file + " names no broker");
  const std::string mesh_dir = env["MOT_MESH_DIR"];
  const std::vector<std::string> services = {"touchpoint-scheduler", "ticketing", "notification",
                                             "survey"};
  std::map<std::string, double> rss_rest, rss_peak;
  for (const auto& s : services) rss_rest[s] = RssKiB(mesh_dir, s);
  const double redis_rss = RssKiB(mesh_dir, "redis");

  const std::string run = std::to_string(mot::ToUnixMillis(mot::SystemClock::WallNow()));
  const std::string sample =
      Event("ev-sample", "repair_requested", "C-0000001", "P-BENCH").SerializeAsString();
  const std::vector<std::string> bench_topics = {"bench.producer", "bench.in", "bench.out"};
  if (auto s = mot::EnsureTopics(brokers, bench_topics, 3, 1, std::chrono::seconds(30)); !s.ok()) {
    Die(std::string(s.message()));
  }
  mot::KafkaProducer producer(brokers, "bench", std::chrono::seconds(30));
  const std::vector<std::string> components = {
      "kafka",        "redis",  "touchpoint-scheduler", "ticketing",
      "notification", "survey", "webhook-sink"};
  const std::string metrics = env["MOT_SCHEDULER_METRICS"];
  auto [rhost, rport] = mot::SplitHostPort(env["MOT_REDIS_ADDR"]);
  mot::RedisClient redis(rhost, rport, env["MOT_REDIS_PASSWORD"], std::chrono::seconds(5));
  // A broker that has run for months has compiled its hot paths; a fresh one spends
  // a core on its JIT compiler for the first minute. Both phases run once unmeasured.
  for (int w = 0; w < warmups; ++w) {
    std::cerr << "warming up " << w + 1 << " of " << warmups << " (both phases, unmeasured) ...\n";
    const std::string tag = fmt::format("warm{}-{}", w, run);
    (void)EndToEnd(producer, metrics, tag, events);
    (void)Latencies(producer, env["MOT_WEBHOOK_LOG"], tag, rate, seconds, nullptr);
  }

  Quiet(redis);
  std::cerr << "producer baseline ...\n";
  const double producer_rate = ProducerRate(brokers, "bench.producer", events, sample);
  std::cerr << "passthrough baseline ...\n";
  const double pass_rate = PassthroughRate(brokers, "bench.in", "bench.out", events, sample);

  Quiet(redis);
  std::cerr << "end to end ...\n";
  const int64_t rewrites_before_e2e = RedisPersistence(redis, "aof_rewrites");
  std::map<std::string, double> cpu_e2e, cpu_latency;
  for (const auto& c : components) cpu_e2e[c] = -CpuSeconds(mesh_dir, c);
  auto t0 = Steady::now();
  const double e2e_rate = EndToEnd(producer, metrics, run, events);
  const double e2e_seconds = Seconds(t0);
  for (const auto& c : components) {
    cpu_e2e[c] += CpuSeconds(mesh_dir, c);
  }
  for (const auto& s : services) rss_peak[s] = RssKiB(mesh_dir, s);
  const int64_t rewrites_e2e = RedisPersistence(redis, "aof_rewrites") - rewrites_before_e2e;

  Quiet(redis);
  for (const auto& c : components) cpu_latency[c] = -CpuSeconds(mesh_dir, c);
  const int64_t rewrites_before_latency = RedisPersistence(redis, "aof_rewrites");
  std::cerr << "latency at " << rate << " events/s for " << seconds << " s ...\n";
  const int total = rate * seconds;
  t0 = Steady::now();
  double offered = 0;
  const LatencyRun latency = Latencies(
      producer, env["MOT_WEBHOOK_LOG"], run, rate, seconds, &offered,
      [&] {
        for (const auto& s : services) rss_peak[s] = std::max(rss_peak[s], RssKiB(mesh_dir, s));
      },
      brokers, samples_path);
  const std::vector<double>& latency_ms = latency.total_ms;
  for (const auto& s : services) rss_peak[s] = std::max(rss_peak[s], RssKiB(mesh_dir, s));
  const double latency_seconds = Seconds(t0);
  for (const auto& c : components) cpu_latency[c] += CpuSeconds(mesh_dir, c);
  const int64_t rewrites_latency =
      RedisPersistence(redis, "aof_rewrites") - rewrites_before_latency;

  const double redis_set =
      bench::RedisBenchmark(rhost, rport, env["MOT_REDIS_PASSWORD"], "set", 100000, 1);
  const double redis_zadd =
      bench::RedisBenchmark(rhost, rport, env["MOT_REDIS_PASSWORD"], "zadd", 100000, 1);

  const double p99 = Percentile(latency_ms, 0.99);
  std::vector<bench::Figure> figures;
  auto add = [&](std::string name, double value, std::string unit, std::string baseline_name = "",
                 double baseline = 0, std::string goal = "", bool met = true) {
    figures.push_back({std::move(name), value, std::move(unit), std::move(baseline_name), baseline,
                       std::move(goal), met});
  };
  add("producer (librdkafka defaults, acks=all)", producer_rate, "msg/s");
  add("passthrough: consume -> produce -> store offset, batched (one hop)", pass_rate, "msg/s");
  add("end to end: event -> scheduler -> ticket -> journey DONE", e2e_rate, "events/s",
      "passthrough", pass_rate, "ratio ≥ 0.5", e2e_rate >= 0.5 * pass_rate);
  add(fmt::format("latency p50 at {:.0f} events/s (published -> webhook received)", offered),
      Percentile(latency_ms, 0.5), "ms");
  add("latency p99", p99, "ms", "", 0, "≤ 50 ms",
      p99 <= 50 && static_cast<int>(latency_ms.size()) >= total);
  add("latency p99.9", Percentile(latency_ms, 0.999), "ms");
  add("  of which published -> command produced (scheduler), p50 / p99",
      Percentile(latency.scheduler_ms, 0.5),
      fmt::format("/ {} ms", Percentile(latency.scheduler_ms, 0.99)));
  add("  of which command produced -> webhook received (notification), p50 / p99",
      Percentile(latency.delivery_ms, 0.5),
      fmt::format("/ {} ms", Percentile(latency.delivery_ms, 0.99)));
  add("webhook messages received", static_cast<double>(latency_ms.size()),
      fmt::format("of {}", total));
  add("Redis AOF rewrites during end to end / during the latency run",
      static_cast<double>(rewrites_e2e), fmt::format("/ {}", rewrites_latency));
  add("redis-benchmark SET, unpipelined", redis_set, "req/s");
  add("redis-benchmark ZADD, unpipelined", redis_zadd, "req/s");
  for (const auto& s : services) {
    add(s + ": resident memory at rest", rss_rest[s] / 1024, "MiB", "redis-server",
        redis_rss / 1024);
    add(s + ": resident memory, peak under load", rss_peak[s] / 1024, "MiB", "redis-server",
        redis_rss / 1024);
  }
  // Where the time goes: each component's share of the two cores in each phase.
  for (const auto& c : components) {
    add(c + ": CPU during end to end", 100 * cpu_e2e[c] / e2e_seconds, "% of a core");
  }
  for (const auto& c : components) {
    add(c + ": CPU during the latency run", 100 * cpu_latency[c] / latency_seconds, "% of a core");
  }
  std::cout << bench::WriteTable(
      fmt::format("figure ({} events; latency {} s at {}/s)", events, seconds, rate), figures,
      {{"events", events}, {"rate", rate}, {"seconds", seconds}}, md_path, json_path);
  return 0;
}
