#include "domain/templates.h"

#include <fmt/args.h>
#include <fmt/format.h>

#include "absl/strings/str_cat.h"
#include "mot/common/yaml.h"

namespace mot::notification {

absl::StatusOr<TemplateSet> TemplateSet::FromYaml(const std::string& yaml) {
  return GuardYaml([&]() -> absl::StatusOr<TemplateSet> {
    TemplateSet set;
    auto templates = YamlSection(yaml, "templates", "a map of each template id to its text");
    if (!templates.ok()) return templates.status();
    for (const auto& entry : *templates) {
      Template t;
      t.id = entry.first.as<std::string>();
      if (auto s = RequireKeys(entry.second, absl::StrCat("template '", t.id, "'"),
                               {"channel", "text"});
          !s.ok()) {
        return s;
      }
      t.channel = entry.second["channel"].as<std::string>();
      t.text = entry.second["text"].as<std::string>();
      // Render once with no variables to find malformed text at start, not at send.
      try {
        fmt::dynamic_format_arg_store<fmt::format_context> none;
        (void)fmt::vformat(t.text, none);
      } catch (const fmt::format_error& e) {
        if (std::string(e.what()) != "argument not found") {
          return absl::InvalidArgumentError(
              absl::StrCat("template '", t.id, "': malformed text: ", e.what()));
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

absl::StatusOr<std::string> Render(const Template& tpl,
                                   const std::map<std::string, std::string>& variables) {
  fmt::dynamic_format_arg_store<fmt::format_context> args;
  for (const auto& [name, value] : variables) args.push_back(fmt::arg(name.c_str(), value));
  try {
    return fmt::vformat(tpl.text, args);
  } catch (const fmt::format_error& e) {
    return absl::InvalidArgumentError(absl::StrCat(
        "template '", tpl.id, "' cannot be rendered (", e.what(),
        "): a {placeholder} has no variable in the command"));
  }
}

}  // namespace mot::notification
