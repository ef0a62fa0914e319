#pragma once

#include <map>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"

namespace mot::notification {

// A message handed to a provider.
struct OutgoingMessage {
  std::string delivery_id;  // stable across retries: the request id where a protocol takes one
  std::string channel;
  std::string customer_id;  // opaque
  std::string text;
  // The owner's contact point the provider's ContactPoint() names (a mobile, an email
  // address ...); empty for a group robot. Confidential: never logged.
  std::string to;
  std::string subject;                           // email
  std::string sms_code;                          // SMS: the approved template's code
  std::map<std::string, std::string> variables;  // SMS: the template's parameters
};

// A delivery channel's provider (webhook robot, SMS gateway, SMTP ...).
// OK with a short, non-personal description of the provider's answer
// ("HTTP 200 errcode 0"); Unavailable when a retry may succeed (network, 5xx);
// FailedPrecondition when it never will (4xx, the provider refused the message).
class Provider {
 public:
  virtual ~Provider() = default;
  // The contact point of the owner's it sends to: "mobile", "email", "wecom_user_id"
  // or "app_device_token"; empty for a group robot, which posts to the owner's service
  // group and needs none of theirs.
  virtual std::string ContactPoint() const = 0;
  virtual absl::StatusOr<std::string> Send(const OutgoingMessage& message) = 0;
  // Many at once (concurrently where the provider can): one result each, in order.
  virtual std::vector<absl::StatusOr<std::string>> SendAll(
      const std::vector<OutgoingMessage>& messages) {
    std::vector<absl::StatusOr<std::string>> out;
    out.reserve(messages.size());
    for (const auto& m : messages) out.push_back(Send(m));
    return out;
  }
};

// A message's result when the owner has no contact point of the kind `field`.
inline absl::Status NoContactPoint(const std::string& name, const std::string& field) {
  return absl::FailedPreconditionError(absl::StrCat(name, ": the owner has no ", field));
}

}  // namespace mot::notification
