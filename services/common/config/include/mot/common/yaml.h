#pragma once

#include <string>

#include <yaml-cpp/yaml.h>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "mot/common/validate.h"

namespace mot {

// The top-level `key` section of a parsed document, which must be a non-empty map
// or list. InvalidArgument says what is wrong.
inline absl::StatusOr<YAML::Node> YamlSection(const YAML::Node& root, const char* key,
                                              const char* expected) {
  YAML::Node section = root.IsMap() ? root[key] : YAML::Node();
  if (!section || !(section.IsMap() || section.IsSequence()) || section.size() == 0) {
    return absl::InvalidArgumentError(absl::StrCat("'", key, "' must be ", expected));
  }
  return section;
}

// InvalidArgument "<where>: '<key>' is required" for the first key `node` lacks.
inline absl::Status RequireKeys(const YAML::Node& node, const std::string& where,
                                std::initializer_list<const char*> keys) {
  for (const char* key : keys) {
    if (!node[key]) return absl::InvalidArgumentError(absl::StrCat(where, ": '", key, "' is required"));
  }
  return absl::OkStatus();
}

// Parses a configuration document; InvalidArgument when it is not YAML, or not UTF-8
// (a file saved as GBK: its titles could not travel in a protobuf message).
inline absl::StatusOr<YAML::Node> ParseYaml(const std::string& text) {
  if (!IsUtf8(text)) return absl::InvalidArgumentError("not UTF-8 text: save the file as UTF-8");
  try {
    return YAML::Load(text);
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(absl::StrCat("not YAML: ", e.what()));
  }
}

// Parses a configuration document and returns its top-level `key` section.
inline absl::StatusOr<YAML::Node> YamlSection(const std::string& text, const char* key,
                                              const char* expected) {
  auto root = ParseYaml(text);
  if (!root.ok()) return root.status();
  return YamlSection(*root, key, expected);
}

// Runs a configuration parser, turning the exceptions yaml-cpp throws for a node
// of the wrong shape (a list where a map belongs, a map where a word belongs ...)
// into InvalidArgument with the line.
template <typename Parse>
auto GuardYaml(Parse parse) -> decltype(parse()) {
  try {
    return parse();
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(
        absl::StrCat("line ", e.mark.line + 1, ": ", e.msg.empty() ? e.what() : e.msg));
  }
}

}  // namespace mot
