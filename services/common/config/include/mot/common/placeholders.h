#pragma once

#include <set>
#include <string>

#include "absl/status/statusor.h"

namespace mot {

// The variables a message template's {name} and {name:spec} placeholders name ("{{" is
// a literal brace); InvalidArgument for a placeholder that names none ("{}", "{1}": by
// position, which would take another's value or none). Notification renders templates
// with them; the scheduler checks its playbook's steps provide them.
absl::StatusOr<std::set<std::string>> Placeholders(const std::string& text);

}  // namespace mot
