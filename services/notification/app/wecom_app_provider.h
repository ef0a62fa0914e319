#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "notification/app/curl_provider.h"

namespace mot::notification {

// WeCom application messages (企业微信应用消息) to the owner's WeCom user id: an access
// token from {api}/cgi-bin/gettoken?corpid=&corpsecret= (kept until shortly before it
// expires, fetched again when WeCom says it is invalid), then POST
// {api}/cgi-bin/message/send?access_token=... with {"touser","msgtype":"text","agentid",
// "text":{"content"},"enable_duplicate_check":1,"duplicate_check_interval":1800}: WeCom
// itself drops the same text to the same user within half an hour.
class WeComAppProvider : public CurlProvider {
 public:
  struct Account {
    std::string api, corp_id, secret;
    int agent_id = 0;
  };
  WeComAppProvider(Account account, std::chrono::milliseconds timeout, int connections);
  std::string ContactPoint() const override { return "wecom_user_id"; }
  std::vector<absl::StatusOr<std::string>> SendAll(
      const std::vector<OutgoingMessage>& messages) override;

 protected:
  absl::StatusOr<Request> Prepare(const OutgoingMessage& message, int64_t unix_ms) const override;
  absl::StatusOr<std::string> Accepted(long status, const std::string& body) const override;

 private:
  // A valid access token, fetched when there is none.
  absl::Status EnsureToken();
  const Account account_;
  const std::chrono::milliseconds timeout_;
  std::string token_;
  std::chrono::steady_clock::time_point token_until_{};
  mutable bool token_refused_ = false;  // WeCom said the token is invalid: fetch again
};

}  // namespace mot::notification
