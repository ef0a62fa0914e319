#pragma once

#include <stdlib.h>

#include <fstream>
#include <map>
#include <string>
#include <utility>

#include "mot/common/config.h"

namespace mot::testkit {

// `vars` with the gate's files (MOT_TLS_CERT_FILE, MOT_TLS_KEY_FILE,
// MOT_AUTH_JWT_PUBLIC_KEY_FILE) pointing at files FromEnv accepts: their PEM blocks
// only, the keys are never used. Written once per test binary under /tmp.
inline std::map<std::string, std::string> WithGateFiles(std::map<std::string, std::string> vars) {
  static const std::string dir = [] {
    char tmpl[] = "/tmp/mot-gate-XXXXXX";
    std::string d = mkdtemp(tmpl);
    std::ofstream(d + "/cert.pem") << "-----BEGIN CERTIFICATE-----\nx\n-----END CERTIFICATE-----\n";
    std::ofstream(d + "/key.pem") << "-----BEGIN PRIVATE KEY-----\nx\n-----END PRIVATE KEY-----\n";
    std::ofstream(d + "/jwt.pub") << "-----BEGIN PUBLIC KEY-----\nx\n-----END PUBLIC KEY-----\n";
    return d;
  }();
  vars["MOT_TLS_CERT_FILE"] = dir + "/cert.pem";
  vars["MOT_TLS_KEY_FILE"] = dir + "/key.pem";
  vars["MOT_AUTH_JWT_PUBLIC_KEY_FILE"] = dir + "/jwt.pub";
  return vars;
}

// A valid environment for a service: the settings every service reads (broker, Redis,
// the gRPC and metrics addresses) and the gate's files, with the service's `own`.
inline std::map<std::string, std::string> ValidEnv(std::map<std::string, std::string> own) {
  own.insert({{"MOT_KAFKA_BROKERS", "127.0.0.1:9092"},
              {"MOT_REDIS_ADDR", "127.0.0.1:6379"},
              {"MOT_GRPC_ADDR", "0.0.0.0:50051"},
              {"MOT_METRICS_ADDR", "0.0.0.0:9464"}});
  return WithGateFiles(std::move(own));
}

// What Config::FromEnv refuses `vars` with; "" when it takes them.
template <typename Config>
std::string Refusal(std::map<std::string, std::string> vars) {
  try {
    Config::FromEnv(Env(std::move(vars)));
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "";
}

}  // namespace mot::testkit
