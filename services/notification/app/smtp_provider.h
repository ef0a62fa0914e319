#pragma once

#include <chrono>
#include <string>

#include "notification/app/curl_provider.h"

namespace mot::notification {

// Email over SMTP (libcurl): a UTF-8 message (RFC 2047 encoded subject, base64 body)
// from `from` to the owner's address, its Message-ID made from the delivery id so a
// repeat is recognisable. `url` is smtp://host:port (smtps:// for TLS); an optional
// login.
class EmailProvider : public CurlProvider {
 public:
  struct Account {
    std::string url, from, user, password;
  };
  EmailProvider(Account account, std::chrono::milliseconds timeout, int connections);
  std::string ContactPoint() const override { return "email"; }

 protected:
  absl::StatusOr<Request> Prepare(const OutgoingMessage& message, int64_t unix_ms) const override;
  absl::StatusOr<std::string> Interpret(int curl_code, long status,
                                        const std::string& body) const override;

 private:
  const Account account_;
};

}  // namespace mot::notification
