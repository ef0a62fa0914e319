#include "mot/common/codec.h"

#include <optional>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "google/protobuf/util/json_util.h"
#include "nlohmann/json.hpp"

namespace mot {
namespace {

// Whether a header says how the body is written: JSON (true) or not (false).
std::optional<bool> DeclaredJson(const Incoming& in) {
  for (const char* name : {"content-type", "ce_datacontenttype"}) {
    auto it = in.headers.find(name);
    if (it != in.headers.end()) return absl::StrContains(it->second, "json");
  }
  return std::nullopt;
}

// Without a header: a body starting with '{' past white space. (Protobuf can start so
// too: field 1's tag is '\n', and a 123-byte id's length is '{'.)
bool StartsLikeJson(const std::string& payload) {
  size_t i = payload.find_first_not_of(" \t\r\n");
  return i != std::string::npos && payload[i] == '{';
}

}  // namespace

absl::Status JsonToMessage(const std::string& json, google::protobuf::Message* out,
                           const std::string& what) {
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = true;
  if (google::protobuf::util::JsonStringToMessage(json, out, options).ok()) return absl::OkStatus();
  // The library's own text quotes the input: say instead what is wrong, by field.
  const auto parsed = nlohmann::json::parse(json, nullptr, false);
  if (parsed.is_discarded())
    return absl::InvalidArgumentError(absl::StrCat(what, ": malformed JSON"));
  if (!parsed.is_object())
    return absl::InvalidArgumentError(absl::StrCat(what, ": expected a JSON object"));
  std::unique_ptr<google::protobuf::Message> one(out->New());
  for (const auto& [key, value] : parsed.items()) {
    one->Clear();
    if (!google::protobuf::util::JsonStringToMessage(nlohmann::json{{key, value}}.dump(), one.get(),
                                                     options)
             .ok()) {
      // A known field (unknown ones are ignored), so its name is the schema's, not the sender's.
      return absl::InvalidArgumentError(absl::StrCat(what, ": field '", key,
                                                     "' has the wrong type or format for ",
                                                     out->GetDescriptor()->full_name()));
    }
  }
  return absl::InvalidArgumentError(
      absl::StrCat(what, ": does not fit ", out->GetDescriptor()->full_name()));
}

absl::Status DecodeMessage(const Incoming& in, google::protobuf::Message* out) {
  const std::string type = out->GetDescriptor()->full_name();
  if (in.payload.empty()) return absl::InvalidArgumentError(absl::StrCat("empty ", type));
  const std::optional<bool> json = DeclaredJson(in);
  if (json.value_or(false)) return JsonToMessage(in.payload, out, "not a JSON " + type);
  // Undeclared and starting like JSON: protobuf if it reads as protobuf (JSON text does
  // not: '{' opens a group that JSON never closes), else JSON.
  if (!json && StartsLikeJson(in.payload) && !out->ParseFromString(in.payload)) {
    out->Clear();
    return JsonToMessage(in.payload, out, "not a JSON " + type);
  }
  if (!json && StartsLikeJson(in.payload)) return absl::OkStatus();
  if (!out->ParseFromString(in.payload)) {
    return absl::InvalidArgumentError(absl::StrCat("not a protobuf ", type));
  }
  return absl::OkStatus();
}

const std::vector<std::string>& DeadLetterKinds() {
  static const std::vector<std::string> kinds = {
      "oversized",    "cloudevents",   "malformed_json", "undecodable", "time_out_of_range",
      "unknown_type", "missing_field", "unknown_value",  "invalid"};
  return kinds;
}

std::string DeadLetterKind(const std::string& reason) {
  const auto has = [&reason](std::string_view part) {
    return reason.find(part) != std::string::npos;
  };
  if (has("over the limit of") || has("its command would be") || has("Message size too large")) {
    return "oversized";
  }
  if (reason.rfind("ce_", 0) == 0 || has("CloudEvent") || has("content-type:"))
    return "cloudevents";
  if (has("malformed JSON") || has("expected a JSON object") || has("wrong type or format") ||
      has("does not fit")) {
    return "malformed_json";
  }
  if (has("not a protobuf")) return "undecodable";
  if (has("too far in the") || has("is not a valid time")) return "time_out_of_range";
  if (has("is not a known event type") || has("is not a known delivery status"))
    return "unknown_type";
  if (has(" is required") || has(" is missing")) return "missing_field";
  if (has("unknown") || has("is not one of") || has("has no such") || has("is not configured")) {
    return "unknown_value";
  }
  return "invalid";
}

}  // namespace mot
