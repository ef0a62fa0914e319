#pragma once

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "google/protobuf/message.h"
#include "mot/common/kafka.h"

namespace mot {

// Decodes a message body into `out`: protobuf binary by default, protobuf JSON
// when the content-type header (or the CloudEvents "ce_datacontenttype" /
// "content-type" header) says application/json or the body starts with '{'.
// InvalidArgument with the reason when it cannot be decoded.
absl::Status DecodeMessage(const Incoming& in, google::protobuf::Message* out);

// Protobuf JSON (unknown fields ignored) into `out`. InvalidArgument starting with
// `what` says what is wrong (malformed JSON, not an object, the field with the wrong
// type or format) and never quotes the input: refusals end up in logs and dead-letter
// headers, and the input may hold an owner's name or phone number.
absl::Status JsonToMessage(const std::string& json, google::protobuf::Message* out,
                           const std::string& what);

// The kind of a dead-letter reason, for the metric that counts them (a label with a
// handful of values): oversized, cloudevents, malformed_json, undecodable,
// time_out_of_range, missing_field, unknown_value, or invalid.
std::string DeadLetterKind(const std::string& reason);
// Every kind DeadLetterKind names.
const std::vector<std::string>& DeadLetterKinds();

}  // namespace mot
