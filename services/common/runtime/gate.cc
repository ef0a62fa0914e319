#include "mot/common/gate.h"

#include <jwt.h>

#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "google/protobuf/descriptor.h"
#include "prometheus/counter.h"
#include "prometheus/family.h"
#include "prometheus/registry.h"

namespace mot {
namespace {

constexpr size_t kMaxTokenBytes = 8192;
constexpr size_t kMaxCachedTokens = 10000;
constexpr size_t kMaxCallers = 100000;

struct JwtFree {
  void operator()(jwt_t* j) const { jwt_free(j); }
};
using JwtPtr = std::unique_ptr<jwt_t, JwtFree>;

bool Open(const std::string& method) {
  return method.rfind("/grpc.health.v1.Health/", 0) == 0 ||
         method.rfind("/grpc.reflection.", 0) == 0;
}

// "/mot.ticketing.v1.TicketingService/GetTicket" -> "TicketingService/GetTicket".
std::string ShortMethod(const std::string& method) {
  auto slash = method.rfind('/');
  if (slash == std::string::npos || slash == 0) return method;
  auto dot = method.rfind('.', slash);
  return method.substr(dot == std::string::npos ? 1 : dot + 1);
}

}  // namespace

std::string ScopeName(Scope scope) {
  switch (scope) {
    case Scope::kPublisher:
      return "publisher";
    case Scope::kAgent:
      return "agent";
    case Scope::kManager:
      return "manager";
    case Scope::kReader:
      return "reader";
  }
  return "";
}

absl::StatusOr<Scope> ParseScope(std::string_view name) {
  for (Scope s : {Scope::kPublisher, Scope::kAgent, Scope::kManager, Scope::kReader}) {
    if (name == ScopeName(s)) return s;
  }
  return absl::InvalidArgumentError("unknown scope; expected publisher, agent, manager or reader");
}

TokenVerifier::TokenVerifier(std::string public_key_pem, std::string issuer,
                             std::chrono::milliseconds leeway)
    : key_(std::move(public_key_pem)), issuer_(std::move(issuer)), leeway_(leeway) {}

absl::StatusOr<Claims> TokenVerifier::Verify(const std::string& token,
                                             std::chrono::system_clock::time_point now) const {
  if (token.size() > kMaxTokenBytes) return absl::UnauthenticatedError("token too long");
  jwt_t* raw = nullptr;
  if (jwt_decode(&raw, token.c_str(), reinterpret_cast<const unsigned char*>(key_.data()),
                 static_cast<int>(key_.size())) != 0 ||
      raw == nullptr) {
    if (raw) jwt_free(raw);
    return absl::UnauthenticatedError("token is malformed or its signature does not verify");
  }
  JwtPtr jwt(raw);
  if (jwt_get_alg(jwt.get()) != JWT_ALG_ES256) {
    return absl::UnauthenticatedError("token is not signed with ES256");
  }
  const char* iss = jwt_get_grant(jwt.get(), "iss");
  if (iss == nullptr || issuer_ != iss) {
    return absl::UnauthenticatedError(absl::StrCat("token issuer is not ", issuer_));
  }
  errno = 0;
  const long exp = jwt_get_grant_int(jwt.get(), "exp");
  if (errno != 0) return absl::UnauthenticatedError("token has no expiry (exp)");
  const auto expires = std::chrono::system_clock::time_point(std::chrono::seconds(exp));
  if (now > expires + leeway_) return absl::UnauthenticatedError("token expired");
  errno = 0;
  const long nbf = jwt_get_grant_int(jwt.get(), "nbf");
  if (errno == 0 &&
      now + leeway_ < std::chrono::system_clock::time_point(std::chrono::seconds(nbf))) {
    return absl::UnauthenticatedError("token not valid yet (nbf)");
  }
  const char* sub = jwt_get_grant(jwt.get(), "sub");
  if (sub == nullptr || *sub == '\0')
    return absl::UnauthenticatedError("token has no subject (sub)");
  Claims claims;
  claims.subject = sub;
  claims.expires = expires;
  const char* scope = jwt_get_grant(jwt.get(), "scope");
  for (absl::string_view name : absl::StrSplit(scope ? scope : "", ' ', absl::SkipEmpty())) {
    auto s = ParseScope(std::string_view(name.data(), name.size()));
    if (!s.ok())
      return absl::UnauthenticatedError("token scope " + std::string(s.status().message()));
    claims.scopes.insert(*s);
  }
  return claims;
}

absl::StatusOr<std::string> IssueToken(const std::string& private_key_pem,
                                       const std::string& issuer, const std::string& subject,
                                       const std::set<Scope>& scopes,
                                       std::chrono::system_clock::time_point expires) {
  if (subject.empty()) return absl::InvalidArgumentError("subject is required");
  jwt_t* raw = nullptr;
  if (jwt_new(&raw) != 0) return absl::InternalError("jwt_new failed");
  JwtPtr jwt(raw);
  std::vector<std::string> names;
  for (Scope s : scopes) names.push_back(ScopeName(s));
  const auto seconds = [](std::chrono::system_clock::time_point t) {
    return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
  };
  if (jwt_add_grant(jwt.get(), "iss", issuer.c_str()) != 0 ||
      jwt_add_grant(jwt.get(), "sub", subject.c_str()) != 0 ||
      jwt_add_grant(jwt.get(), "scope", absl::StrJoin(names, " ").c_str()) != 0 ||
      jwt_add_grant_int(jwt.get(), "iat", seconds(std::chrono::system_clock::now())) != 0 ||
      jwt_add_grant_int(jwt.get(), "exp", seconds(expires)) != 0) {
    return absl::InternalError("cannot add the token's claims");
  }
  if (jwt_set_alg(jwt.get(), JWT_ALG_ES256,
                  reinterpret_cast<const unsigned char*>(private_key_pem.data()),
                  static_cast<int>(private_key_pem.size())) != 0) {
    return absl::InvalidArgumentError("the signing key is not an ES256 (P-256) private key in PEM");
  }
  char* out = jwt_encode_str(jwt.get());
  if (out == nullptr) {
    return absl::InvalidArgumentError(
        "cannot sign: the signing key is not an ES256 (P-256) private key");
  }
  std::string token(out);
  free(out);
  return token;
}

class Gate::Processor : public grpc::AuthMetadataProcessor {
 public:
  explicit Processor(Gate& gate) : gate_(gate) {}
  bool IsBlocking() const override { return false; }
  grpc::Status Process(const InputMetadata& metadata, grpc::AuthContext*, OutputMetadata*,
                       OutputMetadata*) override {
    std::string method;
    std::string authorization;
    for (const auto& [key, value] : metadata) {
      if (key == ":path") method.assign(value.data(), value.size());
      if (key == "authorization") authorization.assign(value.data(), value.size());
    }
    // Nothing is written to the AuthContext: adding properties there while the
    // connection's other calls read it crashed gRPC under load (an assertion in
    // security_context.cc). Handlers find the caller from the token instead (CallerOf).
    Claims caller;
    return gate_.Admit(method, authorization, &caller);
  }

 private:
  Gate& gate_;
};

namespace {
std::atomic<Gate*> current_gate{nullptr};
}  // namespace

Gate::Gate(GateConfig config, AccessPolicy policy, prometheus::Registry* registry)
    : config_(std::move(config)),
      policy_(std::move(policy)),
      verifier_(config_.jwt_public_key_pem, config_.jwt_issuer, config_.jwt_leeway) {
  current_gate.store(this);
  if (registry != nullptr) {
    refusals_ = &prometheus::BuildCounter()
                     .Name("mot_grpc_refusals_total")
                     .Help(
                         "Calls refused, by method and reason: at the door (unauthenticated, "
                         "permission_denied, rate_limited), or by their handler because nobody "
                         "waits for them (deadline, cancelled).")
                     .Register(*registry);
    // Every series made now, none on a call's path: each method of the policy and
    // "other" (a name the policy does not know), by every reason.
    std::set<std::string> labels = {"other"};
    for (const auto& [full, scope] : policy_) labels.insert(ShortMethod(full));
    for (const auto& label : labels) {
      for (const char* reason :
           {"unauthenticated", "permission_denied", "rate_limited", "deadline", "cancelled"}) {
        refused_[{label, reason}] = &refusals_->Add({{"method", label}, {"reason", reason}});
      }
    }
  }
}

void Gate::Count(const std::string& label, const std::string& reason) {
  if (auto it = refused_.find({label, reason}); it != refused_.end()) it->second->Increment();
}

Gate::~Gate() {
  Gate* self = this;
  current_gate.compare_exchange_strong(self, nullptr);
}

std::optional<Claims> Gate::CallerOfToken(const std::string& authorization) {
  constexpr std::string_view kBearer = "Bearer ";
  if (authorization.compare(0, kBearer.size(), kBearer) != 0) return std::nullopt;
  auto claims = Verified(authorization.substr(kBearer.size()));
  if (!claims.ok()) return std::nullopt;
  return *claims;
}

std::shared_ptr<grpc::ServerCredentials> Gate::Credentials() {
  grpc::SslServerCredentialsOptions options(
      config_.tls_client_ca_pem.empty()
          ? GRPC_SSL_DONT_REQUEST_CLIENT_CERTIFICATE
          : GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY);
  options.pem_root_certs = config_.tls_client_ca_pem;
  options.pem_key_cert_pairs.push_back({config_.tls_key_pem, config_.tls_cert_pem});
  auto credentials = grpc::SslServerCredentials(options);
  credentials->SetAuthMetadataProcessor(std::make_shared<Processor>(*this));
  return credentials;
}

absl::StatusOr<Claims> Gate::Verified(const std::string& token) {
  const auto now = std::chrono::system_clock::now();
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (auto it = verified_.find(token); it != verified_.end()) {
      if (now <= it->second.expires + config_.jwt_leeway) return it->second;
      verified_.erase(it);
    }
  }
  auto claims = verifier_.Verify(token, now);
  if (claims.ok()) {
    std::lock_guard<std::mutex> lock(mu_);
    if (verified_.size() >= kMaxCachedTokens) verified_.clear();
    verified_.emplace(token, *claims);
  }
  return claims;
}

grpc::Status Gate::Refuse(const std::string& method, grpc::StatusCode code,
                          const std::string& reason, const std::string& message) {
  Count(policy_.count(method) ? ShortMethod(method) : "other", reason);
  return grpc::Status(code, message);
}

Gate* ProcessGate() { return current_gate.load(); }

void Gate::CountLate(const std::string& method, const std::string& reason) {
  std::string label = policy_.count(method) ? ShortMethod(method) : "other";
  for (const auto& [full, scope] : policy_) {
    if (full.size() > method.size() &&
        full.compare(full.size() - method.size(), method.size(), method) == 0 &&
        full[full.size() - method.size() - 1] == '/') {
      label = ShortMethod(full);
    }
  }
  Count(label, reason);
}

grpc::Status Gate::Admit(const std::string& method, const std::string& authorization,
                         Claims* caller) {
  if (Open(method)) return grpc::Status::OK;
  constexpr std::string_view kBearer = "Bearer ";
  if (authorization.empty()) {
    return Refuse(method, grpc::StatusCode::UNAUTHENTICATED, "unauthenticated",
                  "no token: send `authorization: Bearer <token>`");
  }
  if (authorization.size() <= kBearer.size() ||
      authorization.compare(0, kBearer.size(), kBearer) != 0) {
    return Refuse(method, grpc::StatusCode::UNAUTHENTICATED, "unauthenticated",
                  "the authorization metadata is not `Bearer <token>`");
  }
  auto claims = Verified(authorization.substr(kBearer.size()));
  if (!claims.ok()) {
    return Refuse(method, grpc::StatusCode::UNAUTHENTICATED, "unauthenticated",
                  std::string(claims.status().message()));
  }
  auto needed = policy_.find(method);
  if (needed == policy_.end()) {
    return Refuse(method, grpc::StatusCode::PERMISSION_DENIED, "permission_denied",
                  "no scope grants this method");
  }
  if (!claims->scopes.count(needed->second)) {
    return Refuse(method, grpc::StatusCode::PERMISSION_DENIED, "permission_denied",
                  absl::StrCat(ShortMethod(method), " needs the scope '", ScopeName(needed->second),
                               "', which the token does not carry"));
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (buckets_.size() >= kMaxCallers) buckets_.clear();
    auto it =
        buckets_.try_emplace(claims->subject, config_.caller_rate, config_.caller_burst).first;
    if (it->second.Take(1, TokenBucket::Steady::now()) == 0) {
      return Refuse(method, grpc::StatusCode::RESOURCE_EXHAUSTED, "rate_limited",
                    absl::StrCat("over the caller's rate of ", config_.caller_rate,
                                 " calls a second; retry later"));
    }
  }
  *caller = *claims;
  return grpc::Status::OK;
}

AccessPolicy PolicyOf(const std::string& service_full_name,
                      const std::map<std::string, Scope>& scopes) {
  const auto* service =
      google::protobuf::DescriptorPool::generated_pool()->FindServiceByName(service_full_name);
  if (service == nullptr) throw std::logic_error("no service " + service_full_name);
  AccessPolicy policy;
  for (int i = 0; i < service->method_count(); ++i) {
    const std::string& name = service->method(i)->name();
    auto it = scopes.find(name);
    if (it == scopes.end())
      throw std::logic_error(service_full_name + "/" + name + " has no scope");
    policy["/" + service_full_name + "/" + name] = it->second;
  }
  if (policy.size() != scopes.size()) {
    throw std::logic_error("a scope names no method of " + service_full_name);
  }
  return policy;
}

namespace {
// The claims of the token a call came with, as the gate admitted it; nullopt for a
// call without the gate or without a call at all (unit tests call handlers directly).
std::optional<Claims> ClaimsOf(const grpc::ServerContextBase* ctx) {
  Gate* gate = current_gate.load();
  if (gate == nullptr || ctx == nullptr ||
      const_cast<grpc::ServerContextBase*>(ctx)->c_call() == nullptr) {
    return std::nullopt;
  }
  const auto& metadata = ctx->client_metadata();
  auto it = metadata.find("authorization");
  if (it == metadata.end()) return std::nullopt;
  return gate->CallerOfToken(std::string(it->second.data(), it->second.size()));
}
}  // namespace

bool CallerHas(const grpc::ServerContextBase* ctx, Scope scope) {
  auto claims = ClaimsOf(ctx);
  return claims && claims->scopes.count(scope) > 0;
}

std::string CallerOf(const grpc::ServerContextBase* ctx) {
  auto claims = ClaimsOf(ctx);
  return claims ? claims->subject : "";
}

std::shared_ptr<grpc::Channel> SecureChannel(const std::string& target,
                                             const ClientSecurity& security) {
  grpc::SslCredentialsOptions options;
  options.pem_root_certs = security.ca_pem;
  options.pem_cert_chain = security.cert_pem;
  options.pem_private_key = security.key_pem;
  std::shared_ptr<grpc::ChannelCredentials> credentials = grpc::SslCredentials(options);
  if (!security.token.empty()) {
    credentials = grpc::CompositeChannelCredentials(credentials,
                                                    grpc::AccessTokenCredentials(security.token));
  }
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(-1);
  if (!security.server_name.empty()) args.SetSslTargetNameOverride(security.server_name);
  return grpc::CreateCustomChannel(target, credentials, args);
}

ClientSecurity ClientSecurityOf(const std::map<std::string, std::string>& vars,
                                const std::string& token) {
  const auto read = [&vars](const std::string& key) {
    auto it = vars.find(key);
    if (it == vars.end()) return std::string();
    std::ifstream in(it->second);
    std::stringstream buf;
    buf << in.rdbuf();
    return buf.str();
  };
  return {read("MOT_TLS_CA_FILE"), read("MOT_TLS_CLIENT_CERT_FILE"),
          read("MOT_TLS_CLIENT_KEY_FILE"), token};
}

}  // namespace mot
