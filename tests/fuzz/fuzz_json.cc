// The other messages the services decode off Kafka with DecodeMessage (protobuf, or
// protobuf JSON when a content-type says so or the value starts with '{'):
// notification's commands and profiles, survey's and ticketing's commands, the
// domain events the scheduler and survey's KPI read.
//
// Input: the message type's name on the first line (e.g. OpenTicketCommand; another
// name picks a type by its hash), then as in fuzz_lifecycle_event: "name: value"
// header lines, an empty line, the value (an empty second line: no header).
//
// Invariants (abort on violation):
//  - a refusal quotes neither a header's value nor the value;
//  - a decoded message re-serialises: its protobuf bytes decode to the same message,
//    and so does its protobuf JSON (when it can be written as JSON).
#include <functional>
#include <memory>
#include <vector>

#include "fuzz_common.h"
#include "google/protobuf/util/json_util.h"
#include "google/protobuf/util/message_differencer.h"
#include "mot/common/codec.h"
#include "mot/customer/v1/profile.pb.h"
#include "mot/lifecycle/v1/event.pb.h"
#include "mot/notification/v1/notification.pb.h"
#include "mot/survey/v1/survey.pb.h"
#include "mot/ticketing/v1/ticketing.pb.h"

namespace {

using google::protobuf::Message;
using google::protobuf::util::MessageDifferencer;

// Every type a service decodes from a topic (grep DecodeMessage in services/*/app).
const std::vector<const Message*>& Types() {
  static const std::vector<const Message*> types = {
      &mot::notification::v1::SendNotificationCommand::default_instance(),
      &mot::notification::v1::NotificationEvent::default_instance(),
      &mot::customer::v1::CustomerProfile::default_instance(),
      &mot::lifecycle::v1::LifecycleEvent::default_instance(),
      &mot::survey::v1::CreateSurveyCommand::default_instance(),
      &mot::survey::v1::SurveyEvent::default_instance(),
      &mot::ticketing::v1::OpenTicketCommand::default_instance(),
      &mot::ticketing::v1::TicketEvent::default_instance(),
  };
  return types;
}

const Message& TypeNamed(const std::string& name) {
  for (const Message* m : Types()) {
    if (m->GetDescriptor()->name() == name || m->GetDescriptor()->full_name() == name) return *m;
  }
  return *Types()[std::hash<std::string>()(name) % Types().size()];
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string input = motfuzz::Str(data, size);
  const size_t nl = input.find('\n');
  const std::string type = input.substr(0, nl);
  const auto split = motfuzz::SplitHeaders(nl == std::string::npos ? "" : input.substr(nl + 1));
  mot::Incoming in;
  in.topic = "fuzz";
  in.payload = split.body;
  for (const auto& [name, value] : split.headers) in.headers[name] = value;

  const Message& prototype = TypeNamed(type);
  std::unique_ptr<Message> msg(prototype.New());
  const absl::Status decoded = mot::DecodeMessage(in, msg.get());
  if (!decoded.ok()) {
    const std::string text(decoded.message());
    for (const auto& [name, value] : in.headers) motfuzz::CheckNotQuoted(text, value, {name});
    motfuzz::CheckNotQuoted(text, in.payload);
    return 0;
  }
  const std::string what = msg->GetDescriptor()->full_name();

  std::string bytes;
  motfuzz::Check(msg->SerializeToString(&bytes), "a decoded " + what + " does not serialise");
  const bool sniffed =
      motfuzz::SniffedAsJson(bytes) && motfuzz::Tolerated("protobuf-sniffed-as-json");
  if (!bytes.empty() && !sniffed) {
    mot::Incoming again;
    again.payload = bytes;
    std::unique_ptr<Message> copy(prototype.New());
    const absl::Status s = mot::DecodeMessage(again, copy.get());
    motfuzz::Check(s.ok(), "a decoded " + what +
                               "'s own protobuf bytes are refused: " + std::string(s.message()));
    motfuzz::Check(MessageDifferencer::Equals(*msg, *copy),
                   "a decoded " + what + "'s protobuf bytes decode to another message");
  }

  // JSON cannot write every protobuf value (a Timestamp out of its range): only
  // what it writes must come back.
  std::string json;
  if (google::protobuf::util::MessageToJsonString(*msg, &json).ok()) {
    mot::Incoming again;
    again.payload = json;
    again.headers["content-type"] = "application/json";
    std::unique_ptr<Message> copy(prototype.New());
    const absl::Status s = mot::DecodeMessage(again, copy.get());
    motfuzz::Check(s.ok(),
                   "a decoded " + what + "'s own JSON is refused: " + std::string(s.message()));
    std::unique_ptr<Message> known(msg->New());
    known->CopyFrom(*msg);
    known->DiscardUnknownFields();
    copy->DiscardUnknownFields();
    motfuzz::Check(MessageDifferencer::Equals(*known, *copy),
                   "a decoded " + what + "'s JSON decodes to another message");
  }
  return 0;
}
