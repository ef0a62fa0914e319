#include "mot/common/validate.h"

#include "absl/strings/str_cat.h"

namespace mot {

absl::Status RequireFields(
    std::initializer_list<std::pair<const char*, const std::string*>> fields) {
  for (const auto& [name, value] : fields) {
    if (value->empty()) return absl::InvalidArgumentError(absl::StrCat(name, " is required"));
  }
  return absl::OkStatus();
}

}  // namespace mot
