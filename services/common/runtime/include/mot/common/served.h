#pragma once

#include <deque>
#include <set>
#include <string>
#include <vector>

#include "grpcpp/grpcpp.h"
#include "grpcpp/impl/rpc_service_method.h"
#include "grpcpp/impl/service_type.h"

namespace mot {

// What the deadline guard needs of a service: its full name and its methods' handlers,
// in the proto's order (the order gRPC's generated constructor adds them in).
class ServedMethods {
 public:
  virtual ~ServedMethods() = default;
  virtual std::string FullName() const = 0;
  virtual grpc::internal::MethodHandler* HandlerAt(int index) = 0;
  // The methods served by the callback API (their handler is a reactor, not a thread).
  virtual const std::set<std::string>& CallbackMethods() const = 0;
};

// The base of each service's gRPC class: the generated service (or a generated
// `WithCallbackMethod_...` over it) that `Runtime::Serve` can put behind the guard.
//   class TicketingService final : public Served<v1::TicketingService, WithCallback...> {
//     TicketingService() : Served({"CreateTicket"}) {}
template <class Rpc, class Base = typename Rpc::Service>
class Served : public Base, public ServedMethods {
 public:
  explicit Served(std::set<std::string> callback_methods = {})
      : callback_methods_(std::move(callback_methods)) {}
  std::string FullName() const override { return Rpc::service_full_name(); }
  grpc::internal::MethodHandler* HandlerAt(int index) override { return this->GetHandler(index); }
  const std::set<std::string>& CallbackMethods() const override { return callback_methods_; }

 private:
  const std::set<std::string> callback_methods_;
};

// A call nobody waits for any more does no work and changes nothing: every synchronous
// method of `inner` is served through a handler that, once the call has a thread (it
// may have waited for one, or arrived late), answers DEADLINE_EXCEEDED when its
// deadline has passed and CANCELLED when its caller went away, without running the
// method; counted in mot_grpc_refusals_total{method, reason="deadline"|"cancelled"}.
// Registered in place of `inner` (same names, same handlers otherwise), which must
// outlive it. gRPC's server interceptors cannot answer a call in place of its handler,
// hence a service in front. A callback method (a reactor) checks with `Expired` itself.
class DeadlineGuard final : public grpc::Service {
 public:
  explicit DeadlineGuard(ServedMethods& inner);

 private:
  std::deque<std::string> names_;  // RpcServiceMethod keeps the name's pointer
};

// A reactor's first check (what the guard does for the synchronous methods):
// DEADLINE_EXCEEDED when the call's deadline has passed, CANCELLED when its caller went
// away, counted as above; OK without a call. `method` is the RPC's name ("CreateTicket")
// or its full name ("/mot.ticketing.v1.TicketingService/CreateTicket").
grpc::Status Expired(const grpc::ServerContextBase* ctx, const std::string& method);

}  // namespace mot
