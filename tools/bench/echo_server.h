#pragma once

// A benchmark's echo baseline: `service` (either gRPC server API: a Service or a
// CallbackService) on 127.0.0.1:port, in a process of its own like the service it is
// compared with, until SIGTERM or SIGINT.
#include <csignal>
#include <string>

#include "grpcpp/grpcpp.h"

namespace bench {

inline int ServeEcho(int port, grpc::Service* service) {
  grpc::ServerBuilder builder;
  builder.AddListeningPort("127.0.0.1:" + std::to_string(port), grpc::InsecureServerCredentials());
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
