#include "mot/common/config.h"

#include <unistd.h>

#include <cctype>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace mot {

absl::StatusOr<absl::CivilDay> ParseDate(std::string_view text) {
  absl::CivilDay day;
  if (text.size() != 10 || !absl::ParseCivilTime(std::string(text), &day) || day.year() < 1900 ||
      day.year() > 2200) {
    return absl::InvalidArgumentError("expected a date YYYY-MM-DD");
  }
  return day;
}

absl::StatusOr<int> ParseLocalTime(std::string_view text) {
  int h = 0, m = 0;
  if (text.size() != 5 || text[2] != ':' ||
      !absl::SimpleAtoi(absl::string_view(text.data(), 2), &h) ||
      !absl::SimpleAtoi(absl::string_view(text.data() + 3, 2), &m) || h > 23 || m > 59 || h < 0 ||
      m < 0) {
    return absl::InvalidArgumentError("expected a local time HH:MM such as 09:00");
  }
  return h * 60 + m;
}

absl::StatusOr<std::chrono::milliseconds> ParseDuration(std::string_view text) {
  using std::chrono::milliseconds;
  if (text.empty()) return absl::InvalidArgumentError("empty duration");
  const std::string whole(text);
  struct Unit {
    std::string_view name;
    int64_t ms;
  };
  static constexpr Unit kUnits[] = {{"ms", 1},
                                    {"s", 1000},
                                    {"m", 60'000},
                                    {"h", 3'600'000},
                                    {"d", 86'400'000},
                                    {"w", 7 * 86'400'000LL},
                                    {"mo", 30 * 86'400'000LL},
                                    {"y", 365 * 86'400'000LL}};
  int64_t total = 0;
  size_t i = 0;
  while (i < text.size()) {
    size_t start = i;
    while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) ++i;
    if (start == i) {
      return absl::InvalidArgumentError(absl::StrCat("bad duration '", whole, "'"));
    }
    int64_t value = 0;
    if (!absl::SimpleAtoi(std::string(text.substr(start, i - start)), &value)) {
      return absl::InvalidArgumentError(absl::StrCat("bad number in duration '", whole, "'"));
    }
    size_t unit_start = i;
    while (i < text.size() && std::isalpha(static_cast<unsigned char>(text[i]))) ++i;
    std::string_view unit = text.substr(unit_start, i - unit_start);
    const Unit* found = nullptr;
    for (const auto& u : kUnits) {
      if (u.name == unit) found = &u;
    }
    if (found == nullptr) {
      return absl::InvalidArgumentError(absl::StrCat("unknown unit '", std::string(unit),
                                                     "' in duration '", whole,
                                                     "' (use ms, s, m, h, d, w, mo, y)"));
    }
    // Over a thousand years is a typo, not a touchpoint (and would overflow).
    if (value > 1000 * (365 * 86'400'000LL / found->ms) ||
        total + value * found->ms > 1000 * 365 * 86'400'000LL) {
      return absl::InvalidArgumentError(absl::StrCat("duration '", whole, "' is too long"));
    }
    total += value * found->ms;
  }
  return milliseconds(total);
}

Env::Env() {
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    std::string entry(*e);
    auto eq = entry.find('=');
    if (eq != std::string::npos) vars_[entry.substr(0, eq)] = entry.substr(eq + 1);
  }
}

Env::Env(std::map<std::string, std::string> vars) : vars_(std::move(vars)) {}

std::optional<std::string> Env::Get(const std::string& name) const {
  auto it = vars_.find(name);
  if (it == vars_.end() || it->second.empty()) return std::nullopt;
  return it->second;
}

std::map<std::string, std::string> Env::WithPrefix(const std::string& prefix) const {
  std::map<std::string, std::string> out;
  for (auto it = vars_.lower_bound(prefix); it != vars_.end() && it->first.rfind(prefix, 0) == 0;
       ++it) {
    out.insert(*it);
  }
  return out;
}

std::string Env::Required(const std::string& name, std::string_view expected) const {
  auto v = Get(name);
  if (!v) throw ConfigError(absl::StrCat(name, " is not set; expected ", std::string(expected)));
  return *v;
}

std::string Env::Optional(const std::string& name, const std::string& fallback) const {
  return Get(name).value_or(fallback);
}

std::string Env::HostPort(const std::string& name) const {
  const std::string value = Required(name, "host:port, e.g. 127.0.0.1:9092");
  // A list of brokers is allowed where several host:port are comma separated.
  std::stringstream list(value);
  std::string item;
  while (std::getline(list, item, ',')) {
    auto colon = item.rfind(':');
    int port = 0;
    if (colon == std::string::npos || colon == 0 ||
        !absl::SimpleAtoi(item.substr(colon + 1), &port) || port < 1 || port > 65535) {
      throw ConfigError(absl::StrCat(name, "='", value,
                                     "' is invalid; expected host:port with a port in 1..65535"));
    }
  }
  return value;
}

std::chrono::milliseconds Env::Duration(const std::string& name,
                                        const std::string& fallback) const {
  const std::string value = Optional(name, fallback);
  auto parsed = ParseDuration(value);
  if (!parsed.ok()) {
    throw ConfigError(absl::StrCat(name, "='", value, "' is invalid (", parsed.status().message(),
                                   "); expected a duration such as 200ms, 30s, 2h, 90d"));
  }
  return *parsed;
}

std::string Env::FileContent(const std::string& name) const {
  const std::string path = Required(name, "the path of a readable file");
  std::ifstream in(path);
  if (!in)
    throw ConfigError(absl::StrCat(name, "='", path, "' cannot be read; expected a readable file"));
  std::stringstream buf;
  buf << in.rdbuf();
  return buf.str();
}

int Env::Int(const std::string& name, int fallback, int min, int max) const {
  auto v = Get(name);
  if (!v) return fallback;
  int value = 0;
  if (!absl::SimpleAtoi(*v, &value) || value < min || value > max) {
    throw ConfigError(absl::StrCat(name, "='", *v, "' is invalid; expected a whole number from ",
                                   min, " to ", max));
  }
  return value;
}

std::string Env::HttpUrl(const std::string& name) const {
  const std::string value = Required(name, "an http:// or https:// URL");
  if (value.rfind("http://", 0) != 0 && value.rfind("https://", 0) != 0) {
    throw ConfigError(absl::StrCat(name, " is invalid; expected an http:// or https:// URL"));
  }
  return value;
}

std::string Env::OneOf(const std::string& name, const std::string& fallback,
                       std::initializer_list<std::string_view> allowed) const {
  const std::string value = Optional(name, fallback);
  std::string list;
  for (auto a : allowed) {
    if (a == value) return value;
    absl::StrAppend(&list, list.empty() ? "" : ", ", std::string(a));
  }
  throw ConfigError(absl::StrCat(name, "='", value, "' is invalid; expected one of: ", list));
}

std::map<std::string, std::string> KafkaOptionsFromEnv(const Env& env) {
  std::map<std::string, std::string> options;
  constexpr char kOpt[] = "MOT_KAFKA_OPT_";
  for (const auto& [name, value] : env.WithPrefix(kOpt)) {
    std::string property = name.substr(sizeof kOpt - 1);
    if (property.empty())
      throw ConfigError(name + " names no property; expected MOT_KAFKA_OPT_<NAME>");
    for (char& ch : property) ch = ch == '_' ? '.' : static_cast<char>(std::tolower(ch));
    if (property == "bootstrap.servers" || property == "group.id" ||
        property == "group.instance.id" || property == "enable.auto.offset.store" ||
        property == "enable.auto.commit") {
      throw ConfigError(name + " sets " + property +
                        ", which MOT Mesh owns; use MOT_KAFKA_BROKERS for the brokers");
    }
    options[property] = value;
  }
  return options;
}

GateConfig GateConfig::FromEnv(const Env& env) {
  GateConfig c;
  // The files' content is checked for its PEM block here, so that a wrong file is named
  // at start rather than found when the server cannot be built.
  const auto pem = [&env](const std::string& name, const std::string& block,
                          const std::string& expected) {
    std::string content = env.FileContent(name);
    if (content.find(block) == std::string::npos) {
      throw ConfigError(absl::StrCat(name, " holds no ", block, "; expected ", expected));
    }
    return content;
  };
  c.tls_cert_pem = pem("MOT_TLS_CERT_FILE", "-----BEGIN CERTIFICATE-----",
                       "the server's certificate (chain) in PEM");
  c.tls_key_pem =
      pem("MOT_TLS_KEY_FILE", "PRIVATE KEY-----", "the server certificate's key in PEM");
  if (!env.Optional("MOT_TLS_CLIENT_CA_FILE", "").empty()) {
    c.tls_client_ca_pem = pem("MOT_TLS_CLIENT_CA_FILE", "-----BEGIN CERTIFICATE-----",
                              "the CA certificate(s) client certificates are signed by, in PEM");
  }
  c.jwt_public_key_pem = pem("MOT_AUTH_JWT_PUBLIC_KEY_FILE", "-----BEGIN PUBLIC KEY-----",
                             "the ES256 (P-256) public key tokens are signed for, in PEM");
  c.jwt_issuer = env.Optional("MOT_AUTH_JWT_ISSUER", c.jwt_issuer);
  c.jwt_leeway = env.Duration("MOT_AUTH_JWT_LEEWAY", "60s");
  c.caller_rate = env.Int("MOT_GRPC_CALLER_RATE", 100, 1, 100000000);
  c.caller_burst = env.Int("MOT_GRPC_CALLER_BURST", 200, 1, 100000000);
  c.max_message_bytes = env.Int("MOT_GRPC_MAX_MESSAGE_BYTES", 1 << 20, 1024, 64 << 20);
  return c;
}

CommonConfig CommonConfig::FromEnv(const Env& env) {
  CommonConfig c;
  c.kafka_brokers = env.HostPort("MOT_KAFKA_BROKERS");
  c.kafka_options = KafkaOptionsFromEnv(env);
  c.redis_addr = env.HostPort("MOT_REDIS_ADDR");
  c.redis_password = env.Optional("MOT_REDIS_PASSWORD", "");
  c.grpc_addr = env.HostPort("MOT_GRPC_ADDR");
  c.metrics_addr = env.HostPort("MOT_METRICS_ADDR");
  c.log_level = env.OneOf("MOT_LOG_LEVEL", "info", {"trace", "debug", "info", "warn", "error"});
  c.kafka_delivery_timeout = env.Duration("MOT_KAFKA_DELIVERY_TIMEOUT", "30s");
  c.kafka_max_payload_bytes = env.Int("MOT_KAFKA_MAX_PAYLOAD_BYTES", 1000000, 1024, 100000000);
  c.instance_id = env.Optional("MOT_INSTANCE_ID", "");
  c.clock = env.OneOf("MOT_CLOCK", "system", {"system", "simulated"});
  c.clock_poll = env.Duration("MOT_CLOCK_POLL", "100ms");
  c.times.max_age = env.Duration("MOT_EVENT_MAX_AGE", "30y");
  c.times.max_ahead = env.Duration("MOT_EVENT_MAX_AHEAD", "1d");
  c.health_addr =
      env.Optional("MOT_HEALTH_ADDR", "").empty() ? "" : env.HostPort("MOT_HEALTH_ADDR");
  c.gate = GateConfig::FromEnv(env);
  return c;
}

std::string CommonConfig::KafkaOptionVariable(const std::string& property) {
  std::string name = "MOT_KAFKA_OPT_";
  for (char ch : property) name += ch == '.' ? '_' : static_cast<char>(std::toupper(ch));
  return name;
}

std::pair<std::string, int> SplitHostPort(const std::string& host_port) {
  auto colon = host_port.rfind(':');
  int port = 0;
  (void)absl::SimpleAtoi(host_port.substr(colon + 1), &port);
  return {host_port.substr(0, colon), port};
}

}  // namespace mot
