#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "domain/templates.h"
#include "mot/common/clock.h"
#include "mot/common/kafka.h"

namespace mot::notification {

// What every provider here shares: a libcurl multi handle whose connection cache
// keeps connections between batches, a batch's requests in flight together over up
// to `connections` of them, and a timeout per request (a request past it is
// Unavailable: tried again later).
class CurlProvider : public Provider {
 public:
  CurlProvider(std::chrono::milliseconds timeout, int connections);
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
  virtual absl::StatusOr<Request> Prepare(const OutgoingMessage& message, int64_t unix_ms) const = 0;
  // The provider's answer (libcurl's result, the protocol's status code, the body): OK
  // with a short non-personal description, Unavailable (no answer in time, 429, 5xx:
  // worth a retry) or FailedPrecondition (refused for good).
  virtual absl::StatusOr<std::string> Interpret(int curl_code, long status,
                                                const std::string& body) const;
  // "webhook", "sms" ...: the start of every error it returns.
  virtual std::string Name() const = 0;
  // Login for SMTP, set before the first batch.
  std::string user_, password_;

 private:
  const std::chrono::milliseconds timeout_;
  void* multi_;  // CURLM
};

// A WeCom/DingTalk group robot: POSTs {"msgtype":"text","text":{"content":...}} to its
// webhook URL and reads the robot's {"errcode":...} answer. With `sign_secret` (a
// DingTalk robot's 加签 secret) each request's URL carries
// &timestamp=<ms>&sign=<base64 HMAC-SHA256 of "<timestamp>\n<secret>", URL-encoded>;
// the timestamp is the machine's real time (the robot refuses one an hour off).
// A robot takes no idempotency key: the X-Mot-Delivery-Id header lets a receiver tell
// a repeat (see the README's duplicate window).
class WebhookProvider : public CurlProvider {
 public:
  WebhookProvider(std::string url, std::chrono::milliseconds timeout, int connections,
                  std::string sign_secret = "");
  std::string ContactPoint() const override { return ""; }

 protected:
  absl::StatusOr<Request> Prepare(const OutgoingMessage& message, int64_t unix_ms) const override;
  absl::StatusOr<std::string> Interpret(int curl_code, long status,
                                        const std::string& body) const override;
  std::string Name() const override { return "webhook"; }

 private:
  const std::string url_;
  const std::string sign_secret_;
};

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
  absl::StatusOr<std::string> Interpret(int curl_code, long status,
                                        const std::string& body) const override;
  std::string Name() const override { return "sms"; }

 private:
  const Account account_;
  std::string path_;  // the URL's path, signed
};

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
  std::string Name() const override { return "email"; }

 private:
  const Account account_;
};

// An app push gateway: POST {"request_id","device_token","title","body"} with
// "Authorization: Bearer <token>"; any 2xx is taken.
class PushProvider : public CurlProvider {
 public:
  PushProvider(std::string url, std::string token, std::chrono::milliseconds timeout,
               int connections);
  std::string ContactPoint() const override { return "app_device_token"; }

 protected:
  absl::StatusOr<Request> Prepare(const OutgoingMessage& message, int64_t unix_ms) const override;
  std::string Name() const override { return "push"; }

 private:
  const std::string url_, token_;
};

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
  absl::StatusOr<std::string> Interpret(int curl_code, long status,
                                        const std::string& body) const override;
  std::string Name() const override { return "wecom_app"; }

 private:
  // A valid access token, fetched when there is none.
  absl::Status EnsureToken();
  const Account account_;
  const std::chrono::milliseconds timeout_;
  std::string token_;
  std::chrono::steady_clock::time_point token_until_{};
  mutable bool token_refused_ = false;  // WeCom said the token is invalid: fetch again
};

// Hotline call tasks: the 400 hotline calls the owner. Each message opens a ticket of
// `kind` (hotline_call in deploy/config/sla.yaml: called within 4 h, escalated
// otherwise) through an OpenTicketCommand on mot.ticketing.commands.v1, its command id
// made of the delivery id (the same message twice opens one ticket). The ticket
// carries the owner's id and the message, never their number: the agent looks it up.
// Reaches only an owner with a mobile.
class HotlineProvider : public Provider {
 public:
  // The ticket's SLA starts at `clock`'s now (the service's clock).
  HotlineProvider(Publisher& out, const Clock& clock, std::string kind)
      : out_(out), clock_(clock), kind_(std::move(kind)) {}
  std::string ContactPoint() const override { return "mobile"; }
  absl::StatusOr<std::string> Send(const OutgoingMessage& message) override;
  std::vector<absl::StatusOr<std::string>> SendAll(
      const std::vector<OutgoingMessage>& messages) override;

 private:
  Publisher& out_;
  const Clock& clock_;
  const std::string kind_;
};

}  // namespace mot::notification
