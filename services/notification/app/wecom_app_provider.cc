#include "notification/app/wecom_app_provider.h"

#include <curl/curl.h>

#include <algorithm>
#include <memory>

#include "absl/strings/str_cat.h"
#include "nlohmann/json.hpp"

namespace mot::notification {

namespace {
struct CurlDeleter {
  void operator()(CURL* c) const { curl_easy_cleanup(c); }
};
}  // namespace

WeComAppProvider::WeComAppProvider(Account account, std::chrono::milliseconds timeout,
                                   int connections)
    : CurlProvider("wecom_app", timeout, connections),
      account_(std::move(account)),
      timeout_(timeout) {}

absl::Status WeComAppProvider::EnsureToken() {
  if (token_refused_) token_.clear();
  token_refused_ = false;
  if (!token_.empty() && std::chrono::steady_clock::now() < token_until_) return absl::OkStatus();
  std::unique_ptr<CURL, CurlDeleter> c(curl_easy_init());
  if (!c) return absl::UnavailableError("wecom_app: cannot create a curl handle");
  auto escape = [&](const std::string& v) {
    std::unique_ptr<char, decltype(&curl_free)> e(
        curl_easy_escape(c.get(), v.c_str(), static_cast<int>(v.size())), &curl_free);
    return std::string(e ? e.get() : "");
  };
  const std::string url =
      absl::StrCat(account_.api, "/cgi-bin/gettoken?corpid=", escape(account_.corp_id),
                   "&corpsecret=", escape(account_.secret));
  std::string body;
  curl_easy_setopt(c.get(), CURLOPT_URL, url.c_str());
  curl_easy_setopt(c.get(), CURLOPT_TIMEOUT_MS, static_cast<long>(timeout_.count()));
  curl_easy_setopt(c.get(), CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c.get(), CURLOPT_WRITEFUNCTION, CollectBody);
  curl_easy_setopt(c.get(), CURLOPT_WRITEDATA, &body);
  const CURLcode rc = curl_easy_perform(c.get());
  long status = 0;
  curl_easy_getinfo(c.get(), CURLINFO_RESPONSE_CODE, &status);
  if (rc != CURLE_OK || status != 200) {
    return absl::UnavailableError(
        absl::StrCat("wecom_app: no access token (",
                     rc != CURLE_OK ? curl_easy_strerror(rc) : absl::StrCat("HTTP ", status), ")"));
  }
  auto json = nlohmann::json::parse(body, nullptr, false);
  if (!json.is_object() || json.value("errcode", -1) != 0 || !json.contains("access_token") ||
      !json["access_token"].is_string()) {
    return absl::UnavailableError(absl::StrCat("wecom_app: no access token (errcode ",
                                               json.is_object() ? json.value("errcode", -1) : -1,
                                               ")"));
  }
  token_ = json["access_token"].get<std::string>();
  const int expires = json.value("expires_in", 7200);
  token_until_ =
      std::chrono::steady_clock::now() + std::chrono::seconds(std::max(expires - 300, 60));
  return absl::OkStatus();
}

std::vector<absl::StatusOr<std::string>> WeComAppProvider::SendAll(
    const std::vector<OutgoingMessage>& messages) {
  if (auto s = EnsureToken(); !s.ok())
    return std::vector<absl::StatusOr<std::string>>(messages.size(), s);
  return CurlProvider::SendAll(messages);
}

absl::StatusOr<CurlProvider::Request> WeComAppProvider::Prepare(const OutgoingMessage& message,
                                                                int64_t) const {
  if (message.to.empty()) return NoContactPoint("wecom_app", ContactPoint());
  Request r;
  r.url = absl::StrCat(account_.api, "/cgi-bin/message/send?access_token=", token_);
  r.headers = JsonHeaders(message.delivery_id);
  r.body = nlohmann::json{{"touser", message.to},         {"msgtype", "text"},
                          {"agentid", account_.agent_id}, {"text", {{"content", message.text}}},
                          {"enable_duplicate_check", 1},  {"duplicate_check_interval", 1800}}
               .dump();
  return r;
}

absl::StatusOr<std::string> WeComAppProvider::Accepted(long status, const std::string& body) const {
  auto json = nlohmann::json::parse(body, nullptr, false);
  if (!json.is_object() || !json.contains("errcode") || !json["errcode"].is_number()) {
    return absl::UnavailableError(absl::StrCat("wecom_app: HTTP ", status, " without an errcode"));
  }
  const int code = json["errcode"].get<int>();
  // Token invalid or expired: fetched again for the retry. API rate limit: later.
  if (code == 40014 || code == 42001 || code == 40001) {
    token_refused_ = true;
    return absl::UnavailableError(
        absl::StrCat("wecom_app: access token refused (errcode ", code, ")"));
  }
  if (code == 45009 || code == 45033 || code == -1) {
    return absl::UnavailableError(absl::StrCat("wecom_app answered errcode ", code));
  }
  if (code != 0)
    return absl::FailedPreconditionError(absl::StrCat("wecom_app refused: errcode ", code));
  if (json.contains("invaliduser") && json["invaliduser"].is_string() &&
      !json["invaliduser"].get<std::string>().empty()) {
    return absl::FailedPreconditionError("wecom_app refused: the user is not in the corp");
  }
  const std::string msgid =
      json.contains("msgid") && json["msgid"].is_string() ? json["msgid"].get<std::string>() : "";
  return absl::StrCat("wecom_app OK", msgid.empty() ? "" : " msgid " + msgid);
}

}  // namespace mot::notification
