#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "absl/time/civil_time.h"
#include "mot/common/clock.h"

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

// A calendar date written YYYY-MM-DD, 1900 to 2200 (further out is a typo, and would
// overflow a timestamp); InvalidArgument "expected a date YYYY-MM-DD".
absl::StatusOr<absl::CivilDay> ParseDate(std::string_view text);

// A local time of day written HH:MM, as minutes after midnight; InvalidArgument
// "expected a local time HH:MM such as 09:00".
absl::StatusOr<int> ParseLocalTime(std::string_view text);

// Reads MOT_* environment variables with validation. Every failure throws a
// ConfigError naming the variable.
class Env {
 public:
  Env();                                                  // the process environment
  explicit Env(std::map<std::string, std::string> vars);  // for tests

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
  // Every set variable whose name starts with `prefix`: name -> value.
  std::map<std::string, std::string> WithPrefix(const std::string& prefix) const;
  // One of the given words.
  std::string OneOf(const std::string& name, const std::string& fallback,
                    std::initializer_list<std::string_view> allowed) const;

 private:
  std::optional<std::string> Get(const std::string& name) const;
  std::map<std::string, std::string> vars_;
};

// librdkafka properties from MOT_KAFKA_OPT_<NAME> (see CommonConfig::kafka_options).
std::map<std::string, std::string> KafkaOptionsFromEnv(const Env& env);

// Settings of the gate every gRPC server stands behind (from MOT_TLS_* / MOT_AUTH_* /
// MOT_GRPC_*; see docs/guarantees.md, "Restarts, access, callers and deadlines"). FromEnv throws
// ConfigError.
struct GateConfig {
  std::string tls_cert_pem;  // MOT_TLS_CERT_FILE (required)
  std::string tls_key_pem;   // MOT_TLS_KEY_FILE (required)
  std::string
      tls_client_ca_pem;  // MOT_TLS_CLIENT_CA_FILE: set -> callers must show a cert it signed
  std::string jwt_public_key_pem;               // MOT_AUTH_JWT_PUBLIC_KEY_FILE (required), ES256
  std::string jwt_issuer = "motmesh";           // MOT_AUTH_JWT_ISSUER
  std::chrono::milliseconds jwt_leeway{60000};  // MOT_AUTH_JWT_LEEWAY
  double caller_rate = 100;                     // MOT_GRPC_CALLER_RATE, calls a second
  double caller_burst = 200;                    // MOT_GRPC_CALLER_BURST
  int max_message_bytes = 1 << 20;              // MOT_GRPC_MAX_MESSAGE_BYTES

  static GateConfig FromEnv(const Env& env);
};

// The settings every service reads.
struct CommonConfig {
  std::string kafka_brokers;
  // Extra librdkafka properties (security.protocol, sasl.*, ssl.* ...) from
  // MOT_KAFKA_OPT_<NAME>: NAME lower-cased with '_' as '.', e.g.
  // MOT_KAFKA_OPT_SASL_MECHANISMS=PLAIN -> sasl.mechanisms=PLAIN. property -> value.
  std::map<std::string, std::string> kafka_options;
  std::string redis_addr;
  std::string redis_password;  // MOT_REDIS_PASSWORD; empty: no AUTH
  std::string grpc_addr;
  std::string metrics_addr;
  std::string log_level;
  // MOT_INSTANCE_ID: a name that stays the same when this replica restarts (the pod's
  // name): its consumers join their groups as static members, so a restarted replica
  // gets its partitions back at once instead of after the session timeout.
  std::string instance_id;
  // MOT_KAFKA_DELIVERY_TIMEOUT: how long a publish may wait for the broker (librdkafka
  // message.timeout.ms).
  std::chrono::milliseconds kafka_delivery_timeout{30000};
  // MOT_KAFKA_MAX_PAYLOAD_BYTES: a consumed message larger than this is dead-lettered
  // unread.
  int kafka_max_payload_bytes = 1000000;
  // MOT_EVENT_MAX_AGE / MOT_EVENT_MAX_AHEAD: how far from now an event's occurred_at
  // or a command's requested_at may be; outside, dead-lettered or INVALID_ARGUMENT.
  TimeWindow times;
  // MOT_CLOCK: "system", or "simulated" (the local mesh's shared clock, never production).
  std::string clock = "system";
  // MOT_CLOCK_POLL: how often a service on the simulated clock reads it.
  std::chrono::milliseconds clock_poll{100};
  // TLS, tokens, per-caller rate and message size of the gRPC server.
  GateConfig gate;
  // MOT_HEALTH_ADDR: a plain-text port answering gRPC health checks only (the kubelet's
  // probes speak no TLS); empty: none.
  std::string health_addr;

  static CommonConfig FromEnv(const Env& env);
  // The variable a Kafka property came from, for error messages.
  static std::string KafkaOptionVariable(const std::string& property);
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
