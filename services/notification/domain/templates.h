#pragma once

#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "mot/common/placeholders.h"

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

// Placeholders (mot/common/placeholders.h) is what a template's text names.
using ::mot::Placeholders;

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

}  // namespace mot::notification
