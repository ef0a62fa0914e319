#include "notification/app/push_provider.h"

#include "nlohmann/json.hpp"

namespace mot::notification {

PushProvider::PushProvider(std::string url, std::string token, std::chrono::milliseconds timeout,
                           int connections)
    : CurlProvider("push", timeout, connections), url_(std::move(url)), token_(std::move(token)) {}

absl::StatusOr<CurlProvider::Request> PushProvider::Prepare(const OutgoingMessage& message,
                                                            int64_t) const {
  if (message.to.empty()) return NoContactPoint("push", ContactPoint());
  Request r;
  r.url = url_;
  r.headers = JsonHeaders(message.delivery_id);
  if (!token_.empty()) r.headers.push_back("Authorization: Bearer " + token_);
  r.body = nlohmann::json{{"request_id", message.delivery_id},
                          {"device_token", message.to},
                          {"title", message.subject},
                          {"body", message.text}}
               .dump();
  return r;
}

}  // namespace mot::notification
