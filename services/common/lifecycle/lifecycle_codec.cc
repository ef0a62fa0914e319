#include "mot/common/lifecycle_codec.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "google/protobuf/util/json_util.h"
#include "mot/common/clock.h"
#include "mot/common/codec.h"
#include "mot/common/validate.h"
#include "nlohmann/json.hpp"

namespace mot {
namespace {

constexpr char kTypePrefix[] = "mot.lifecycle.v1.";

struct Envelope {
  std::string specversion, id, type, source, subject, time;
};

// The data (a JSON object, or a serialized LifecycleEvent when `protobuf`) into
// `out`; the envelope's attributes over it.
absl::Status Assemble(const Envelope& ce, const std::string& data, bool protobuf, const char* where,
                      lifecycle::v1::LifecycleEvent* out) {
  // where: how the mode names attributes ("ce_" for binary headers, "" for JSON).
  auto name = [&](const char* attribute) { return absl::StrCat(where, attribute); };
  if (ce.specversion != "1.0") {
    return absl::InvalidArgumentError(
        absl::StrCat(name("specversion"), ": not supported (CloudEvents 1.0)"));
  }
  if (protobuf && !out->ParseFromString(data)) {
    return absl::InvalidArgumentError("data is not a protobuf mot.lifecycle.v1.LifecycleEvent");
  }
  if (!protobuf && !data.empty()) {
    if (auto s = JsonToMessage(data, out, "data is not a JSON lifecycle event"); !s.ok()) return s;
  }
  if (ce.id.empty()) return absl::InvalidArgumentError(name("id") + " is required");
  if (!absl::StartsWith(ce.type, kTypePrefix) || ce.type.size() == sizeof(kTypePrefix) - 1) {
    return absl::InvalidArgumentError(
        absl::StrCat(name("type"), ": expected ", kTypePrefix, "<type>"));
  }
  out->set_event_id(ce.id);
  out->set_type(ce.type.substr(sizeof(kTypePrefix) - 1));
  if (!ce.subject.empty()) out->set_customer_id(ce.subject);
  if (out->customer_id().empty()) {
    return absl::InvalidArgumentError(name("subject") + " (the customer id) is required");
  }
  if (!ce.source.empty()) out->set_source(ce.source);
  if (ce.time.empty()) {
    if (out->has_occurred_at()) return absl::OkStatus();  // the data says when
    return absl::InvalidArgumentError(name("time") + " is required");
  }
  TimePoint at;
  if (!ParseTime(ce.time, &at)) {
    return absl::InvalidArgumentError(absl::StrCat(name("time"), ": not an RFC 3339 time"));
  }
  *out->mutable_occurred_at() = ToProto(at);
  return absl::OkStatus();
}

std::string Header(const Incoming& in, const std::string& name) {
  auto it = in.headers.find(name);
  return it == in.headers.end() ? "" : it->second;
}

absl::Status FromBinary(const Incoming& in, lifecycle::v1::LifecycleEvent* out) {
  const std::string content_type = Header(in, "content-type");
  const bool protobuf = absl::StrContains(content_type, "protobuf");
  if (!in.payload.empty() && !content_type.empty() && !protobuf &&
      !absl::StrContains(content_type, "json")) {
    return absl::InvalidArgumentError("content-type: the data must be JSON or protobuf");
  }
  // The binding's headers are UTF-8 text; other bytes could not be kept in the event.
  for (const char* name :
       {"ce_specversion", "ce_id", "ce_type", "ce_source", "ce_subject", "ce_time"}) {
    if (!IsUtf8(Header(in, name)))
      return absl::InvalidArgumentError(absl::StrCat(name, ": not UTF-8 text"));
  }
  Envelope ce{Header(in, "ce_specversion"), Header(in, "ce_id"),      Header(in, "ce_type"),
              Header(in, "ce_source"),      Header(in, "ce_subject"), Header(in, "ce_time")};
  return Assemble(ce, in.payload, protobuf, "ce_", out);
}

absl::Status FromStructured(const Incoming& in, lifecycle::v1::LifecycleEvent* out) {
  auto json = nlohmann::json::parse(in.payload, nullptr, false);
  if (!json.is_object()) {
    return absl::InvalidArgumentError("a structured CloudEvent must be a JSON object");
  }
  auto text = [&](const char* key) -> std::string {
    auto it = json.find(key);
    return it != json.end() && it->is_string() ? it->get<std::string>() : "";
  };
  Envelope ce{text("specversion"), text("id"),      text("type"),
              text("source"),      text("subject"), text("time")};
  std::string data;
  if (auto it = json.find("data"); it != json.end() && !it->is_null()) {
    if (!it->is_object()) return absl::InvalidArgumentError("data must be a JSON object");
    data = it->dump();
  }
  return Assemble(ce, data, false, "", out);
}

}  // namespace

absl::Status DecodeLifecycleEvent(const Incoming& in, lifecycle::v1::LifecycleEvent* out) {
  if (in.headers.count("ce_specversion") > 0 || in.headers.count("ce_id") > 0) {
    return FromBinary(in, out);
  }
  if (absl::StartsWith(Header(in, "content-type"), "application/cloudevents+json")) {
    return FromStructured(in, out);
  }
  return DecodeMessage(in, out);
}

absl::StatusOr<std::optional<std::string>> ForgottenCustomer(const Incoming& in) {
  lifecycle::v1::LifecycleEvent event;
  if (!DecodeLifecycleEvent(in, &event).ok() || event.type() != kCustomerForgotten) {
    return std::nullopt;
  }
  if (event.customer_id().empty()) return absl::InvalidArgumentError("customer_id is required");
  return event.customer_id();
}

}  // namespace mot
