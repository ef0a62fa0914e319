#pragma once

#include <algorithm>

// What the benchmarks share: timing, the mesh's env file and /metrics pages,
// redis-benchmark, and the table (Markdown and JSON) they write.
#include <curl/curl.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "fmt/format.h"
#include "grpcpp/grpcpp.h"
#include "mot/common/gate.h"
#include "nlohmann/json.hpp"

namespace bench {

using Steady = std::chrono::steady_clock;

inline double Seconds(Steady::time_point since) {
  return std::chrono::duration<double>(Steady::now() - since).count();
}

// The machine's busy CPU time so far (all processes, every core), in seconds, from
// /proc/stat: what a run cost the whole machine is the difference of two readings.
inline double BusyCpuSeconds() {
  std::ifstream stat("/proc/stat");
  std::string cpu;
  double user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0;
  stat >> cpu >> user >> nice >> system >> idle >> iowait >> irq >> softirq;
  static const double ticks = static_cast<double>(sysconf(_SC_CLK_TCK));
  return (user + nice + system + irq + softirq) / ticks;
}

inline std::map<std::string, std::string> ReadEnv(const std::string& path) {
  std::map<std::string, std::string> env;
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    auto eq = line.find('=');
    if (eq != std::string::npos) env[line.substr(0, eq)] = line.substr(eq + 1);
  }
  return env;
}

// A channel to `target` as the mesh's clients make them: mutual TLS with the mesh's
// client certificate, the all-scopes token.
inline std::shared_ptr<grpc::Channel> Channel(const std::map<std::string, std::string>& env,
                                              const std::string& target) {
  auto token = env.find("MOT_TOKEN");
  return mot::SecureChannel(target,
                            mot::ClientSecurityOf(env, token == env.end() ? "" : token->second));
}

inline size_t Collect(char* data, size_t size, size_t n, void* out) {
  static_cast<std::string*>(out)->append(data, size * n);
  return size * n;
}

// The value of one series (name with its labels, sorted as prometheus-cpp prints
// them) on a /metrics page; 0 when absent.
inline double Metric(const std::string& url, const std::string& series) {
  std::string body;
  CURL* c = curl_easy_init();
  curl_easy_setopt(c, CURLOPT_URL, url.c_str());
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, Collect);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &body);
  curl_easy_setopt(c, CURLOPT_TIMEOUT, 5L);
  curl_easy_setopt(c, CURLOPT_NOPROXY, "*");
  curl_easy_perform(c);
  curl_easy_cleanup(c);
  std::istringstream lines(body);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.rfind(series + " ", 0) == 0) return std::stod(line.substr(series.size() + 1));
  }
  return 0;
}

inline double Sum(const std::vector<std::string>& urls, const std::string& series) {
  double total = 0;
  for (const auto& u : urls) total += Metric(u, series);
  return total;
}

// redis-benchmark `test` (e.g. zadd, set): requests per second it reports; 0 if none.
inline double RedisBenchmark(const std::string& host, int port, const std::string& password,
                             const std::string& test, int count, int depth) {
  const std::string cmd =
      fmt::format("redis-benchmark -h {} -p {} {} -n {} -P {} -r {} -t {} --csv 2>/dev/null", host,
                  port, password.empty() ? "" : "-a " + password, count, depth, count, test);
  std::string out;
  if (FILE* f = popen(cmd.c_str(), "r")) {
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0) out.append(buf, n);
    pclose(f);
  }
  // "test","rps",...  then  "ZADD","123456.79",...
  std::string upper;
  for (char ch : test) upper += static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  auto at = out.find("\"" + upper + "\",\"");
  return at == std::string::npos ? 0 : std::stod(out.substr(at + upper.size() + 4));
}

// What workers calling a service back to back saw: calls per second over the run,
// latency percentiles, errors (and the first one's message).
struct CallResult {
  double per_second = 0;
  double p50_ms = 0, p99_ms = 0;
  int64_t errors = 0;
  std::string first_error;
  size_t calls = 0;  // answered
};

// The workers' latencies (ms, one list each) since `start`, and their errors.
inline CallResult Summarise(const std::vector<std::vector<double>>& latencies,
                            Steady::time_point start, int64_t errors,
                            const std::vector<std::string>& first_error) {
  std::vector<double> all;
  for (const auto& l : latencies) all.insert(all.end(), l.begin(), l.end());
  std::sort(all.begin(), all.end());
  CallResult r;
  r.calls = all.size();
  r.per_second = all.size() / Seconds(start);
  if (!all.empty()) {
    r.p50_ms = all[all.size() / 2];
    r.p99_ms = all[std::min(all.size() - 1, all.size() * 99 / 100)];
  }
  r.errors = errors;
  for (const auto& e : first_error) {
    if (!e.empty()) r.first_error = e;
  }
  return r;
}

// One row of a benchmark's table.
struct Figure {
  std::string name;
  double value;
  std::string unit;
  std::string baseline_name;  // empty: none
  double baseline = 0;
  std::string goal;  // e.g. "ratio >= 0.5", "<= 50 ms"; empty: none
  bool met = true;
};

// Writes the table as Markdown (returned, and to md_path) and JSON (to json_path).
// A figure as people read it: whole numbers from 1,000 up, four significant digits below.
inline std::string Readable(double v) {
  return std::abs(v) >= 1000 ? fmt::format("{:.0f}", v) : fmt::format("{:.4g}", v);
}

inline std::string WriteTable(const std::string& title, const std::vector<Figure>& figures,
                              const nlohmann::json& context, const std::string& md_path,
                              const std::string& json_path) {
  std::string md =
      fmt::format("| {} | value | baseline | ratio | goal |\n|---|---|---|---|---|\n", title);
  nlohmann::json out = context;
  out["figures"] = nlohmann::json::array();
  for (const auto& f : figures) {
    const double ratio = f.baseline > 0 ? f.value / f.baseline : 0;
    md += fmt::format(
        "| {} | {} {} | {} | {} | {} |\n", f.name, Readable(f.value), f.unit,
        f.baseline > 0 ? fmt::format("{} ({})", Readable(f.baseline), f.baseline_name) : "-",
        f.baseline > 0 ? fmt::format("{:.2f}", ratio) : "-",
        f.goal.empty() ? "-" : f.goal + (f.met ? " ✔" : " ✘"));
    out["figures"].push_back({{"figure", f.name},
                              {"value", f.value},
                              {"unit", f.unit},
                              {"baseline", f.baseline},
                              {"baseline_name", f.baseline_name},
                              {"ratio", ratio},
                              {"goal", f.goal},
                              {"met", f.met}});
  }
  if (!md_path.empty()) std::ofstream(md_path) << md;
  if (!json_path.empty()) std::ofstream(json_path) << out.dump(2) << "\n";
  return md;
}

}  // namespace bench
