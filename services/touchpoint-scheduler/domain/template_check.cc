#include "touchpoint-scheduler/domain/template_check.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "mot/common/placeholders.h"
#include "mot/common/yaml.h"

namespace mot::scheduler {
namespace {

// What TriggerOf (feedback.cc) puts in the attributes of our services' events, by the
// trigger's prefix (feedback_test checks the two agree).
const std::map<std::string, std::set<std::string>>& TriggerAttributes() {
  static const auto* attributes = new std::map<std::string, std::set<std::string>>{
      {"ticket.", {"kind", "ticket_id"}},
      {"survey.",
       {"survey_id", "stage", "instance_id", "survey_link", "survey_title", "survey_expires_date"}},
      {"notification.", {"channel", "template_id"}},
  };
  return *attributes;
}

}  // namespace

absl::StatusOr<TemplateUses> TemplateUsesFromYaml(const std::string& yaml) {
  return GuardYaml([&]() -> absl::StatusOr<TemplateUses> {
    auto templates = YamlSection(yaml, "templates", "a map of each template id to its text");
    if (!templates.ok()) return templates.status();
    TemplateUses uses;
    for (const auto& entry : *templates) {
      const std::string id = entry.first.as<std::string>();
      auto& names = uses[id];
      for (const char* field : {"text", "subject"}) {
        if (!entry.second.IsMap() || !entry.second[field]) continue;
        auto used = Placeholders(entry.second[field].as<std::string>());
        if (!used.ok()) {
          return absl::InvalidArgumentError(
              absl::StrCat("template '", id, "': ", field, ": ", used.status().message()));
        }
        names.insert(used->begin(), used->end());
      }
    }
    return uses;
  });
}

std::set<std::string> VariablesOf(const Step& step) {
  std::set<std::string> out = {"project_id", "unit_id", "event_date"};
  out.insert(step.required.begin(), step.required.end());
  if (!step.anchor.empty()) out.insert(step.anchor);
  if (!step.calendar.empty()) out.insert({"calendar", "date"});
  for (const auto& [prefix, attributes] : TriggerAttributes()) {
    if (absl::StartsWith(step.on, prefix)) out.insert(attributes.begin(), attributes.end());
  }
  return out;
}

absl::Status CheckTemplates(const Playbook& playbook, const TemplateUses& uses) {
  for (const auto& step : playbook.steps()) {
    if (step.action.service != "notification") continue;
    const std::string id = Param(step, "template");
    auto it = uses.find(id);
    if (it == uses.end()) {
      return absl::InvalidArgumentError(absl::StrCat("step '", step.id, "': template '", id,
                                                     "' is not in the templates (MOT_TEMPLATES)"));
    }
    const auto carried = VariablesOf(step);
    for (const auto& name : it->second) {
      if (!carried.count(name)) {
        return absl::InvalidArgumentError(absl::StrCat(
            "step '", step.id, "': template '", id, "' uses {", name,
            "}, which its event need not carry (add ", name, " to the step's requires)"));
      }
    }
  }
  return absl::OkStatus();
}

}  // namespace mot::scheduler
