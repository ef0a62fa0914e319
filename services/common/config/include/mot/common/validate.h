#pragma once

#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>

#include "absl/status/status.h"

namespace mot {

// InvalidArgument "<field> is required" for the first field whose value is empty.
absl::Status RequireFields(
    std::initializer_list<std::pair<const char*, const std::string*>> fields);

// Whether `text` is well-formed UTF-8 (no overlong forms, surrogates or code points
// past U+10FFFF): protobuf's string fields take nothing else, and a message holding
// other bytes is written with an error and cannot be read back.
bool IsUtf8(std::string_view text);

}  // namespace mot
