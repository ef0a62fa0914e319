#pragma once

#include <string>

#include <yaml-cpp/yaml.h>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"

namespace mot {

// Parses a configuration document and returns its top-level `key` section, which
// must be a non-empty map or list. InvalidArgument says what is wrong.
inline absl::StatusOr<YAML::Node> YamlSection(const std::string& text, const char* key,
                                              const char* expected) {
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(absl::StrCat("not YAML: ", e.what()));
  }
  YAML::Node section = root.IsMap() ? root[key] : YAML::Node();
  if (!section || !(section.IsMap() || section.IsSequence()) || section.size() == 0) {
    return absl::InvalidArgumentError(absl::StrCat("'", key, "' must be ", expected));
  }
  return section;
}

}  // namespace mot
