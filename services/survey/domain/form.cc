#include "survey/domain/form.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace mot::survey {
namespace {

absl::Status BadField(const std::string& name, const std::string& rule) {
  return absl::InvalidArgumentError(absl::StrCat("form field '", name, "': ", rule));
}

}  // namespace

absl::StatusOr<std::map<std::string, Answer>> AnswersFromForm(
    const std::vector<Question>& questions, const std::multimap<std::string, std::string>& fields,
    size_t max_text) {
  std::map<std::string, const Question*> by_id;
  for (const auto& q : questions) by_id[q.id] = &q;
  std::map<std::string, Answer> out;
  for (auto it = fields.begin(); it != fields.end(); it = fields.upper_bound(it->first)) {
    const std::string& name = it->first;
    if (fields.count(name) > 1) return BadField(name, "given more than once");
    const std::string& value = it->second;
    // "<question>" or "<question>.<part>" (SERVQUAL).
    const auto dot = name.find('.');
    const std::string id = name.substr(0, dot);
    const std::string part = dot == std::string::npos ? "" : name.substr(dot + 1);
    auto q = by_id.find(id);
    // The name is the poster's: not echoed (it could hold anything).
    if (q == by_id.end())
      return absl::InvalidArgumentError("a form field names no question of this survey");
    const bool pair = q->second->kind == QuestionKind::kServqual;
    if (pair ? part != "expectation" && part != "perception" : dot != std::string::npos) {
      return BadField(name, pair ? "expected <question>.expectation or <question>.perception"
                                 : "expected the question's id");
    }
    if (value.empty()) continue;  // left blank: no answer
    Answer& a = out[id];
    switch (q->second->kind) {
      case QuestionKind::kNps:
      case QuestionKind::kCsat:
      case QuestionKind::kServqual: {
        // Digits only (SimpleAtoi alone would take " 9" and "+9").
        const size_t digits = value[0] == '-' ? 1 : 0;
        int v = 0;
        if (value.size() == digits ||
            value.find_first_not_of("0123456789", digits) != std::string::npos ||
            !absl::SimpleAtoi(value, &v)) {
          return BadField(name, "expected a whole number");
        }
        (part.empty() ? a.score : part == "expectation" ? a.expectation : a.perception) = v;
        break;
      }
      case QuestionKind::kChoice:
      case QuestionKind::kText:
        if (value.size() > max_text)
          return BadField(name, absl::StrCat("longer than ", max_text, " bytes"));
        a.text = value;
        break;
    }
  }
  return out;
}

}  // namespace mot::survey
