#include "mot/common/codec.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "google/protobuf/util/json_util.h"

namespace mot {
namespace {

bool LooksLikeJson(const Incoming& in) {
  for (const char* name : {"content-type", "ce_datacontenttype"}) {
    auto it = in.headers.find(name);
    if (it != in.headers.end()) return absl::StrContains(it->second, "json");
  }
  size_t i = in.payload.find_first_not_of(" \t\r\n");
  return i != std::string::npos && in.payload[i] == '{';
}

}  // namespace

absl::Status DecodeMessage(const Incoming& in, google::protobuf::Message* out) {
  const std::string type = out->GetDescriptor()->full_name();
  if (in.payload.empty()) return absl::InvalidArgumentError(absl::StrCat("empty ", type));
  if (LooksLikeJson(in)) {
    google::protobuf::util::JsonParseOptions options;
    options.ignore_unknown_fields = true;
    auto s = google::protobuf::util::JsonStringToMessage(in.payload, out, options);
    if (!s.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("not a JSON ", type, ": ", std::string(s.message())));
    }
    return absl::OkStatus();
  }
  if (!out->ParseFromString(in.payload)) {
    return absl::InvalidArgumentError(absl::StrCat("not a protobuf ", type));
  }
  return absl::OkStatus();
}

}  // namespace mot
