#pragma once

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <memory>
#include <random>
#include <sstream>
#include <string>

#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "mot/common/config.h"
#include "mot/common/gate.h"
#include "mot/common/redis.h"
#include "mot/common/simulated_clock.h"

namespace mot::testkit {

// The running local mesh's addresses: MOT_MESH_ENV names its env file.
inline std::map<std::string, std::string> MeshEnv() {
  const char* path = std::getenv("MOT_MESH_ENV");
  std::map<std::string, std::string> env;
  std::ifstream in(path ? path : "");
  std::string line;
  while (std::getline(in, line)) {
    auto eq = line.find('=');
    if (eq != std::string::npos) env[line.substr(0, eq)] = line.substr(eq + 1);
  }
  return env;
}

// A channel to one of the mesh's services (env key of its address) over mutual TLS,
// sending the token in env key `token` (MOT_TOKEN carries every scope; "" sends none).
inline std::shared_ptr<grpc::Channel> MeshChannel(std::map<std::string, std::string>& env,
                                                  const std::string& addr_key,
                                                  const std::string& token = "MOT_TOKEN") {
  return SecureChannel(env[addr_key], ClientSecurityOf(env, token.empty() ? "" : env[token]));
}

// A new connection to the mesh's Redis.
inline std::unique_ptr<RedisClient> MeshRedis(std::map<std::string, std::string>& env) {
  auto [host, port] = SplitHostPort(env["MOT_REDIS_ADDR"]);
  return std::make_unique<RedisClient>(host, port, env["MOT_REDIS_PASSWORD"],
                                       std::chrono::seconds(5));
}

// The body at an http:// URL (curl; empty when it does not answer).
inline std::string Page(const std::string& url) {
  std::string page;
  if (FILE* f = popen(("curl -s --max-time 5 --noproxy '*' " + url).c_str(), "r")) {
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0) page.append(buf, n);
    pclose(f);
  }
  return page;
}

// The value of a series (name with its labels, sorted) on a /metrics page; -1 if absent.
inline double Metric(const std::string& url, const std::string& series) {
  const std::string page = Page(url);
  std::istringstream lines(page);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.rfind(series + " ", 0) == 0) return std::stod(line.substr(series.size() + 1));
  }
  return -1;
}

// Everything the Redis holds, as text: each key with its value (strings, every hash
// field and value, every member of sets, sorted sets and lists, stream entries),
// uncompressed, so a search of it finds what a dump of the database would hold.
inline std::string RedisContents(RedisClient& redis) {
  std::string out;
  const auto append = [&out](const RedisReply& r, const auto& self) -> void {
    out += r.str;
    out += r.type == RedisReply::Type::kInteger ? std::to_string(r.integer) : "";
    out += '\n';
    for (const auto& e : r.elements) self(e, self);
  };
  std::string cursor = "0";
  do {
    auto scan = redis.Command({"SCAN", cursor, "COUNT", "1000"});
    if (!scan.ok() || scan->elements.size() != 2) return out + "SCAN failed";
    cursor = scan->elements[0].str;
    std::vector<std::vector<std::string>> types;
    for (const auto& k : scan->elements[1].elements) types.push_back({"TYPE", k.str});
    auto kinds = redis.Pipeline(types);
    if (!kinds.ok()) return out + "TYPE failed";
    std::vector<std::vector<std::string>> reads;
    for (size_t i = 0; i < types.size(); ++i) {
      const std::string& key = types[i][1];
      const std::string& type = (*kinds)[i].str;
      out += key + '\n';
      if (type == "string") reads.push_back({"GET", key});
      if (type == "hash") reads.push_back({"HGETALL", key});
      if (type == "set") reads.push_back({"SMEMBERS", key});
      if (type == "zset") reads.push_back({"ZRANGE", key, "0", "-1", "WITHSCORES"});
      if (type == "list") reads.push_back({"LRANGE", key, "0", "-1"});
      if (type == "stream") reads.push_back({"XRANGE", key, "-", "+"});
    }
    auto values = redis.Pipeline(reads);
    if (!values.ok()) return out + "reads failed";
    for (const auto& v : *values) append(v, append);
  } while (cursor != "0");
  return out;
}

// Moves the shared simulated clock forward to 10:00 in Asia/Shanghai (the owners'
// zone in the playbook) when it is outside 09:00-18:00 there: touchpoints for owners
// wait for their contact window (09:00-20:00), and a test that expects one at once
// must run in their daytime.
inline void DaytimeForOwners(RedisClient& redis) {
  SimulatedTime clock(redis);
  auto now = clock.Get();
  if (!now.ok()) return;
  absl::TimeZone zone;
  absl::LoadTimeZone("Asia/Shanghai", &zone);
  const absl::CivilSecond local =
      absl::ToCivilSecond(absl::FromUnixMillis(ToUnixMillis(*now)), zone);
  if (local.hour() >= 9 && local.hour() < 18) return;
  absl::CivilDay day(local);
  if (local.hour() >= 18) day += 1;
  const absl::Time ten =
      absl::FromCivil(absl::CivilSecond(day.year(), day.month(), day.day(), 10, 0, 0), zone);
  (void)clock.Advance(std::chrono::duration_cast<std::chrono::milliseconds>(
      FromUnixMillis(absl::ToUnixMillis(ten)) - *now));
}

// A random name: 64 random bits (ten thousand draws of fewer bits collide too often).
inline std::string Unique(const std::string& prefix) {
  static std::mt19937_64 gen(std::random_device{}());
  return prefix + std::to_string(gen());
}

}  // namespace mot::testkit
