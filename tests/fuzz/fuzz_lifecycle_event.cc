// Lifecycle events as the scheduler and survey's KPI read them off Kafka: a value
// and its headers, decoded by DecodeLifecycleEvent (protobuf, protobuf JSON,
// CloudEvents binary and structured mode), checked by ValidateEvent and planned
// with the shipped playbook.
//
// Input: "name: value" header lines, an empty line, then the value (see
// SplitHeaders; an input starting with an empty line has no headers).
//
// Invariants (abort on violation):
//  - decoding returns a status: it never throws (a protobuf CHECK that fails throws
//    FatalException, which would terminate the consumer);
//  - a refusal (decoding, validation, planning) quotes neither a header's value nor
//    the value: they may hold an owner's name or phone number, and refusals end up in
//    logs and dead-letter headers;
//  - a decoded event re-serialises: its protobuf bytes, published with no header,
//    decode to the same event (and so does its protobuf JSON);
//  - an event ValidateEvent accepts happened within the window around now.
#include <chrono>
#include <memory>
#include <vector>

#include "fuzz_common.h"
#include "google/protobuf/stubs/common.h"
#include "google/protobuf/util/json_util.h"
#include "google/protobuf/util/message_differencer.h"
#include "google/protobuf/util/time_util.h"
#include "mot/common/codec.h"
#include "mot/common/lifecycle_codec.h"
#include "nlohmann/json.hpp"
#include "touchpoint-scheduler/domain/planner.h"
#include "touchpoint-scheduler/domain/playbook.h"

namespace {

using google::protobuf::util::MessageDifferencer;
using mot::lifecycle::v1::LifecycleEvent;

const std::string& PlaybookText() {
  static const std::string text = motfuzz::ShippedConfig("playbook.yaml");
  return text;
}

const mot::scheduler::Playbook& ShippedPlaybook() {
  static const auto* pb = [] {
    auto parsed = mot::scheduler::Playbook::FromYaml(PlaybookText());
    if (!parsed.ok()) motfuzz::Broken("the shipped playbook does not load");
    return new mot::scheduler::Playbook(*std::move(parsed));
  }();
  return *pb;
}

// What the sender wrote: no refusal may quote it.
void CheckRefusal(const absl::Status& s, const mot::Incoming& in, const char* what) {
  if (s.ok()) return;
  const std::string msg = std::string(what) + ": " + std::string(s.message());
  for (const auto& [name, value] : in.headers) motfuzz::CheckNotQuoted(msg, value, {name});
  motfuzz::CheckNotQuoted(msg, in.payload);
}

bool ValidTimestamp(const google::protobuf::Timestamp& t) {
  return motfuzz::Holdable(t) && t.nanos() >= 0 && t.nanos() < 1'000'000'000;
}

// Whether the CloudEvent's time (the ce_time header, or "time" of a structured
// event) is one ParseTime reads but a protobuf Timestamp cannot hold.
bool TimeBeyondTimestamp(const mot::Incoming& in) {
  std::vector<std::string> times;
  if (auto it = in.headers.find("ce_time"); it != in.headers.end()) times.push_back(it->second);
  const auto json = nlohmann::json::parse(in.payload, nullptr, false);
  if (json.is_object()) {
    if (auto it = json.find("time"); it != json.end() && it->is_string())
      times.push_back(it->get<std::string>());
  }
  using google::protobuf::util::TimeUtil;
  for (const auto& text : times) {
    mot::TimePoint at;
    if (!mot::ParseTime(text, &at)) continue;
    const int64_t seconds = mot::ToUnixMillis(at) / 1000;
    if (seconds < TimeUtil::kTimestampMinSeconds || seconds > TimeUtil::kTimestampMaxSeconds)
      return true;
  }
  return false;
}

// Whether every string of the event is UTF-8, as proto3 requires.
bool Utf8Strings(const LifecycleEvent& e) {
  for (const std::string* s :
       {&e.event_id(), &e.type(), &e.customer_id(), &e.unit_id(), &e.project_id(), &e.source()}) {
    if (!motfuzz::IsUtf8(*s)) return false;
  }
  for (const auto& [k, v] : e.attributes()) {
    if (!motfuzz::IsUtf8(k) || !motfuzz::IsUtf8(v)) return false;
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  ShippedPlaybook();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const auto split = motfuzz::SplitHeaders(motfuzz::Str(data, size));
  mot::Incoming in;
  in.topic = "mot.lifecycle.v1";
  in.payload = split.body;
  for (const auto& [name, value] : split.headers)
    in.headers[name] = value;  // the last wins, as in kafka.cc

  LifecycleEvent event;
  absl::Status decoded;
  try {
    decoded = mot::DecodeLifecycleEvent(in, &event);
  } catch (const google::protobuf::FatalException& e) {
    // A protobuf CHECK: uncaught in the service, it terminates the consumer.
    if (TimeBeyondTimestamp(in) && motfuzz::Tolerated("lifecycle-time-beyond-timestamp")) return 0;
    motfuzz::Broken(std::string("DecodeLifecycleEvent threw protobuf's FatalException: ") +
                    e.what());
  }
  CheckRefusal(decoded, in, "decode");
  if (!decoded.ok()) return 0;

  if (!Utf8Strings(event) && motfuzz::Tolerated("lifecycle-header-not-utf8")) return 0;

  // Re-serialises: the protobuf bytes with no header are the same event.
  std::string bytes;
  motfuzz::Check(event.SerializeToString(&bytes), "a decoded event does not serialise");
  const bool sniffed =
      motfuzz::SniffedAsJson(bytes) && motfuzz::Tolerated("protobuf-sniffed-as-json");
  if (!bytes.empty() && !sniffed) {
    mot::Incoming again;
    again.topic = in.topic;
    again.payload = bytes;
    LifecycleEvent copy;
    const absl::Status s = mot::DecodeLifecycleEvent(again, &copy);
    motfuzz::Check(s.ok(),
                   "a decoded event's own protobuf bytes are refused: " + std::string(s.message()));
    motfuzz::Check(MessageDifferencer::Equals(event, copy),
                   "a decoded event's protobuf bytes decode to another event");
  }
  // ... and so does its protobuf JSON (a Timestamp out of JSON's range cannot be written).
  if (!event.has_occurred_at() || ValidTimestamp(event.occurred_at())) {
    std::string json;
    const auto printed = google::protobuf::util::MessageToJsonString(event, &json);
    motfuzz::Check(printed.ok(),
                   "a decoded event cannot be written as JSON: " + printed.ToString());
    mot::Incoming again;
    again.topic = in.topic;
    again.payload = json;
    again.headers["content-type"] = "application/json";
    LifecycleEvent copy;
    const absl::Status s = mot::DecodeLifecycleEvent(again, &copy);
    motfuzz::Check(s.ok(), "a decoded event's own JSON is refused: " + std::string(s.message()));
    copy.DiscardUnknownFields();
    LifecycleEvent known = event;
    known.DiscardUnknownFields();
    motfuzz::Check(MessageDifferencer::Equals(known, copy),
                   "a decoded event's JSON decodes to another event");
  }

  // The scheduler's check: within the window around now, compared in seconds.
  const mot::TimePoint now = mot::FromUnixMillis(1'780'000'000'000);  // 2026-05-28
  const mot::scheduler::EventWindow window;
  const absl::Status valid = mot::scheduler::ValidateEvent(event, now, window);
  CheckRefusal(valid, in, "validate");
  if (!valid.ok()) return 0;
  const mot::TimePoint at = mot::FromProto(event.occurred_at());
  motfuzz::Check(at >= now - window.max_age - std::chrono::seconds(3) &&
                     at <= now + window.max_ahead + std::chrono::seconds(3),
                 "ValidateEvent accepted an event outside its window: " + mot::FormatTime(at));

  // Planned with the shipped playbook: a refusal names the step and attribute only.
  const auto& pb = ShippedPlaybook();
  auto planned = mot::scheduler::Plan(pb, event);
  if (!planned.ok()) {
    const std::string msg(planned.status().message());
    for (const auto& [name, value] : event.attributes()) {
      motfuzz::CheckNotQuoted(msg, value, {name, PlaybookText()});
    }
  }
  auto moved = mot::scheduler::Reanchor(pb, event, {});
  if (!moved.ok()) {
    const std::string msg(moved.status().message());
    for (const auto& [name, value] : event.attributes()) {
      motfuzz::CheckNotQuoted(msg, value, {name, PlaybookText(), event.type()});
    }
  }
  return 0;
}
