#pragma once

#include <map>
#include <string>

#include "absl/status/statusor.h"
#include "survey/domain/scores.h"

namespace mot::survey {

// The answers a survey page's form posts, as the HTTP library decoded them (field
// name -> value): "<question>" holds a score (nps, csat), an option (choice) or text;
// "<question>.expectation" and "<question>.perception" a SERVQUAL pair. An empty field
// is no answer. InvalidArgument naming the field (never its value): a name that is
// no question of the survey, a field given twice, a score that is not a whole number,
// text longer than `max_text` bytes. Whether the answers satisfy the survey is
// Validate's business.
absl::StatusOr<std::map<std::string, Answer>> AnswersFromForm(
    const std::vector<Question>& questions, const std::multimap<std::string, std::string>& fields,
    size_t max_text);

}  // namespace mot::survey
