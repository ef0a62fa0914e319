// Deliveries per second through notification (command on Kafka -> decided -> posted to
// the local robot -> recorded -> event) against the same HTTP client (notification's
// WebhookProvider: libcurl multi, kept-alive connections, a batch in flight at once)
// posting straight to the same local robot, in one run. Usage: see tools/bench/deliveries.
#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <thread>

#include "bench_util.h"
#include "mot/common/ids.h"
#include "mot/common/kafka.h"
#include "mot/common/topics.h"
#include "mot/notification/v1/notification.pb.h"
#include "notification/app/webhook_provider.h"

namespace {

using bench::Seconds;
using bench::Steady;

constexpr char kDelivered[] =
    "mot_notification_deliveries_total{channel=\"wecom\",status=\"delivered\"}";

// Messages per second the client posts straight to the robot, `batch` at a time.
double Direct(mot::notification::WebhookProvider& robot, int n, int batch, const std::string& run) {
  std::vector<mot::notification::OutgoingMessage> messages;
  const auto t0 = Steady::now();
  for (int i = 0; i < n; i += batch) {
    messages.clear();
    for (int k = i; k < std::min(n, i + batch); ++k) {
      messages.push_back(
          {fmt::format("dl-{}-{}", run, k),
           "wecom",
           "",
           fmt::format(
               "感谢您关注{}-{}项目！您的专属置业顾问将与您联系，为您安排一对一的看房与方案讲解。",
               run, k),
           "",
           "",
           "",
           {}});
    }
    for (const auto& r : robot.SendAll(messages)) {
      if (!r.ok())
        throw std::runtime_error("direct post failed: " + std::string(r.status().message()));
    }
  }
  return n / Seconds(t0);
}

// Messages per second through notification: n commands published at once, until its
// /metrics counts them delivered.
double Through(mot::KafkaProducer& producer, const std::string& metrics, int n,
               const std::string& run) {
  const double before = bench::Metric(metrics, kDelivered);
  std::vector<mot::OutMessage> out;
  out.reserve(n);
  for (int i = 0; i < n; ++i) {
    mot::notification::v1::SendNotificationCommand cmd;
    cmd.set_command_id(fmt::format("bench-{}-{}", run, i));
    cmd.set_customer_id(fmt::format("C-BENCH-{}-{}", run, i % 1000));
    cmd.set_template_id("tier_a_second_touch");
    cmd.set_category("service");
    (*cmd.mutable_variables())["project_id"] = fmt::format("{}-{}", run, i);
    out.push_back(
        {mot::kNotificationCommandsTopic, cmd.customer_id(), cmd.SerializeAsString(), {}});
  }
  const auto t0 = Steady::now();
  for (const auto& s : producer.PublishAll(out)) {
    if (!s.ok()) throw std::runtime_error("publish failed: " + std::string(s.message()));
  }
  const auto deadline = Steady::now() + std::chrono::seconds(120);
  while (bench::Metric(metrics, kDelivered) < before + n) {
    if (Steady::now() > deadline) throw std::runtime_error("not all delivered within 120 s");
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return n / Seconds(t0);
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"deliveries through notification vs the same HTTP client posting directly"};
  std::string env_file, json_path, md_path;
  int n = 5000, rounds = 3, batch = 500;
  std::vector<int> connections = {8, 32};
  app.add_option("--env-file", env_file, "the bench mesh's env file")->required();
  app.add_option("--messages", n, "messages per measured round")->capture_default_str();
  app.add_option("--rounds", rounds, "measured rounds of each (the best is reported)")
      ->capture_default_str();
  app.add_option("--batch", batch, "messages the direct client posts at once")
      ->capture_default_str();
  app.add_option("--connections", connections,
                 "kept-alive connections the direct client tries (its best counts)")
      ->capture_default_str();
  app.add_option("--json", json_path);
  app.add_option("--markdown", md_path);
  CLI11_PARSE(app, argc, argv);
  try {
    auto env = bench::ReadEnv(env_file);
    const std::string metrics = env.at("MOT_NOTIFICATION_METRICS");
    // The robot the service posts to, on the same local server, over each number of
    // connections (the baseline is the client at its best).
    std::vector<std::unique_ptr<mot::notification::WebhookProvider>> robots;
    for (int c : connections) {
      robots.push_back(std::make_unique<mot::notification::WebhookProvider>(
          env.at("MOT_WEBHOOK_SINK_URL") + "/cgi-bin/webhook/send?key=direct",
          std::chrono::seconds(5), c));
    }
    mot::KafkaProducer producer(env.at("MOT_KAFKA_BROKERS"), "delivery-bench",
                                std::chrono::seconds(30));
    const std::string run = mot::RandomReplicaId();
    // Unmeasured: connections, the JIT, the consumer's assignment.
    for (auto& robot : robots) Direct(*robot, 500, batch, run + "w");
    Through(producer, metrics, 500, run + "w");
    double direct = 0, through = 0;
    double direct_cpu = 0, through_cpu = 0;
    for (int r = 0; r < rounds; ++r) {
      for (size_t k = 0; k < robots.size(); ++k) {
        const double c = bench::BusyCpuSeconds();
        const double rate = Direct(*robots[k], n, batch, fmt::format("{}d{}-{}", run, r, k));
        if (rate > direct) {
          direct = rate;
          direct_cpu = (bench::BusyCpuSeconds() - c) * rounds;  // per message: divided below
        }
      }
      const double c = bench::BusyCpuSeconds();
      through = std::max(through, Through(producer, metrics, n, fmt::format("{}t{}", run, r)));
      through_cpu += bench::BusyCpuSeconds() - c;
    }
    const double per_direct = direct_cpu / (static_cast<double>(n) * rounds) * 1e6;
    const double per_through = through_cpu / (static_cast<double>(n) * rounds) * 1e6;
    std::vector<bench::Figure> figures = {
        {"deliveries through notification (command -> robot -> recorded)", through, "msg/s",
         "the same client posting directly", direct, "ratio >= 0.5", through >= 0.5 * direct},
        {"machine CPU per message, through notification", per_through, "us", "directly", per_direct,
         "", true},
    };
    std::string tried;
    for (int c : connections) tried += (tried.empty() ? "" : "/") + std::to_string(c);
    std::cout << bench::WriteTable(
        fmt::format(
            "deliveries ({} per round, best of {}; direct: batches of {} over {} connections)", n,
            rounds, batch, tried),
        figures,
        {{"messages", n}, {"rounds", rounds}, {"batch", batch}, {"connections", connections}},
        md_path, json_path);
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "delivery bench: " << e.what() << "\n";
    return 1;
  }
}
