#pragma once

#include <initializer_list>
#include <string>
#include <utility>

#include "absl/status/status.h"

namespace mot {

// InvalidArgument "<field> is required" for the first field whose value is empty.
absl::Status RequireFields(
    std::initializer_list<std::pair<const char*, const std::string*>> fields);

}  // namespace mot
