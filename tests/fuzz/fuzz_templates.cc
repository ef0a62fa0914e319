// Message templates (deploy/config/templates.yaml, MOT_TEMPLATES):
// TemplateSet::FromYaml, then each template rendered (text and email subject) with
// a value for every {placeholder} it names.
//
// Input: a template set as YAML.
//
// Invariants (abort on violation), for a set that loads:
//  - every template the document lists is found;
//  - every placeholder of a template that loads names a variable ({0} and {} are
//    refused at load), and rendered with a value for each, the template renders:
//    FromYaml renders each text once to find malformed text at start, not when a
//    message is sent;
//  - a refusal quotes no variable's value (an owner's name may be one);
//  - an email subject is at most 40 characters of whole UTF-8 sequences when taken
//    from the text.
#include <map>
#include <set>

#include "fuzz_common.h"
#include "notification/domain/templates.h"
#include "yaml-cpp/yaml.h"

namespace {

using namespace mot::notification;

// The template ids the document lists (TemplateSet has no list of its own).
std::vector<std::string> Ids(const std::string& yaml) {
  std::vector<std::string> out;
  try {
    const YAML::Node root = YAML::Load(yaml);
    for (const auto& kv : root["templates"]) out.push_back(kv.first.as<std::string>());
  } catch (const YAML::Exception&) {
  }
  return out;
}

// What a variable holds in production: an owner's text. Distinctive, so that a
// refusal quoting it shows.
std::string ValueOf(const std::string& name) { return "\xe2\x98\x8e#" + name + "#138-0013-8000"; }

void CheckRendered(const Template& t, const char* what, const absl::StatusOr<std::string>& r,
                   const std::map<std::string, std::string>& variables, const char* known_issue) {
  if (r.ok()) return;
  const std::string msg(r.status().message());
  for (const auto& [name, value] : variables)
    motfuzz::CheckNotQuoted(msg, value, {t.id, t.text, t.subject});
  if (motfuzz::Tolerated(known_issue)) return;
  motfuzz::Check(msg.find("(argument not found)") != std::string::npos,
                 "template '" + t.id + "' loads but its " + what +
                     " cannot be rendered with every variable it names: " + msg);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string yaml = motfuzz::Str(data, size);
  auto set = TemplateSet::FromYaml(yaml);
  if (!set.ok()) return 0;
  for (const std::string& id : Ids(yaml)) {
    const Template* t = set->Find(id);
    motfuzz::Check(t != nullptr, "template '" + id + "' is listed but not found");
    std::map<std::string, std::string> variables;
    // Loaded, so every placeholder names a variable.
    for (const std::string* text : {&t->text, &t->subject}) {
      auto names = Placeholders(*text);
      motfuzz::Check(names.ok(),
                     "template '" + t->id + "' loaded with a placeholder naming no variable");
      for (const auto& name : *names) variables[name] = ValueOf(name);
    }
    const auto text = Render(*t, variables);
    CheckRendered(*t, "text", text, variables, "template-text-malformed-after-placeholder");
    if (!text.ok()) continue;
    const auto subject = Subject(*t, *text, variables);
    CheckRendered(*t, "subject", subject, variables, "template-subject-unchecked");
    if (subject.ok() && t->subject.empty()) {
      size_t characters = 0;
      for (size_t i = 0; i < subject->size(); ++characters) {
        i += Utf8SequenceLength(static_cast<unsigned char>((*subject)[i]));
      }
      motfuzz::Check(characters <= 40,
                     "template '" + id + "': a subject longer than 40 characters");
      motfuzz::Check(text->compare(0, subject->size(), *subject) == 0,
                     "template '" + id + "': the subject is not the start of the text");
    }
    // And with no variable at all: refused for the missing ones, never crashing.
    const auto bare = Render(*t, {});
    if (!bare.ok()) motfuzz::Check(!bare.status().message().empty(), "an empty refusal");
  }
  return 0;
}
