#pragma once

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "google/protobuf/message.h"
#include "mot/common/kafka.h"

namespace mot {

// Topic names shared by the services.
inline constexpr char kLifecycleTopic[] = "mot.lifecycle.v1";
inline constexpr char kTicketingCommandsTopic[] = "mot.ticketing.commands.v1";
inline constexpr char kNotificationCommandsTopic[] = "mot.notification.commands.v1";
inline constexpr char kSurveyCommandsTopic[] = "mot.survey.commands.v1";
inline constexpr char kTicketEventsTopic[] = "mot.ticket.v1";
inline constexpr char kNotificationEventsTopic[] = "mot.notification.v1";
inline constexpr char kSurveyEventsTopic[] = "mot.survey.v1";

// Every topic of the mesh: the seven above and, for each, its dead-letter topic.
std::vector<std::string> AllTopics();

// Decodes a message body into `out`: protobuf binary by default, protobuf JSON
// when the content-type header (or the CloudEvents "ce_datacontenttype" /
// "content-type" header) says application/json or the body starts with '{'.
// InvalidArgument with the reason when it cannot be decoded.
absl::Status DecodeMessage(const Incoming& in, google::protobuf::Message* out);

// InvalidArgument "<field> is required" for the first field whose value is empty.
absl::Status RequireFields(
    std::initializer_list<std::pair<const char*, const std::string*>> fields);

}  // namespace mot
