// The timer engine at a million pending touchpoints, against Redis's own best in
// the same run on the same server: redis-benchmark ZADD at the same pipeline depth.
//
//   timer_bench --redis HOST:PORT [--password P] [--count 1000000] [--depth 64]
//               [--batch 100] [--json FILE] [--markdown FILE]
//
// Two levels, each on an empty Redis:
//   timers       the engine alone (mot/common/timers.h): arm (pipelined ZADD into the
//                partitioned due sets), then fire = claim in batches (one script) and
//                complete (one script) until none is due.
//   touchpoints  the scheduler's journey store: schedule = the atomic script that stores
//                the touchpoint, its command and journey entry and arms its timer,
//                pipelined `depth` deep; fire = ClaimDue + Settle(dispatched), the
//                Redis side of a dispatch (the Kafka side is the mesh benchmark's).
// Bytes per pending timer/touchpoint come from INFO memory (used_memory) before and
// after arming/scheduling.
#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>

#include "bench_util.h"
#include "fmt/format.h"
#include "mot/common/codec.h"
#include "mot/common/config.h"
#include "mot/common/ids.h"
#include "mot/common/log.h"
#include "mot/common/timers.h"
#include "nlohmann/json.hpp"
#include "touchpoint-scheduler/app/redis_journey_store.h"

namespace {

using Clock = std::chrono::steady_clock;
using mot::TimePoint;

double Seconds(Clock::time_point since) {
  return std::chrono::duration<double>(Clock::now() - since).count();
}

void Die(const std::string& what) {
  std::cerr << "timer_bench: " << what << "\n";
  std::exit(1);
}

template <typename T>
T Must(absl::StatusOr<T> v, const char* what) {
  if (!v.ok()) Die(fmt::format("{}: {}", what, v.status().message()));
  return *std::move(v);
}

void Must(const absl::Status& s, const char* what) {
  if (!s.ok()) Die(fmt::format("{}: {}", what, s.message()));
}

int64_t UsedMemory(mot::RedisClient& redis) {
  auto info = Must(redis.Command({"INFO", "memory"}), "INFO memory");
  const std::string key = "used_memory:";
  auto at = info.str.find(key);
  if (at == std::string::npos) Die("INFO memory has no used_memory");
  return std::stoll(info.str.substr(at + key.size()));
}

void Flush(mot::RedisClient& redis) { Must(redis.Command({"FLUSHALL"}), "FLUSHALL"); }

struct Figure {
  std::string name;
  double value;
  std::string unit;
  double baseline;  // 0: none
  double goal;
  bool goal_is_max;
};

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"timer_bench: the timer engine at a million pending touchpoints"};
  std::string redis_addr, password, json_path, md_path;
  int count = 1'000'000, depth = 64, batch = 100, partitions = 16;
  app.add_option("--redis", redis_addr, "Redis host:port (its data is flushed!)")->required();
  app.add_option("--password", password, "Redis password");
  app.add_option("--count", count, "pending touchpoints")->capture_default_str();
  app.add_option("--depth", depth, "pipeline depth")->capture_default_str();
  app.add_option("--batch", batch, "touchpoints claimed per claim")->capture_default_str();
  app.add_option("--partitions", partitions, "timer partitions")->capture_default_str();
  app.add_option("--json", json_path, "write the figures as JSON here");
  app.add_option("--markdown", md_path, "write the figures as a Markdown table here");
  CLI11_PARSE(app, argc, argv);
  mot::Log().set_level(spdlog::level::err);

  auto [host, port] = mot::SplitHostPort(redis_addr);
  mot::RedisClient redis(host, port, password, std::chrono::seconds(30));
  const TimePoint t0 = mot::FromUnixMillis(1'793'520'000'000);
  std::vector<Figure> figures;

  // -- Redis's best: pipelined ZADD
  Flush(redis);
  std::cerr << "redis-benchmark ZADD -P " << depth << " ...\n";
  const double zadd = bench::RedisBenchmark(host, port, password, "zadd", count, depth);
  if (zadd <= 0) Die("redis-benchmark gave no ZADD figure");
  Flush(redis);

  // -- the engine alone
  mot::TimerLayout layout{"bench", partitions};
  mot::RedisTimers timers(redis, layout);
  std::vector<std::string> ids(count);
  for (int i = 0; i < count; ++i) ids[i] = mot::DeterministicId("tp", {"bench", std::to_string(i)});
  int64_t before = UsedMemory(redis);
  std::cerr << "arming " << count << " timers ...\n";
  auto start = Clock::now();
  for (int i = 0; i < count; i += depth) {
    std::vector<mot::RedisTimers::Timer> chunk;
    for (int k = i; k < std::min(count, i + depth); ++k) {
      chunk.push_back({layout.PartitionOf(ids[k]), ids[k], t0 + std::chrono::seconds(k % 86400)});
    }
    Must(timers.Arm(chunk), "arm");
  }
  const double arm_rate = count / Seconds(start);
  const double timer_bytes = static_cast<double>(UsedMemory(redis) - before) / count;
  std::cerr << "firing ...\n";
  start = Clock::now();
  int64_t fired = 0;
  const TimePoint later = t0 + std::chrono::hours(48);
  for (int p = 0; p < partitions; ++p) {
    for (;;) {
      auto claimed =
          Must(timers.Claim(p, later, std::chrono::seconds(60), batch, "bench"), "claim");
      if (claimed.empty()) break;
      fired += Must(timers.Complete(p, claimed, "bench"), "complete");
    }
  }
  const double fire_rate = fired / Seconds(start);
  if (fired != count) Die(fmt::format("fired {} of {} timers", fired, count));
  Flush(redis);

  // -- the scheduler's touchpoints
  mot::scheduler::JourneyStoreOptions options;
  options.ns = "bench";
  options.partitions = partitions;
  mot::scheduler::RedisJourneyStore store(redis, options);
  before = UsedMemory(redis);
  std::cerr << "scheduling " << count << " touchpoints ...\n";
  start = Clock::now();
  size_t command_bytes = 0;
  for (int i = 0; i < count; i += depth) {
    std::vector<mot::scheduler::PlannedTouchpoint> chunk;
    for (int k = i; k < std::min(count, i + depth); ++k) {
      // A handover's one-year quality check, as the playbook plans it.
      mot::scheduler::PlannedTouchpoint p;
      auto& tp = p.touchpoint;
      const std::string customer = fmt::format("C-{:07d}", k / 5);
      tp.set_id(ids[k]);
      tp.set_step_id("one_year_quality_check");
      tp.set_title("入住一周年质量检查");
      tp.set_service("ticketing");
      tp.set_customer_id(customer);
      tp.set_event_id(fmt::format("ev-{:016x}", k / 5));
      tp.set_event_type("handover");
      tp.set_status(mot::scheduler::v1::TOUCHPOINT_STATUS_SCHEDULED);
      *tp.mutable_due_at() = mot::ToProto(t0 + std::chrono::seconds(k % 86400));
      mot::ticketing::v1::OpenTicketCommand cmd;
      cmd.set_command_id(tp.id());
      cmd.set_touchpoint_id(tp.id());
      cmd.set_customer_id(customer);
      cmd.set_unit_id("U-0801");
      cmd.set_project_id("P-SH01");
      cmd.set_kind("inspection");
      cmd.set_summary(tp.title());
      *cmd.mutable_requested_at() = tp.due_at();
      p.payload = cmd.SerializeAsString();
      command_bytes += p.payload.size();
      chunk.push_back(std::move(p));
    }
    Must(store.ScheduleAll(chunk, t0), "schedule");
  }
  const double schedule_rate = count / Seconds(start);
  const double touchpoint_bytes = static_cast<double>(UsedMemory(redis) - before) / count;
  std::cerr << "dispatching (Redis side) ...\n";
  start = Clock::now();
  int64_t settled = 0;
  for (int p = 0; p < partitions; ++p) {
    for (;;) {
      auto claimed =
          Must(store.ClaimDue(p, later, std::chrono::seconds(60), batch, "bench"), "claim");
      if (claimed.empty()) break;
      std::vector<mot::scheduler::Settlement> done;
      for (const auto& c : claimed) {
        done.push_back({p, c.id, c.token, mot::scheduler::Settlement::Kind::kDispatched, "", {}});
      }
      for (bool held : Must(store.Settle(done, later), "settle")) settled += held;
    }
  }
  const double dispatch_rate = settled / Seconds(start);
  if (settled != count) Die(fmt::format("settled {} of {} touchpoints", settled, count));
  Flush(redis);

  figures = {
      {"timer: Redis bytes per pending timer", timer_bytes, "bytes", 0, 200, true},
      {"timer: arm rate", arm_rate, "/s", zadd, 50000, false},
      {"timer: fire rate (claim + complete)", fire_rate, "/s", zadd, 50000, false},
      {"touchpoint: Redis bytes per pending touchpoint (with its command)", touchpoint_bytes,
       "bytes", 0, 200, true},
      {"touchpoint: schedule rate (store + arm, atomic)", schedule_rate, "/s", zadd, 50000, false},
      {"touchpoint: dispatch rate, Redis side (claim + read + settle)", dispatch_rate, "/s", zadd,
       50000, false},
  };
  nlohmann::json out = {{"count", count},
                        {"pipeline_depth", depth},
                        {"claim_batch", batch},
                        {"partitions", partitions},
                        {"command_bytes_mean", static_cast<double>(command_bytes) / count},
                        {"baseline", {{"name", "redis-benchmark ZADD"}, {"per_second", zadd}}},
                        {"figures", nlohmann::json::array()}};
  std::string md = fmt::format(
      "| figure ({} pending, pipeline depth {}, claims of {}) | value | baseline: redis-benchmark "
      "ZADD -P {} | ratio | goal |\n|---|---|---|---|---|\n",
      count, depth, batch, depth);
  for (const auto& f : figures) {
    const double ratio = f.baseline > 0 ? f.value / f.baseline : 0;
    const bool met = f.goal_is_max ? f.value <= f.goal : f.value >= f.goal && ratio >= 0.5;
    out["figures"].push_back(
        {{"figure", f.name},
         {"value", f.value},
         {"unit", f.unit},
         {"baseline", f.baseline},
         {"ratio", ratio},
         {"goal", f.goal_is_max ? fmt::format("<= {}", f.goal)
                                : fmt::format(">= {}/s, ratio >= 0.5", f.goal)},
         {"met", met}});
    md += fmt::format(
        "| {} | {:.0f} {} | {} | {} | {} {} |\n", f.name, f.value, f.unit,
        f.baseline > 0 ? fmt::format("{:.0f}/s", f.baseline) : "-",
        f.baseline > 0 ? fmt::format("{:.2f}", ratio) : "-",
        f.goal_is_max ? fmt::format("≤ {:.0f}", f.goal) : fmt::format("≥ {:.0f}/s, ≥ 0.5", f.goal),
        met ? "✔" : "✘");
  }
  std::cout << md;
  if (!json_path.empty()) std::ofstream(json_path) << out.dump(2) << "\n";
  if (!md_path.empty()) std::ofstream(md_path) << md;
  return 0;
}
