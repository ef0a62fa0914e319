#pragma once

#include <yaml-cpp/yaml.h>

#include <string>

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

// InvalidArgument "<where>: <what>": how every configuration parser says what is wrong
// and where.
inline absl::Status Fail(const std::string& where, const std::string& what) {
  return absl::InvalidArgumentError(absl::StrCat(where, ": ", what));
}

// InvalidArgument "<where>: '<key>' is required" for the first key `node` lacks.
inline absl::Status RequireKeys(const YAML::Node& node, const std::string& where,
                                std::initializer_list<const char*> keys) {
  for (const char* key : keys) {
    if (!node[key])
      return absl::InvalidArgumentError(absl::StrCat(where, ": '", key, "' is required"));
  }
  return absl::OkStatus();
}

// Whether every key and value in `node` is UTF-8 once read; if not, `*line` is the
// first offender's (0-based; -1 for a node not read from text). yaml-cpp turns some
// valid text into invalid bytes (a NUL byte inside a word came out as 0xA0), so the
// text's check alone is not enough.
inline bool AllUtf8(const YAML::Node& node, int* line) {
  if (node.IsScalar() && !IsUtf8(node.Scalar())) {
    *line = node.Mark().line;
    return false;
  }
  if (node.IsSequence()) {
    for (const auto& item : node) {
      if (!AllUtf8(item, line)) return false;
    }
  }
  if (node.IsMap()) {
    for (const auto& kv : node) {
      if (!AllUtf8(kv.first, line) || !AllUtf8(kv.second, line)) return false;
    }
  }
  return true;
}

// Parses a configuration document; InvalidArgument when it is not YAML, or not UTF-8
// (a file saved as GBK: its titles could not travel in a protobuf message), or holds
// a NUL byte.
inline absl::StatusOr<YAML::Node> ParseYaml(const std::string& text) {
  if (!IsUtf8(text)) return absl::InvalidArgumentError("not UTF-8 text: save the file as UTF-8");
  if (text.find('\0') != std::string::npos)
    return absl::InvalidArgumentError("holds a NUL byte: not a text file");
  try {
    YAML::Node root = YAML::Load(text);
    if (int line = 0; !AllUtf8(root, &line)) {
      return absl::InvalidArgumentError(
          absl::StrCat("line ", line + 1, ": not UTF-8 text once read"));
    }
    return root;
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
