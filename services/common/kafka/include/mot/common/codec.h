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

}  // namespace mot
