#pragma once

#include <map>
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
};

class TemplateSet {
 public:
  // InvalidArgument naming the template and field that are wrong.
  static absl::StatusOr<TemplateSet> FromYaml(const std::string& yaml);
  const Template* Find(const std::string& id) const;

 private:
  std::map<std::string, Template> templates_;
};

// InvalidArgument naming the template when a placeholder has no variable or the
// text is malformed.
absl::StatusOr<std::string> Render(const Template& tpl,
                                   const std::map<std::string, std::string>& variables);

// A message handed to a provider.
struct OutgoingMessage {
  std::string delivery_id;  // stable across retries
  std::string channel;
  std::string text;
};

// A delivery channel's provider (webhook robot, SMS gateway, SMTP ...).
// OK with a short, non-personal description of the provider's answer
// ("HTTP 200 errcode 0"); Unavailable when a retry may succeed (network, 5xx);
// FailedPrecondition when it never will (4xx, the provider refused the message).
class Provider {
 public:
  virtual ~Provider() = default;
  // Whether it reaches an owner only through a contact point of theirs (a mobile, an
  // email address ...); a group robot posts to the owner's service group and needs none.
  virtual bool NeedsContactPoint() const { return true; }
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
