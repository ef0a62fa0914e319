#include "notification/app/smtp_provider.h"

#include <curl/curl.h>

#include <algorithm>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "notification/domain/templates.h"

namespace mot::notification {

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
    : CurlProvider("email", timeout, connections), account_(std::move(account)) {
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
                        ">\r\nMessage-ID: <", message.delivery_id,
                        "@mot-mesh>\r\nSubject: ", EncodedWords(message.subject),
                        "\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=UTF-8\r\n"
                        "Content-Transfer-Encoding: base64\r\n\r\n",
                        Base64Lines(message.text));
  return r;
}

absl::StatusOr<std::string> EmailProvider::Interpret(int curl_code, long status,
                                                     const std::string&) const {
  // A 5xx reply is the server refusing for good (unknown mailbox ...); anything else
  // that stopped the transfer may pass.
  if (status >= 500)
    return absl::FailedPreconditionError(absl::StrCat("email refused: SMTP ", status));
  if (curl_code != CURLE_OK) {
    return absl::UnavailableError(
        absl::StrCat("email: ", curl_easy_strerror(static_cast<CURLcode>(curl_code)),
                     status > 0 ? absl::StrCat(" (SMTP ", status, ")") : ""));
  }
  return absl::StrCat("SMTP ", status);
}

}  // namespace mot::notification
