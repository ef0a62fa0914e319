#include "notification/domain/templates.h"

#include <fmt/args.h>
#include <fmt/format.h>

#include <set>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "mot/common/placeholders.h"
#include "mot/common/yaml.h"

namespace mot::notification {

namespace {

// Renders `text` with every {name} it names set (fmt stops at the first missing
// argument, so rendering with none would leave the rest unchecked).
absl::Status CheckFormat(const std::string& text) {
  auto names = Placeholders(text);
  if (!names.ok()) return names.status();
  fmt::dynamic_format_arg_store<fmt::format_context> args;
  for (const auto& name : *names) args.push_back(fmt::arg(name.c_str(), std::string("x")));
  try {
    (void)fmt::vformat(text, args);
  } catch (const fmt::format_error& e) {
    return absl::InvalidArgumentError(e.what());
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<TemplateSet> TemplateSet::FromYaml(const std::string& yaml) {
  return GuardYaml([&]() -> absl::StatusOr<TemplateSet> {
    TemplateSet set;
    auto templates = YamlSection(yaml, "templates", "a map of each template id to its text");
    if (!templates.ok()) return templates.status();
    for (const auto& entry : *templates) {
      Template t;
      t.id = entry.first.as<std::string>();
      if (auto s =
              RequireKeys(entry.second, absl::StrCat("template '", t.id, "'"), {"channel", "text"});
          !s.ok()) {
        return s;
      }
      for (const auto& field : entry.second) {
        const std::string k = field.first.as<std::string>();
        if (k != "channel" && k != "text" && k != "subject" && k != "sms_code" && k != "personal") {
          return absl::InvalidArgumentError(
              absl::StrCat("template '", t.id, "': unknown field '", k, "'"));
        }
      }
      t.channel = entry.second["channel"].as<std::string>();
      t.text = entry.second["text"].as<std::string>();
      if (entry.second["subject"]) t.subject = entry.second["subject"].as<std::string>();
      if (entry.second["sms_code"]) t.sms_code = entry.second["sms_code"].as<std::string>();
      if (entry.second["personal"]) {
        const std::string p = entry.second["personal"].as<std::string>();
        if (p != "true" && p != "false") {
          return absl::InvalidArgumentError(
              absl::StrCat("template '", t.id, "': personal: expected true or false"));
        }
        t.personal = p == "true";
      }
      // Malformed text is found at start, not at every send.
      for (const auto& [field, text] :
           {std::pair{"text", &t.text}, std::pair{"subject", &t.subject}}) {
        if (auto s = CheckFormat(*text); !s.ok()) {
          return absl::InvalidArgumentError(
              absl::StrCat("template '", t.id, "': malformed ", field, ": ", s.message()));
        }
      }
      set.templates_[t.id] = std::move(t);
    }
    return set;
  });
}

const Template* TemplateSet::Find(const std::string& id) const {
  auto it = templates_.find(id);
  return it == templates_.end() ? nullptr : &it->second;
}

namespace {

absl::StatusOr<std::string> Fill(const Template& tpl, const std::string& text,
                                 const std::map<std::string, std::string>& variables) {
  fmt::dynamic_format_arg_store<fmt::format_context> args;
  for (const auto& [name, value] : variables) args.push_back(fmt::arg(name.c_str(), value));
  try {
    return fmt::vformat(text, args);
  } catch (const fmt::format_error& e) {
    return absl::InvalidArgumentError(
        absl::StrCat("template '", tpl.id, "' cannot be rendered (", e.what(),
                     "): a {placeholder} has no variable in the command"));
  }
}

}  // namespace

size_t Utf8SequenceLength(unsigned char lead) {
  if (lead >= 0xF0) return 4;
  if (lead >= 0xE0) return 3;
  if (lead >= 0xC0) return 2;
  return 1;
}

absl::StatusOr<std::string> Render(const Template& tpl,
                                   const std::map<std::string, std::string>& variables) {
  return Fill(tpl, tpl.text, variables);
}

absl::StatusOr<std::string> Subject(const Template& tpl, const std::string& text,
                                    const std::map<std::string, std::string>& variables) {
  if (!tpl.subject.empty()) return Fill(tpl, tpl.subject, variables);
  constexpr int kMaxCharacters = 40;
  std::string out;
  int characters = 0;
  for (size_t i = 0; i < text.size() && characters < kMaxCharacters; ++characters) {
    const size_t n =
        std::min(Utf8SequenceLength(static_cast<unsigned char>(text[i])), text.size() - i);
    const std::string ch = text.substr(i, n);
    out += ch;
    i += n;
    if (ch == "。" || ch == "！" || ch == "？") break;
  }
  return out;
}

}  // namespace mot::notification
