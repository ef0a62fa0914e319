#pragma once

#include <cstdio>
#include <cstdlib>
#include <sstream>
#include <fstream>
#include <map>
#include <memory>
#include <random>
#include <string>

#include "mot/common/config.h"
#include "mot/common/redis.h"

namespace mot::testing {

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

// A new connection to the mesh's Redis.
inline std::unique_ptr<RedisClient> MeshRedis(std::map<std::string, std::string>& env) {
  auto [host, port] = SplitHostPort(env["MOT_REDIS_ADDR"]);
  return std::make_unique<RedisClient>(host, port, env["MOT_REDIS_PASSWORD"],
                                       std::chrono::seconds(5));
}

// A random name: 64 random bits (ten thousand draws of fewer bits collide too often).
// The value of a series (name with its labels, sorted) on a /metrics page; -1 if absent.
inline double Metric(const std::string& url, const std::string& series) {
  std::string page;
  if (FILE* f = popen(("curl -s --max-time 5 --noproxy '*' " + url).c_str(), "r")) {
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0) page.append(buf, n);
    pclose(f);
  }
  std::istringstream lines(page);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.rfind(series + " ", 0) == 0) return std::stod(line.substr(series.size() + 1));
  }
  return -1;
}

inline std::string Unique(const std::string& prefix) {
  static std::mt19937_64 gen(std::random_device{}());
  return prefix + std::to_string(gen());
}

}  // namespace mot::testing
