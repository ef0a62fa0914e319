#pragma once

#include <atomic>
#include <memory>
#include <string>

#include "mot/common/config.h"

namespace httplib {
class Server;
}

namespace mot {

// An HTTPS server with the gate's TLS (MOT_TLS_CERT_FILE with its chain,
// MOT_TLS_KEY_FILE; with MOT_TLS_CLIENT_CA_FILE callers must show a certificate it
// signed), TLS 1.2 or later. ConfigError when the certificate or key cannot be used.
std::unique_ptr<httplib::Server> HttpsServer(const GateConfig& tls);

// Binds `server` to "host:port" (IPv6 in brackets); false when that is not an address
// or cannot be listened on.
bool BindHttp(httplib::Server& server, const std::string& addr);

// Serves on the bound port until `stop`, then finishes the requests in hand.
void ServeHttp(httplib::Server& server, const std::atomic<bool>& stop);

}  // namespace mot
