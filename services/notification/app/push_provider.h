#pragma once

#include <chrono>
#include <string>

#include "notification/app/curl_provider.h"

namespace mot::notification {

// An app push gateway: POST {"request_id","device_token","title","body"} with
// "Authorization: Bearer <token>"; any 2xx is taken.
class PushProvider : public CurlProvider {
 public:
  PushProvider(std::string url, std::string token, std::chrono::milliseconds timeout,
               int connections);
  std::string ContactPoint() const override { return "app_device_token"; }

 protected:
  absl::StatusOr<Request> Prepare(const OutgoingMessage& message, int64_t unix_ms) const override;

 private:
  const std::string url_, token_;
};

}  // namespace mot::notification
