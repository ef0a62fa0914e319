#pragma once

// A benchmark's echo baseline: `service` (either gRPC server API: a Service or a
// CallbackService) on 127.0.0.1:port, in a process of its own like the service it is
// compared with, until SIGTERM or SIGINT. It speaks the same mutual TLS as the mesh's
// services (their certificate from the mesh's pki directory, client certificates
// required), so the baseline pays the same transport; it checks no token.
#include <csignal>
#include <fstream>
#include <sstream>
#include <string>

#include "grpcpp/grpcpp.h"

namespace bench {

inline int ServeEcho(int port, grpc::Service* service, const std::string& pki) {
  const auto read = [&pki](const std::string& name) {
    std::ifstream in(pki + "/" + name);
    std::stringstream buf;
    buf << in.rdbuf();
    return buf.str();
  };
  grpc::SslServerCredentialsOptions tls(GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY);
  tls.pem_root_certs = read("ca.pem");
  tls.pem_key_cert_pairs.push_back({read("server.key"), read("server.pem")});
  grpc::ServerBuilder builder;
  builder.AddListeningPort("127.0.0.1:" + std::to_string(port), grpc::SslServerCredentials(tls));
  builder.RegisterService(service);
  auto server = builder.BuildAndStart();
  if (!server) return 1;
  sigset_t stop;
  sigemptyset(&stop);
  sigaddset(&stop, SIGTERM);
  sigaddset(&stop, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop, nullptr);
  int sig = 0;
  sigwait(&stop, &sig);
  server->Shutdown();
  return 0;
}

}  // namespace bench
