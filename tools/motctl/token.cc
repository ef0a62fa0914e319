// motctl token issue: a bearer token for the services' gRPC APIs, signed with the
// issuer's ES256 private key (the local mesh's, or the one whose public key the
// chart's Secret holds).
#include "client.h"
#include "mot/common/config.h"
#include "mot/common/gate.h"

namespace motctl {

void AddToken(CLI::App& app, Client& client) {
  auto* token = app.add_subcommand("token", "bearer tokens for the gRPC APIs");
  token->require_subcommand(1);
  auto* issue = token->add_subcommand("issue", "print a signed token");
  struct Options {
    std::string key_file, subject, ttl = "8h", issuer = "motmesh";
    std::vector<std::string> scopes;
  };
  auto o = std::make_shared<Options>();
  issue->add_option("--signing-key", o->key_file,
                    "ES256 private key (PEM); default MOT_AUTH_JWT_SIGNING_KEY_FILE");
  issue->add_option("--subject", o->subject, "who the token is for (recorded in histories)")
      ->required();
  issue
      ->add_option("--scope", o->scopes, "publisher, agent, manager or reader (repeat for several)")
      ->required();
  issue->add_option("--ttl", o->ttl, "how long it is valid, e.g. 8h, 30d")->capture_default_str();
  issue->add_option("--issuer", o->issuer, "the iss claim the services expect")
      ->capture_default_str();
  issue->callback([&client, o] {
    if (!o->key_file.empty()) client.flags["MOT_AUTH_JWT_SIGNING_KEY_FILE"] = o->key_file;
    const std::string key = client.FileOf("MOT_AUTH_JWT_SIGNING_KEY_FILE");
    if (key.empty())
      throw std::runtime_error("--signing-key (or MOT_AUTH_JWT_SIGNING_KEY_FILE) is required");
    std::set<mot::Scope> scopes;
    for (const auto& name : o->scopes) {
      auto s = mot::ParseScope(name);
      if (!s.ok())
        throw std::runtime_error("--scope " + name + ": " + std::string(s.status().message()));
      scopes.insert(*s);
    }
    auto ttl = mot::ParseDuration(o->ttl);
    if (!ttl.ok()) throw std::runtime_error("--ttl: " + std::string(ttl.status().message()));
    auto signed_token = mot::IssueToken(key, o->issuer, o->subject, scopes,
                                        std::chrono::system_clock::now() + *ttl);
    if (!signed_token.ok()) throw std::runtime_error(std::string(signed_token.status().message()));
    std::cout << *signed_token << "\n";
  });
}

}  // namespace motctl
