#pragma once

#include <stdlib.h>

#include <fstream>
#include <map>
#include <string>

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

}  // namespace mot::testkit
