#pragma once

#include <map>
#include <set>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "touchpoint-scheduler/domain/playbook.h"

namespace mot::scheduler {

// Each message template's id -> the variables its text and subject name.
using TemplateUses = std::map<std::string, std::set<std::string>>;

// What notification's templates file (MOT_TEMPLATES) says each template uses.
absl::StatusOr<TemplateUses> TemplateUsesFromYaml(const std::string& yaml);

// The variables a step's command carries whatever its event: project_id, unit_id,
// event_date (planned_touchpoint.cc), the attributes it requires, its anchor's, what a
// calendar step adds (calendar, date), and what the triggers made of our services' own
// events carry (feedback.cc: ticket.*, survey.*, notification.*).
std::set<std::string> VariablesOf(const Step& step);

// The playbook against the templates: InvalidArgument naming the step, its template
// and the variable when a notification step sends a template that is not there or one
// that uses a variable its command need not carry ("add it to the step's requires").
absl::Status CheckTemplates(const Playbook& playbook, const TemplateUses& uses);

}  // namespace mot::scheduler
