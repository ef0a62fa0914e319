#pragma once

#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "mot/common/kafka.h"
#include "mot/lifecycle/v1/event.pb.h"

namespace mot {

// A lifecycle event as published: protobuf or protobuf JSON (DecodeMessage), or a
// CloudEvent in either mode of the CloudEvents Kafka protocol binding (1.0):
//  binary      ce_specversion, ce_id, ce_type, ce_source, ce_subject, ce_time headers;
//              the value is the data: JSON (project_id, unit_id, attributes ...), or
//              with content-type application/protobuf a serialized LifecycleEvent;
//  structured  content-type application/cloudevents+json; the value is the event as
//              JSON with its data in "data".
// ce type is mot.lifecycle.v1.<type>; id becomes event_id, subject customer_id, time
// occurred_at, source source (subject and time may be left to the data). InvalidArgument names the
// CloudEvents attribute or the data field that is wrong.
absl::Status DecodeLifecycleEvent(const Incoming& in, lifecycle::v1::LifecycleEvent* out);

// The owner a customer_forgotten event in `in` asks to forget (PIPL), for the services
// that erase on it; nullopt for any other event, and for one that does not decode (the
// scheduler owns the lifecycle topic's dead letters: it dead-letters it once).
// InvalidArgument "customer_id is required" when the event names nobody.
inline constexpr char kCustomerForgotten[] = "customer_forgotten";
absl::StatusOr<std::optional<std::string>> ForgottenCustomer(const Incoming& in);

}  // namespace mot
