#include "mot/common/https_server.h"

#include <httplib.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>

#include <chrono>
#include <thread>

#include "absl/strings/numbers.h"

namespace mot {
namespace {

// Every certificate of a PEM text, in order (nullptr-free; the caller owns them).
std::vector<X509*> Certificates(const std::string& pem) {
  std::vector<X509*> out;
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  while (X509* cert = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr)) out.push_back(cert);
  BIO_free(bio);
  return out;
}

bool UseTls(SSL_CTX& ctx, const GateConfig& tls) {
  SSL_CTX_set_min_proto_version(&ctx, TLS1_2_VERSION);
  auto chain = Certificates(tls.tls_cert_pem);
  if (chain.empty()) return false;
  bool ok = SSL_CTX_use_certificate(&ctx, chain[0]) == 1;
  X509_free(chain[0]);
  for (size_t i = 1; i < chain.size(); ++i) {
    // The context takes the intermediate certificates it is given.
    if (!ok || SSL_CTX_add_extra_chain_cert(&ctx, chain[i]) != 1) X509_free(chain[i]);
  }
  BIO* bio = BIO_new_mem_buf(tls.tls_key_pem.data(), static_cast<int>(tls.tls_key_pem.size()));
  EVP_PKEY* key = PEM_read_bio_PrivateKey(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  ok = ok && key != nullptr && SSL_CTX_use_PrivateKey(&ctx, key) == 1 &&
       SSL_CTX_check_private_key(&ctx) == 1;
  EVP_PKEY_free(key);
  if (!ok || tls.tls_client_ca_pem.empty()) return ok;
  X509_STORE* store = SSL_CTX_get_cert_store(&ctx);
  auto cas = Certificates(tls.tls_client_ca_pem);
  for (X509* ca : cas) {
    ok = ok && X509_STORE_add_cert(store, ca) == 1;
    X509_free(ca);
  }
  SSL_CTX_set_verify(&ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, nullptr);
  return ok && !cas.empty();
}

}  // namespace

std::unique_ptr<httplib::Server> HttpsServer(const GateConfig& tls) {
  auto server =
      std::make_unique<httplib::SSLServer>([&tls](SSL_CTX& ctx) { return UseTls(ctx, tls); });
  if (!server->is_valid()) {
    throw ConfigError(
        "MOT_TLS_CERT_FILE / MOT_TLS_KEY_FILE / MOT_TLS_CLIENT_CA_FILE: the HTTPS listener "
        "cannot use them (a PEM certificate chain, its private key, a PEM CA)");
  }
  return server;
}

bool BindHttp(httplib::Server& server, const std::string& addr) {
  const auto colon = addr.rfind(':');
  int port = 0;
  if (colon == std::string::npos || !absl::SimpleAtoi(addr.substr(colon + 1), &port)) return false;
  std::string host = addr.substr(0, colon);
  if (host.size() > 1 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  return server.bind_to_port(host, port);
}

void ServeHttp(httplib::Server& server, const std::atomic<bool>& stop) {
  std::thread serving([&server] { server.listen_after_bind(); });
  while (!stop.load()) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  server.stop();
  serving.join();
}

}  // namespace mot
