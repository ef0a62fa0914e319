#pragma once

#include <chrono>
#include <string>

#include "notification/app/curl_provider.h"

namespace mot::notification {

// A WeCom/DingTalk group robot: POSTs {"msgtype":"text","text":{"content":...}} to its
// webhook URL and reads the robot's {"errcode":...} answer. With `sign_secret` (a
// DingTalk robot's 加签 secret) each request's URL carries
// &timestamp=<ms>&sign=<base64 HMAC-SHA256 of "<timestamp>\n<secret>", URL-encoded>;
// the timestamp is the machine's real time (the robot refuses one an hour off).
// A robot takes no idempotency key: the X-Mot-Delivery-Id header lets a receiver tell
// a repeat (docs/guarantees.md, "Delivery, effects and timers").
class WebhookProvider : public CurlProvider {
 public:
  WebhookProvider(std::string url, std::chrono::milliseconds timeout, int connections,
                  std::string sign_secret = "");
  std::string ContactPoint() const override { return ""; }

 protected:
  absl::StatusOr<Request> Prepare(const OutgoingMessage& message, int64_t unix_ms) const override;
  absl::StatusOr<std::string> Accepted(long status, const std::string& body) const override;

 private:
  const std::string url_;
  const std::string sign_secret_;
};

}  // namespace mot::notification
