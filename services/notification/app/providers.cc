#include "app/providers.h"

#include <curl/curl.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

#include <cstring>
#include <map>
#include <stdexcept>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "mot/common/ids.h"
#include "mot/common/topics.h"
#include "mot/ticketing/v1/ticketing.pb.h"
#include "nlohmann/json.hpp"

namespace mot::notification {
namespace {

size_t CollectBody(char* data, size_t size, size_t n, void* out) {
  static_cast<std::string*>(out)->append(data, size * n);
  return size * n;
}

struct CurlDeleter {
  void operator()(CURL* c) const { curl_easy_cleanup(c); }
};
struct SlistDeleter {
  void operator()(curl_slist* l) const { curl_slist_free_all(l); }
};

// One request of a batch in flight.
struct Transfer {
  std::unique_ptr<CURL, CurlDeleter> curl;
  std::unique_ptr<curl_slist, SlistDeleter> headers, recipients;
  CurlProvider::Request request;
  std::string response;
  size_t sent = 0;  // an upload's position (email)
};

// An email's bytes to libcurl, as it asks for them.
size_t ReadUpload(char* buffer, size_t size, size_t n, void* in) {
  auto* t = static_cast<Transfer*>(in);
  const size_t left = t->request.body.size() - t->sent;
  const size_t take = std::min(left, size * n);
  std::memcpy(buffer, t->request.body.data() + t->sent, take);
  t->sent += take;
  return take;
}

std::string HmacSha256Base64(const std::string& key, const std::string& data) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int mac_len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), mac, &mac_len);
  return absl::Base64Escape(std::string(reinterpret_cast<const char*>(mac), mac_len));
}

std::string Sha256Hex(const std::string& data) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(), digest);
  return absl::BytesToHexString(
      absl::string_view(reinterpret_cast<const char*>(digest), sizeof digest));
}

// The path of an http(s) URL ("/" when it has none), query excluded.
std::string PathOf(const std::string& url) {
  const size_t scheme = url.find("://");
  const size_t slash = url.find('/', scheme == std::string::npos ? 0 : scheme + 3);
  if (slash == std::string::npos) return "/";
  return url.substr(slash, url.find('?', slash) - slash);
}

// A JSON POST's headers.
std::vector<std::string> JsonHeaders(const std::string& delivery_id) {
  return {"Content-Type: application/json; charset=utf-8", "X-Mot-Delivery-Id: " + delivery_id,
          "Expect:"};  // no "100-continue" round trip before a body
}

absl::Status NoContactPoint(const std::string& name, const std::string& field) {
  return absl::FailedPreconditionError(absl::StrCat(name, ": the owner has no ", field));
}

}  // namespace

CurlProvider::CurlProvider(std::chrono::milliseconds timeout, int connections) : timeout_(timeout) {
  curl_global_init(CURL_GLOBAL_DEFAULT);
  CURLM* multi = curl_multi_init();
  if (multi == nullptr) throw std::runtime_error("cannot create a curl multi handle");
  curl_multi_setopt(multi, CURLMOPT_MAX_HOST_CONNECTIONS, static_cast<long>(connections));
  curl_multi_setopt(multi, CURLMOPT_MAXCONNECTS, static_cast<long>(connections));
  multi_ = multi;
}

CurlProvider::~CurlProvider() { curl_multi_cleanup(static_cast<CURLM*>(multi_)); }

absl::StatusOr<std::string> CurlProvider::Send(const OutgoingMessage& message) {
  return SendAll({message})[0];
}

absl::StatusOr<std::string> CurlProvider::Interpret(int curl_code, long status,
                                                    const std::string&) const {
  if (curl_code != CURLE_OK) {
    return absl::UnavailableError(
        absl::StrCat(Name(), ": ", curl_easy_strerror(static_cast<CURLcode>(curl_code))));
  }
  if (status >= 500 || status == 429) {
    return absl::UnavailableError(absl::StrCat(Name(), " answered HTTP ", status));
  }
  if (status >= 300) return absl::FailedPreconditionError(absl::StrCat(Name(), " refused: HTTP ", status));
  return absl::StrCat("HTTP ", status);
}

std::vector<absl::StatusOr<std::string>> CurlProvider::SendAll(
    const std::vector<OutgoingMessage>& messages) {
  auto* multi = static_cast<CURLM*>(multi_);
  std::vector<absl::StatusOr<std::string>> out(messages.size(),
                                               absl::UnavailableError(Name() + ": not sent"));
  std::vector<Transfer> transfers(messages.size());
  std::map<CURL*, size_t> index;
  const int64_t unix_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                              std::chrono::system_clock::now().time_since_epoch())
                              .count();
  for (size_t i = 0; i < messages.size(); ++i) {
    Transfer& t = transfers[i];
    auto request = Prepare(messages[i], unix_ms);
    if (!request.ok()) {
      out[i] = request.status();
      continue;
    }
    t.request = *std::move(request);
    t.curl.reset(curl_easy_init());
    if (!t.curl) {
      out[i] = absl::UnavailableError(Name() + ": cannot create a curl handle");
      continue;
    }
    CURL* c = t.curl.get();
    for (const auto& h : t.request.headers) {
      t.headers.reset(curl_slist_append(t.headers.release(), h.c_str()));
    }
    curl_easy_setopt(c, CURLOPT_URL, t.request.url.c_str());
    if (t.request.mail_to.empty()) {
      curl_easy_setopt(c, CURLOPT_POSTFIELDS, t.request.body.c_str());
      curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, static_cast<long>(t.request.body.size()));
      curl_easy_setopt(c, CURLOPT_HTTPHEADER, t.headers.get());
    } else {
      t.recipients.reset(curl_slist_append(nullptr, ("<" + t.request.mail_to + ">").c_str()));
      curl_easy_setopt(c, CURLOPT_MAIL_FROM, ("<" + t.request.mail_from + ">").c_str());
      curl_easy_setopt(c, CURLOPT_MAIL_RCPT, t.recipients.get());
      curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
      curl_easy_setopt(c, CURLOPT_READFUNCTION, ReadUpload);
      curl_easy_setopt(c, CURLOPT_READDATA, &t);
      curl_easy_setopt(c, CURLOPT_INFILESIZE, static_cast<long>(t.request.body.size()));
      if (!user_.empty()) {
        curl_easy_setopt(c, CURLOPT_USERNAME, user_.c_str());
        curl_easy_setopt(c, CURLOPT_PASSWORD, password_.c_str());
      }
    }
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, static_cast<long>(timeout_.count()));
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_TCP_NODELAY, 1L);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, CollectBody);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &t.response);
    if (curl_multi_add_handle(multi, c) != CURLM_OK) {
      out[i] = absl::UnavailableError(Name() + ": cannot start the request");
      continue;
    }
    index[c] = i;
  }
  int running = 0;
  do {
    if (curl_multi_perform(multi, &running) != CURLM_OK) break;
    int queued = 0;
    while (CURLMsg* msg = curl_multi_info_read(multi, &queued)) {
      if (msg->msg != CURLMSG_DONE) continue;
      const size_t i = index.at(msg->easy_handle);
      long status = 0;
      curl_easy_getinfo(msg->easy_handle, CURLINFO_RESPONSE_CODE, &status);
      out[i] = Interpret(msg->data.result, status, transfers[i].response);
    }
    if (running == 0) break;
    // Up to libcurl's own next deadline: a request queued for a free connection is
    // started by a timer, not by socket activity (waiting a fixed 100 ms instead made
    // the p99 of this leg 140 ms in tools/bench).
    long wait_ms = -1;
    curl_multi_timeout(multi, &wait_ms);
    if (wait_ms < 0 || wait_ms > 100) wait_ms = 100;
    if (wait_ms > 0) curl_multi_poll(multi, nullptr, 0, static_cast<int>(wait_ms), nullptr);
  } while (running > 0);
  for (const auto& [c, i] : index) curl_multi_remove_handle(multi, c);
  return out;
}

WebhookProvider::WebhookProvider(std::string url, std::chrono::milliseconds timeout,
                                 int connections, std::string sign_secret)
    : CurlProvider(timeout, connections), url_(std::move(url)), sign_secret_(std::move(sign_secret)) {}

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

absl::StatusOr<std::string> WebhookProvider::Interpret(int curl_code, long status,
                                                       const std::string& body) const {
  auto http = CurlProvider::Interpret(curl_code, status, body);
  if (!http.ok()) return http;
  // Robots answer 200 with {"errcode":N,"errmsg":"..."}; N != 0 is a refusal.
  auto json = nlohmann::json::parse(body, nullptr, false);
  if (json.is_object() && json.contains("errcode") && json["errcode"].is_number() &&
      json["errcode"].get<int>() != 0) {
    return absl::FailedPreconditionError(
        absl::StrCat("webhook refused: HTTP ", status, " errcode ", json["errcode"].get<int>()));
  }
  return http;
}

SmsProvider::SmsProvider(Account account, std::chrono::milliseconds timeout, int connections)
    : CurlProvider(timeout, connections), account_(std::move(account)), path_(PathOf(account_.url)) {}

absl::StatusOr<CurlProvider::Request> SmsProvider::Prepare(const OutgoingMessage& message,
                                                           int64_t unix_ms) const {
  if (message.to.empty()) return NoContactPoint("sms", ContactPoint());
  Request r;
  r.url = account_.url;
  nlohmann::json params = nlohmann::json::object();
  for (const auto& [k, v] : message.variables) params[k] = v;
  r.body = nlohmann::json{{"request_id", message.delivery_id},
                          {"phone_number", message.to},
                          {"sign_name", account_.sign_name},
                          {"template_code", message.sms_code},
                          {"template_param", params}}
               .dump();
  const std::string stamp = std::to_string(unix_ms);
  r.headers = JsonHeaders(message.delivery_id);
  r.headers.push_back("X-Sms-Access-Key: " + account_.access_key);
  r.headers.push_back("X-Sms-Timestamp: " + stamp);
  r.headers.push_back("X-Sms-Signature: " +
                      HmacSha256Base64(account_.secret,
                                       absl::StrCat("POST\n", path_, "\n", stamp, "\n", Sha256Hex(r.body))));
  return r;
}

absl::StatusOr<std::string> SmsProvider::Interpret(int curl_code, long status,
                                                   const std::string& body) const {
  auto http = CurlProvider::Interpret(curl_code, status, body);
  if (!http.ok()) return http;
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
  std::string biz = json.contains("biz_id") && json["biz_id"].is_string() ? json["biz_id"].get<std::string>() : "";
  return absl::StrCat("sms OK", biz.empty() ? "" : " biz_id " + biz);
}

namespace {

// RFC 2047 encoded words of UTF-8 text, each under 76 characters, folded.
std::string EncodedWords(const std::string& text) {
  std::string out;
  size_t i = 0;
  while (i < text.size()) {
    size_t end = i;
    // At most 45 bytes (60 in base64) per word, cut between characters.
    while (end < text.size()) {
      const size_t n = Utf8SequenceLength(static_cast<unsigned char>(text[end]));
      if (end + n - i > 45) break;
      end += n;
    }
    if (end == i) end = std::min(text.size(), i + 1);
    if (!out.empty()) out += "\r\n ";
    out += "=?UTF-8?B?" + absl::Base64Escape(text.substr(i, end - i)) + "?=";
    i = end;
  }
  return out;
}

std::string Base64Lines(const std::string& data) {
  const std::string b64 = absl::Base64Escape(data);
  std::string out;
  for (size_t i = 0; i < b64.size(); i += 76) absl::StrAppend(&out, b64.substr(i, 76), "\r\n");
  return out;
}

}  // namespace

EmailProvider::EmailProvider(Account account, std::chrono::milliseconds timeout, int connections)
    : CurlProvider(timeout, connections), account_(std::move(account)) {
  user_ = account_.user;
  password_ = account_.password;
}

absl::StatusOr<CurlProvider::Request> EmailProvider::Prepare(const OutgoingMessage& message,
                                                             int64_t unix_ms) const {
  if (message.to.empty()) return NoContactPoint("email", ContactPoint());
  if (message.to.find_first_of("<>\r\n") != std::string::npos) {
    return absl::FailedPreconditionError("email: the owner's address is malformed");
  }
  Request r;
  r.url = account_.url;
  r.mail_from = account_.from;
  r.mail_to = message.to;
  const std::string date = absl::FormatTime("%a, %d %b %Y %H:%M:%S +0000",
                                            absl::FromUnixMillis(unix_ms), absl::UTCTimeZone());
  r.body = absl::StrCat("Date: ", date, "\r\nFrom: <", account_.from, ">\r\nTo: <", message.to,
                        ">\r\nMessage-ID: <", message.delivery_id, "@mot-mesh>\r\nSubject: ",
                        EncodedWords(message.subject),
                        "\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=UTF-8\r\n"
                        "Content-Transfer-Encoding: base64\r\n\r\n",
                        Base64Lines(message.text));
  return r;
}

absl::StatusOr<std::string> EmailProvider::Interpret(int curl_code, long status,
                                                     const std::string&) const {
  // A 5xx reply is the server refusing for good (unknown mailbox ...); anything else
  // that stopped the transfer may pass.
  if (status >= 500) return absl::FailedPreconditionError(absl::StrCat("email refused: SMTP ", status));
  if (curl_code != CURLE_OK) {
    return absl::UnavailableError(
        absl::StrCat("email: ", curl_easy_strerror(static_cast<CURLcode>(curl_code)),
                     status > 0 ? absl::StrCat(" (SMTP ", status, ")") : ""));
  }
  return absl::StrCat("SMTP ", status);
}

PushProvider::PushProvider(std::string url, std::string token, std::chrono::milliseconds timeout,
                           int connections)
    : CurlProvider(timeout, connections), url_(std::move(url)), token_(std::move(token)) {}

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

WeComAppProvider::WeComAppProvider(Account account, std::chrono::milliseconds timeout, int connections)
    : CurlProvider(timeout, connections), account_(std::move(account)), timeout_(timeout) {}

absl::Status WeComAppProvider::EnsureToken() {
  if (token_refused_) token_.clear();
  token_refused_ = false;
  if (!token_.empty() && std::chrono::steady_clock::now() < token_until_) return absl::OkStatus();
  std::unique_ptr<CURL, CurlDeleter> c(curl_easy_init());
  if (!c) return absl::UnavailableError("wecom_app: cannot create a curl handle");
  auto escape = [&](const std::string& v) {
    std::unique_ptr<char, decltype(&curl_free)> e(curl_easy_escape(c.get(), v.c_str(), static_cast<int>(v.size())),
                                                  &curl_free);
    return std::string(e ? e.get() : "");
  };
  const std::string url = absl::StrCat(account_.api, "/cgi-bin/gettoken?corpid=", escape(account_.corp_id),
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
    return absl::UnavailableError(absl::StrCat("wecom_app: no access token (",
                                               rc != CURLE_OK ? curl_easy_strerror(rc) : absl::StrCat("HTTP ", status), ")"));
  }
  auto json = nlohmann::json::parse(body, nullptr, false);
  if (!json.is_object() || json.value("errcode", -1) != 0 || !json.contains("access_token") ||
      !json["access_token"].is_string()) {
    return absl::UnavailableError(absl::StrCat("wecom_app: no access token (errcode ",
                                               json.is_object() ? json.value("errcode", -1) : -1, ")"));
  }
  token_ = json["access_token"].get<std::string>();
  const int expires = json.value("expires_in", 7200);
  token_until_ = std::chrono::steady_clock::now() + std::chrono::seconds(std::max(expires - 300, 60));
  return absl::OkStatus();
}

std::vector<absl::StatusOr<std::string>> WeComAppProvider::SendAll(
    const std::vector<OutgoingMessage>& messages) {
  if (auto s = EnsureToken(); !s.ok()) return std::vector<absl::StatusOr<std::string>>(messages.size(), s);
  return CurlProvider::SendAll(messages);
}

absl::StatusOr<CurlProvider::Request> WeComAppProvider::Prepare(const OutgoingMessage& message,
                                                                int64_t) const {
  if (message.to.empty()) return NoContactPoint("wecom_app", ContactPoint());
  Request r;
  r.url = absl::StrCat(account_.api, "/cgi-bin/message/send?access_token=", token_);
  r.headers = JsonHeaders(message.delivery_id);
  r.body = nlohmann::json{{"touser", message.to},
                          {"msgtype", "text"},
                          {"agentid", account_.agent_id},
                          {"text", {{"content", message.text}}},
                          {"enable_duplicate_check", 1},
                          {"duplicate_check_interval", 1800}}
               .dump();
  return r;
}

absl::StatusOr<std::string> WeComAppProvider::Interpret(int curl_code, long status,
                                                        const std::string& body) const {
  auto http = CurlProvider::Interpret(curl_code, status, body);
  if (!http.ok()) return http;
  auto json = nlohmann::json::parse(body, nullptr, false);
  if (!json.is_object() || !json.contains("errcode") || !json["errcode"].is_number()) {
    return absl::UnavailableError(absl::StrCat("wecom_app: HTTP ", status, " without an errcode"));
  }
  const int code = json["errcode"].get<int>();
  // Token invalid or expired: fetched again for the retry. API rate limit: later.
  if (code == 40014 || code == 42001 || code == 40001) {
    token_refused_ = true;
    return absl::UnavailableError(absl::StrCat("wecom_app: access token refused (errcode ", code, ")"));
  }
  if (code == 45009 || code == 45033 || code == -1) {
    return absl::UnavailableError(absl::StrCat("wecom_app answered errcode ", code));
  }
  if (code != 0) return absl::FailedPreconditionError(absl::StrCat("wecom_app refused: errcode ", code));
  if (json.contains("invaliduser") && json["invaliduser"].is_string() && !json["invaliduser"].get<std::string>().empty()) {
    return absl::FailedPreconditionError("wecom_app refused: the user is not in the corp");
  }
  const std::string msgid = json.contains("msgid") && json["msgid"].is_string() ? json["msgid"].get<std::string>() : "";
  return absl::StrCat("wecom_app OK", msgid.empty() ? "" : " msgid " + msgid);
}

absl::StatusOr<std::string> HotlineProvider::Send(const OutgoingMessage& message) {
  return SendAll({message})[0];
}

std::vector<absl::StatusOr<std::string>> HotlineProvider::SendAll(
    const std::vector<OutgoingMessage>& messages) {
  std::vector<absl::StatusOr<std::string>> results(messages.size(), std::string());
  std::vector<OutMessage> commands;
  std::vector<size_t> at;
  for (size_t i = 0; i < messages.size(); ++i) {
    const auto& m = messages[i];
    if (m.to.empty()) {
      results[i] = NoContactPoint("hotline", ContactPoint());
      continue;
    }
    ticketing::v1::OpenTicketCommand cmd;
    cmd.set_command_id("hotline-" + m.delivery_id);
    cmd.set_kind(kind_);
    cmd.set_customer_id(m.customer_id);
    if (auto it = m.variables.find("project_id"); it != m.variables.end()) cmd.set_project_id(it->second);
    if (auto it = m.variables.find("unit_id"); it != m.variables.end()) cmd.set_unit_id(it->second);
    cmd.set_summary("请致电业主告知：" + m.text);
    *cmd.mutable_requested_at() = ToProto(clock_.Now());
    commands.push_back({kTicketingCommandsTopic, m.customer_id, cmd.SerializeAsString(), {}});
    at.push_back(i);
    results[i] = absl::StrCat("hotline task: ticket ", DeterministicId("tk", {cmd.command_id()}));
  }
  const auto sent = out_.PublishAll(commands);
  for (size_t k = 0; k < at.size(); ++k) {
    if (!sent[k].ok()) results[at[k]] = absl::UnavailableError(absl::StrCat("hotline: ", sent[k].message()));
  }
  return results;
}

}  // namespace mot::notification
