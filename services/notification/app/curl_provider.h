#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "notification/app/provider.h"

namespace mot::notification {

// What every provider here shares: a libcurl multi handle whose connection cache
// keeps connections between batches, a batch's requests in flight together over up
// to `connections` of them, and a timeout per request (a request past it is
// Unavailable: tried again later).
class CurlProvider : public Provider {
 public:
  // `name` ("webhook", "sms" ...) starts every error it returns.
  CurlProvider(std::string name, std::chrono::milliseconds timeout, int connections);
  ~CurlProvider() override;
  absl::StatusOr<std::string> Send(const OutgoingMessage& message) override;
  std::vector<absl::StatusOr<std::string>> SendAll(
      const std::vector<OutgoingMessage>& messages) override;

  // One request, as a provider builds it.
  struct Request {
    std::string url;
    std::vector<std::string> headers;
    std::string body;       // an HTTP POST's body, or an email's whole message
    std::string mail_from;  // email: the envelope sender
    std::string mail_to;    // email: the one recipient
  };

 protected:
  // The request for `message`, made at `unix_ms` (real time, for signatures); an error
  // (e.g. FailedPrecondition: no contact point) is that message's result.
  virtual absl::StatusOr<Request> Prepare(const OutgoingMessage& message,
                                          int64_t unix_ms) const = 0;
  // The provider's answer (libcurl's result, the protocol's status code, the body): OK
  // with a short non-personal description, Unavailable (no answer in time, 429, 5xx:
  // worth a retry) or FailedPrecondition (refused for good). Here: HTTP's verdict,
  // then Accepted's.
  virtual absl::StatusOr<std::string> Interpret(int curl_code, long status,
                                                const std::string& body) const;
  // What an HTTP 2xx answer's body says, for APIs that answer 200 and say no inside.
  virtual absl::StatusOr<std::string> Accepted(long status, const std::string& body) const;
  const std::string& Name() const { return name_; }
  // Login for SMTP, set before the first batch.
  std::string user_, password_;

 private:
  const std::string name_;
  const std::chrono::milliseconds timeout_;
  void* multi_;  // CURLM
};

// What the providers' requests share.
// libcurl's write callback: appends the answer's bytes to the std::string `out`.
size_t CollectBody(char* data, size_t size, size_t n, void* out);
// A JSON POST's headers.
std::vector<std::string> JsonHeaders(const std::string& delivery_id);
// The path of an http(s) URL ("/" when it has none), query excluded.
std::string PathOf(const std::string& url);
// Base64 of HMAC-SHA256(key, data); hex SHA-256 of data (request signatures).
std::string HmacSha256Base64(const std::string& key, const std::string& data);
std::string Sha256Hex(const std::string& data);

}  // namespace mot::notification
