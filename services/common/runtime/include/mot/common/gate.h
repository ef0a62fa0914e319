#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "grpcpp/grpcpp.h"
#include "grpcpp/security/auth_metadata_processor.h"
#include "mot/common/config.h"
#include "mot/common/token_bucket.h"

namespace prometheus {
class Registry;
template <typename T>
class Family;
class Counter;
}  // namespace prometheus

namespace mot {

// What a caller may do. A token carries one or more; each RPC needs one.
enum class Scope { kPublisher, kAgent, kManager, kReader };
std::string ScopeName(Scope scope);
absl::StatusOr<Scope> ParseScope(std::string_view name);

// Who may call what: the full method name ("/mot.ticketing.v1.TicketingService/GetTicket")
// -> the scope it needs. A method not listed is refused to everyone (health checks and
// reflection stay open for probes and tools).
using AccessPolicy = std::map<std::string, Scope>;

// The policy of one service from its methods' names -> scopes; throws std::logic_error
// when a method of the service has no scope or a name is not one of its methods, so a
// new RPC cannot start unguarded.
AccessPolicy PolicyOf(const std::string& service_full_name,
                      const std::map<std::string, Scope>& scopes);

// The claims of a verified token.
struct Claims {
  std::string subject;
  std::set<Scope> scopes;
  std::chrono::system_clock::time_point expires;
};

// Verifies ES256 tokens: signature, algorithm, issuer, expiry (with leeway), a subject
// and known scopes. Errors say what is wrong with the token, never its content.
class TokenVerifier {
 public:
  TokenVerifier(std::string public_key_pem, std::string issuer, std::chrono::milliseconds leeway);
  absl::StatusOr<Claims> Verify(const std::string& token,
                                std::chrono::system_clock::time_point now) const;

 private:
  std::string key_;
  std::string issuer_;
  std::chrono::milliseconds leeway_;
};

// Signs an ES256 token (motctl token issue, the local mesh, tests).
absl::StatusOr<std::string> IssueToken(const std::string& private_key_pem,
                                       const std::string& issuer, const std::string& subject,
                                       const std::set<Scope>& scopes,
                                       std::chrono::system_clock::time_point expires);

// Every call's door: TLS (optionally mutual), then the bearer token in `authorization`
// (UNAUTHENTICATED when missing or bad), the scope the method needs (PERMISSION_DENIED),
// and the caller's rate (RESOURCE_EXHAUSTED). Handlers read the caller from the call's
// token (CallerOf, CallerHas: the process's one gate verified it and keeps it cached).
class Gate {
 public:
  Gate(GateConfig config, AccessPolicy policy, prometheus::Registry* registry);
  ~Gate();
  std::shared_ptr<grpc::ServerCredentials> Credentials();
  int max_message_bytes() const { return config_.max_message_bytes; }

  // The decision for one call (what the processor does; public for tests).
  grpc::Status Admit(const std::string& method, const std::string& authorization, Claims* caller);
  // The claims of an `authorization: Bearer <token>` the gate admits (cached).
  std::optional<Claims> CallerOfToken(const std::string& authorization);
  // Counts a call refused because nobody waits for it any more (reason "deadline" or
  // "cancelled"); `method` is the RPC's full name or its name, e.g. "GetTicket".
  void CountLate(const std::string& method, const std::string& reason);

 private:
  class Processor;
  absl::StatusOr<Claims> Verified(const std::string& token);
  grpc::Status Refuse(const std::string& method, grpc::StatusCode code, const std::string& reason,
                      const std::string& message);

  const GateConfig config_;
  const AccessPolicy policy_;
  TokenVerifier verifier_;
  std::mutex mu_;
  std::map<std::string, Claims> verified_;      // token -> claims, bounded
  std::map<std::string, TokenBucket> buckets_;  // subject -> rate
  void Count(const std::string& label, const std::string& reason);
  prometheus::Family<prometheus::Counter>* refusals_ = nullptr;
  // (method label, reason) -> its series, all made at start.
  std::map<std::pair<std::string, std::string>, prometheus::Counter*> refused_;
};

// The process's gate, once one is made (nullptr before).
Gate* ProcessGate();

// The authenticated caller of a call ("" when the call came without the gate, or
// without a call at all: unit tests call handlers directly, with no context).
std::string CallerOf(const grpc::ServerContextBase* ctx);

// Whether the call's token carries `scope` (false without the gate).
bool CallerHas(const grpc::ServerContextBase* ctx, Scope scope);

// A client's side: TLS (CA, optional client cert and key) and a bearer token on every call.
struct ClientSecurity {
  std::string ca_pem;
  std::string cert_pem;  // with key_pem: mutual TLS
  std::string key_pem;
  std::string token;
  // The name the server's certificate must carry when it is not the host dialled
  // (through a port-forward); empty: the host dialled.
  std::string server_name;
};
std::shared_ptr<grpc::Channel> SecureChannel(const std::string& target,
                                             const ClientSecurity& security);
// The files a mesh env file names (MOT_TLS_CA_FILE, MOT_TLS_CLIENT_CERT_FILE,
// MOT_TLS_CLIENT_KEY_FILE) read, with `token`.
ClientSecurity ClientSecurityOf(const std::map<std::string, std::string>& vars,
                                const std::string& token);

}  // namespace mot
