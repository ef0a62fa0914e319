#pragma once

#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace mot::notification {

// A message template (deploy/config/templates.yaml): zh-CN text with {name}
// placeholders filled from the command's variables.
struct Template {
  std::string id;
  std::string channel;  // default channel when the command names none
  std::string text;
  // An email's subject (with placeholders); empty: the text's first sentence.
  std::string subject;
  // The SMS gateway's approved template code; empty: the template id.
  std::string sms_code;
  // Meant for the owner alone (e.g. it carries their survey link): never posted to a
  // group robot, only through a channel that reaches the owner's own contact point.
  bool personal = false;
};

class TemplateSet {
 public:
  // InvalidArgument naming the template and field that are wrong.
  static absl::StatusOr<TemplateSet> FromYaml(const std::string& yaml);
  const Template* Find(const std::string& id) const;

 private:
  std::map<std::string, Template> templates_;
};

// The variables a format string's {name} and {name:spec} placeholders name ("{{" is a
// literal brace); InvalidArgument for a placeholder that names none ("{}", "{1}": by
// position, which would take another's value or none).
absl::StatusOr<std::set<std::string>> Placeholders(const std::string& text);

// InvalidArgument naming the template when a placeholder has no variable or the
// text is malformed.
absl::StatusOr<std::string> Render(const Template& tpl,
                                   const std::map<std::string, std::string>& variables);

// The length of the UTF-8 sequence a lead byte starts (1 for a stray byte).
size_t Utf8SequenceLength(unsigned char lead);

// An email's subject: the template's `subject` rendered, or the text's first sentence
// (through its first 。！？), at most 40 characters.
absl::StatusOr<std::string> Subject(const Template& tpl, const std::string& text,
                                    const std::map<std::string, std::string>& variables);

// A message handed to a provider.
struct OutgoingMessage {
  std::string delivery_id;  // stable across retries: the request id where a protocol takes one
  std::string channel;
  std::string customer_id;  // opaque
  std::string text;
  // The owner's contact point the provider's ContactPoint() names (a mobile, an email
  // address ...); empty for a group robot. Confidential: never logged.
  std::string to;
  std::string subject;      // email
  std::string sms_code;     // SMS: the approved template's code
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

}  // namespace mot::notification
