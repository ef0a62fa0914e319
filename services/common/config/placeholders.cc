#include "mot/common/placeholders.h"

#include <cctype>

#include "absl/strings/str_cat.h"

namespace mot {
namespace {

// A variable's name: a letter or '_', then letters, digits or '_'.
bool IsVariableName(const std::string& name) {
  if (name.empty() || std::isdigit(static_cast<unsigned char>(name[0]))) return false;
  for (char c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_') return false;
  }
  return true;
}

}  // namespace

absl::StatusOr<std::set<std::string>> Placeholders(const std::string& text) {
  std::set<std::string> names;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '{') continue;
    if (i + 1 < text.size() && text[i + 1] == '{') {
      ++i;
      continue;
    }
    const size_t close = text.find('}', i);
    if (close == std::string::npos) break;  // fmt names the error
    std::string name = text.substr(i + 1, close - i - 1);
    name = name.substr(0, name.find(':'));
    if (!IsVariableName(name)) {
      return absl::InvalidArgumentError(
          absl::StrCat("placeholder {", name, "}: expected a variable's name"));
    }
    names.insert(name);
    i = close;
  }
  return names;
}

}  // namespace mot
