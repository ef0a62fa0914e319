#include "notification/app/webhook_provider.h"

#include <curl/curl.h>

#include <memory>

#include "absl/strings/str_cat.h"
#include "nlohmann/json.hpp"

namespace mot::notification {

WebhookProvider::WebhookProvider(std::string url, std::chrono::milliseconds timeout,
                                 int connections, std::string sign_secret)
    : CurlProvider("webhook", timeout, connections),
      url_(std::move(url)),
      sign_secret_(std::move(sign_secret)) {}

absl::StatusOr<CurlProvider::Request> WebhookProvider::Prepare(const OutgoingMessage& message,
                                                               int64_t unix_ms) const {
  Request r;
  r.url = url_;
  if (!sign_secret_.empty()) {
    const std::string stamp = std::to_string(unix_ms);
    const std::string sign = HmacSha256Base64(sign_secret_, stamp + "\n" + sign_secret_);
    std::unique_ptr<char, decltype(&curl_free)> escaped(
        curl_easy_escape(nullptr, sign.c_str(), static_cast<int>(sign.size())), &curl_free);
    r.url = absl::StrCat(url_, url_.find('?') == std::string::npos ? "?" : "&", "timestamp=", stamp,
                         "&sign=", escaped ? escaped.get() : "");
  }
  r.headers = JsonHeaders(message.delivery_id);
  r.body = nlohmann::json{{"msgtype", "text"}, {"text", {{"content", message.text}}}}.dump();
  return r;
}

absl::StatusOr<std::string> WebhookProvider::Accepted(long status, const std::string& body) const {
  // Robots answer 200 with {"errcode":N,"errmsg":"..."}; N != 0 is a refusal.
  auto json = nlohmann::json::parse(body, nullptr, false);
  if (json.is_object() && json.contains("errcode") && json["errcode"].is_number() &&
      json["errcode"].get<int>() != 0) {
    return absl::FailedPreconditionError(
        absl::StrCat("webhook refused: HTTP ", status, " errcode ", json["errcode"].get<int>()));
  }
  return CurlProvider::Accepted(status, body);
}

}  // namespace mot::notification
