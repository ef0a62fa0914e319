#include "client.h"

#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <random>
#include <sstream>

#include "fmt/format.h"
#include "google/protobuf/util/json_util.h"
#include "mot/common/config.h"
#include "mot/common/gate.h"
#include "mot/common/simulated_clock.h"

namespace motctl {

std::string Client::Find(const std::string& key) {
  if (auto it = flags.find(key); it != flags.end() && !it->second.empty()) return it->second;
  if (const char* v = std::getenv(key.c_str()); v && *v) return v;
  if (file_.empty() && !env_file.empty()) {
    std::ifstream in(env_file);
    std::string line;
    while (std::getline(in, line)) {
      auto eq = line.find('=');
      if (eq != std::string::npos && line[0] != '#')
        file_[line.substr(0, eq)] = line.substr(eq + 1);
    }
  }
  if (auto it = file_.find(key); it != file_.end()) return it->second;
  return "";
}

std::string Client::Get(const std::string& key) {
  std::string v = Find(key);
  if (v.empty()) {
    throw std::runtime_error(key +
                             " is not set: pass the flag, export it, or start the local mesh "
                             "(deploy/local/mesh up writes " +
                             env_file + ")");
  }
  return v;
}

std::string Client::FileOf(const std::string& key) {
  const std::string path = Find(key);
  if (path.empty()) return "";
  std::ifstream in(path);
  if (!in) throw std::runtime_error(key + "='" + path + "' cannot be read");
  std::stringstream buf;
  buf << in.rdbuf();
  return buf.str();
}

std::shared_ptr<grpc::Channel> Client::Channel(const std::string& addr_key) {
  mot::ClientSecurity security;
  security.ca_pem = FileOf("MOT_TLS_CA_FILE");
  if (security.ca_pem.empty()) {
    throw std::runtime_error(
        "MOT_TLS_CA_FILE is not set: the services speak TLS only; pass --ca, "
        "export it, or start the local mesh");
  }
  security.cert_pem = FileOf("MOT_TLS_CLIENT_CERT_FILE");
  security.key_pem = FileOf("MOT_TLS_CLIENT_KEY_FILE");
  security.token = Find("MOT_TOKEN");
  security.server_name = Find("MOT_TLS_SERVER_NAME");
  return mot::SecureChannel(Get(addr_key), security);
}

std::unique_ptr<mot::RedisClient> Client::Redis() {
  auto [host, port] = mot::SplitHostPort(Get("MOT_REDIS_ADDR"));
  return std::make_unique<mot::RedisClient>(host, port, Find("MOT_REDIS_PASSWORD"),
                                            std::chrono::seconds(5));
}

mot::TimePoint Client::Now() {
  if (Find("MOT_CLOCK") != "simulated") return mot::SystemClock::WallNow();
  auto redis = Redis();
  auto t = mot::SimulatedTime(*redis).Get();
  if (!t.ok()) throw std::runtime_error("simulated clock: " + std::string(t.status().message()));
  return *t;
}

std::unique_ptr<grpc::ClientContext> Context() {
  auto ctx = std::make_unique<grpc::ClientContext>();
  ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
  return ctx;
}

std::string Requester(const std::string& by) {
  if (!by.empty()) return by;
  const char* user = std::getenv("USER");
  return user && *user ? user : "motctl";
}

std::string RandomId(const std::string& prefix) {
  std::random_device rd;
  return fmt::format("{}-{:08x}{:08x}", prefix, rd(), rd());
}

void Check(const grpc::Status& s, const std::string& what) {
  if (!s.ok()) {
    throw std::runtime_error(
        fmt::format("{}: {} ({})", what, s.error_message(), static_cast<int>(s.error_code())));
  }
}

std::string Json(const google::protobuf::Message& m) {
  std::string out;
  google::protobuf::util::JsonPrintOptions o;
  o.add_whitespace = true;
  o.preserve_proto_field_names = true;
  (void)google::protobuf::util::MessageToJsonString(m, &out, o);
  return out;
}

std::string Time(const google::protobuf::Timestamp& ts) {
  return ts.seconds() == 0 ? "-" : mot::FormatTime(mot::FromProto(ts));
}

std::string Short(const std::string& enum_name, const std::string& prefix) {
  return enum_name.rfind(prefix, 0) == 0 ? enum_name.substr(prefix.size()) : enum_name;
}

Progress::Progress(std::string verb, std::string unit, size_t total)
    : verb_(std::move(verb)), unit_(std::move(unit)), total_(total), tty_(isatty(2) != 0) {}

void Progress::Show(size_t done) {
  if (total_ == 0) return;
  const size_t tenth = done * 10 / total_;
  if (!tty_ && tenth == shown_ && done != total_) return;
  shown_ = tenth;
  const size_t width = 30, filled = done * width / total_;
  std::cerr << (tty_ ? "\r" : "") << verb_ << " [" << std::string(filled, '#')
            << std::string(width - filled, ' ') << "] " << done << "/" << total_ << " " << unit_
            << (tty_ && done != total_ ? "" : "\n") << std::flush;
}

}  // namespace motctl
