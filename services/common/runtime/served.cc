#include "mot/common/served.h"

#include <stdexcept>

#include "google/protobuf/descriptor.h"
#include "google/protobuf/message_lite.h"
#include "mot/common/gate.h"

namespace mot {

grpc::Status Expired(const grpc::ServerContextBase* ctx, const std::string& method) {
  if (ctx == nullptr || const_cast<grpc::ServerContextBase*>(ctx)->c_call() == nullptr) {
    return grpc::Status::OK;
  }
  const bool late = ctx->deadline() <= std::chrono::system_clock::now();
  if (!late && !ctx->IsCancelled()) return grpc::Status::OK;
  if (Gate* gate = ProcessGate()) gate->CountLate(method, late ? "deadline" : "cancelled");
  return late
             ? grpc::Status(grpc::StatusCode::DEADLINE_EXCEEDED,
                            "the call's deadline passed before it was served; nothing was done")
             : grpc::Status(grpc::StatusCode::CANCELLED,
                            "the caller cancelled the call before it was served; nothing was done");
}

namespace {

using grpc::internal::MethodHandler;

// The inner service's handler, not owned: a synchronous method's call is answered
// without it once nobody waits for it; a callback method's is passed on as it is.
class Guarded final : public MethodHandler {
 public:
  Guarded(MethodHandler* inner, const std::string* method, bool check)
      : inner_(inner), method_(method), check_(check) {}

  void RunHandler(const HandlerParameter& param) override {
    if (check_ && param.status.ok()) {
      if (grpc::Status late = Expired(param.server_context, *method_); !late.ok()) {
        // The generated handler skips the method for a failed status and then does not
        // destroy the request it deserialized (a protobuf message, gRPC's base type).
        static_cast<google::protobuf::MessageLite*>(param.request)->~MessageLite();
        inner_->RunHandler(HandlerParameter(param.call, param.server_context, nullptr, late,
                                            param.internal_data, param.call_requester));
        return;
      }
    }
    inner_->RunHandler(param);
  }

  void* Deserialize(grpc_call* call, grpc_byte_buffer* req, grpc::Status* status,
                    void** handler_data) override {
    return inner_->Deserialize(call, req, status, handler_data);
  }

 private:
  MethodHandler* const inner_;
  const std::string* const method_;
  const bool check_;
};

}  // namespace

DeadlineGuard::DeadlineGuard(ServedMethods& inner) {
  const auto* service =
      google::protobuf::DescriptorPool::generated_pool()->FindServiceByName(inner.FullName());
  if (service == nullptr) throw std::logic_error("no service " + inner.FullName());
  for (int i = 0; i < service->method_count(); ++i) {
    const auto* method = service->method(i);
    if (method->client_streaming() || method->server_streaming()) {
      throw std::logic_error(method->full_name() + " streams; the guard serves unary calls");
    }
    names_.push_back("/" + inner.FullName() + "/" + method->name());
    const bool callback = inner.CallbackMethods().count(method->name()) > 0;
    AddMethod(new grpc::internal::RpcServiceMethod(
        names_.back().c_str(), grpc::internal::RpcMethod::NORMAL_RPC,
        new Guarded(inner.HandlerAt(i), &names_.back(), !callback)));
    if (callback) MarkMethodCallback(i, new Guarded(inner.HandlerAt(i), &names_.back(), false));
  }
}

}  // namespace mot
