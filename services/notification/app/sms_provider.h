#pragma once

#include <chrono>
#include <string>

#include "notification/app/curl_provider.h"

namespace mot::notification {

// An SMS gateway's HTTP JSON API (docs/providers.md): POST
// {"request_id","phone_number","sign_name","template_code","template_param"} with the
// headers X-Sms-Access-Key, X-Sms-Timestamp (ms) and X-Sms-Signature: base64
// HMAC-SHA256 under the access secret of "POST\n<path>\n<timestamp>\n<hex SHA-256 of
// the body>". The request id is the delivery id: the gateway sends a request id once.
// Answers {"code":"OK","biz_id":...}; another code is a refusal.
class SmsProvider : public CurlProvider {
 public:
  struct Account {
    std::string url, access_key, secret, sign_name;
  };
  SmsProvider(Account account, std::chrono::milliseconds timeout, int connections);
  std::string ContactPoint() const override { return "mobile"; }

 protected:
  absl::StatusOr<Request> Prepare(const OutgoingMessage& message, int64_t unix_ms) const override;
  absl::StatusOr<std::string> Accepted(long status, const std::string& body) const override;

 private:
  const Account account_;
  std::string path_;  // the URL's path, signed
};

}  // namespace mot::notification
