#include "notification/app/sms_provider.h"

#include "absl/strings/str_cat.h"
#include "nlohmann/json.hpp"

namespace mot::notification {

SmsProvider::SmsProvider(Account account, std::chrono::milliseconds timeout, int connections)
    : CurlProvider("sms", timeout, connections),
      account_(std::move(account)),
      path_(PathOf(account_.url)) {}

absl::StatusOr<CurlProvider::Request> SmsProvider::Prepare(const OutgoingMessage& message,
                                                           int64_t unix_ms) const {
  if (message.to.empty()) return NoContactPoint("sms", ContactPoint());
  Request r;
  r.url = account_.url;
  nlohmann::json params = nlohmann::json::object();
  for (const auto& [k, v] : message.variables) params[k] = v;
  r.body = nlohmann::json{
      {"request_id", message.delivery_id},
      {"phone_number", message.to},
      {"sign_name", account_.sign_name},
      {"template_code", message.sms_code},
      {"template_param",
       params}}.dump();
  const std::string stamp = std::to_string(unix_ms);
  r.headers = JsonHeaders(message.delivery_id);
  r.headers.push_back("X-Sms-Access-Key: " + account_.access_key);
  r.headers.push_back("X-Sms-Timestamp: " + stamp);
  r.headers.push_back("X-Sms-Signature: " +
                      HmacSha256Base64(account_.secret, absl::StrCat("POST\n", path_, "\n", stamp,
                                                                     "\n", Sha256Hex(r.body))));
  return r;
}

absl::StatusOr<std::string> SmsProvider::Accepted(long status, const std::string& body) const {
  auto json = nlohmann::json::parse(body, nullptr, false);
  if (!json.is_object() || !json.contains("code") || !json["code"].is_string()) {
    return absl::UnavailableError(absl::StrCat("sms: HTTP ", status, " without a code"));
  }
  const std::string code = json["code"].get<std::string>();
  if (code != "OK") {
    // Throttling is for now; anything else (a bad template, signature ...) for good.
    if (code.find("LIMIT") != std::string::npos || code.find("Throttl") != std::string::npos) {
      return absl::UnavailableError("sms answered " + code);
    }
    return absl::FailedPreconditionError("sms refused: " + code);
  }
  std::string biz = json.contains("biz_id") && json["biz_id"].is_string()
                        ? json["biz_id"].get<std::string>()
                        : "";
  return absl::StrCat("sms OK", biz.empty() ? "" : " biz_id " + biz);
}

}  // namespace mot::notification
