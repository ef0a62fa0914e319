#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace mot {

// Thrown when the environment does not configure a service correctly. what() is one
// line: the variable, what is wrong, and what is expected.
class ConfigError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Parses durations as written in configuration: "200ms", "30s", "2h", "90d", "4y",
// or several units together ("1h30m"). A year is 365 days, a month ("mo") 30 days.
absl::StatusOr<std::chrono::milliseconds> ParseDuration(std::string_view text);

// Reads MOT_* environment variables with validation. Every failure throws a
// ConfigError naming the variable.
class Env {
 public:
  using Lookup = std::function<std::optional<std::string>(const std::string&)>;
  Env();  // the process environment
  explicit Env(Lookup lookup);

  std::string Required(const std::string& name, std::string_view expected) const;
  std::string Optional(const std::string& name, const std::string& fallback) const;
  // host:port with a port in 1..65535.
  std::string HostPort(const std::string& name) const;
  std::chrono::milliseconds Duration(const std::string& name, const std::string& fallback) const;
  // A path to a readable file; returns its content.
  std::string FileContent(const std::string& name) const;
  // A whole number in [min, max].
  int Int(const std::string& name, int fallback, int min, int max) const;
  // An http:// or https:// URL.
  std::string HttpUrl(const std::string& name) const;
  // One of the given words.
  std::string OneOf(const std::string& name, const std::string& fallback,
                    std::initializer_list<std::string_view> allowed) const;

 private:
  std::optional<std::string> Get(const std::string& name) const;
  Lookup lookup_;
};

// The settings every service reads.
struct CommonConfig {
  std::string kafka_brokers;
  std::string redis_addr;
  std::string grpc_addr;
  std::string metrics_addr;
  std::string log_level;

  static CommonConfig FromEnv(const Env& env);
};

// Reads the file the variable names and parses it; a ConfigError names the
// variable and says what is wrong in the file.
template <typename T, typename Parse>
T ConfigFile(const Env& env, const std::string& name, Parse parse) {
  absl::StatusOr<T> parsed = parse(env.FileContent(name));
  if (!parsed.ok()) throw ConfigError(name + ": " + std::string(parsed.status().message()));
  return *std::move(parsed);
}

// Splits "host:port"; the caller has validated it.
std::pair<std::string, int> SplitHostPort(const std::string& host_port);

}  // namespace mot
