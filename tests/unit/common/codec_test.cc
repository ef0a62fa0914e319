// Decoding consumed messages (protobuf or protobuf JSON), and the dead-letter kinds.
#include "mot/common/codec.h"

#include <algorithm>

#include "fakes.h"
#include "gtest/gtest.h"
#include "mot/lifecycle/v1/event.pb.h"

namespace mot {
namespace {

// A protobuf value may start like JSON ('\n' then a 123-byte id's length '{'); without
// a content-type it is read as protobuf when it reads so (found by fuzz_json).
TEST(DecodeMessage, AProtobufThatStartsLikeJsonIsProtobuf) {
  lifecycle::v1::LifecycleEvent e;
  e.set_event_id(std::string(123, 'e'));
  e.set_customer_id("C-1");
  const std::string bytes = e.SerializeAsString();
  ASSERT_EQ(bytes.substr(0, 2), "\n{");
  lifecycle::v1::LifecycleEvent back;
  ASSERT_TRUE(DecodeMessage(testkit::Message("t", bytes), &back).ok());
  EXPECT_EQ(back.customer_id(), "C-1");
  // JSON without a header is still JSON.
  ASSERT_TRUE(DecodeMessage(testkit::Message("t", R"( {"customer_id": "C-2"})"), &back).ok());
  EXPECT_EQ(back.customer_id(), "C-2");
}

// Each reason the consumers give, as the dead-letter metric counts it (the reasons are
// the ones seen on the mesh's DLQs; integration.MeshTest.HostileInput...
TEST(DeadLetterKind, EachReasonHasItsKind) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"payload of 1020019 bytes is over the limit of 1000000 (MOT_KAFKA_MAX_PAYLOAD_BYTES)",
       "oversized"},
      {"step 'welcome_after_signing': its command would be 1000123 bytes", "oversized"},
      {"ce_specversion: not supported (CloudEvents 1.0)", "cloudevents"},
      {"ce_subject (the customer id) is required", "cloudevents"},
      {"content-type: the data must be JSON or protobuf", "cloudevents"},
      {"not a JSON mot.lifecycle.v1.LifecycleEvent: malformed JSON", "malformed_json"},
      {"not a JSON mot.lifecycle.v1.LifecycleEvent: field 'occurred_at' has the wrong type or "
       "format for x",
       "malformed_json"},
      {"not a protobuf mot.ticketing.v1.TicketEvent", "undecodable"},
      {"occurred_at 9999-12-31T00:00:00Z is too far in the future", "time_out_of_range"},
      {"occurred_at 1900-01-01T00:00:00Z is too far in the past", "time_out_of_range"},
      {"requested_at is not a valid time", "time_out_of_range"},
      {"type is not a known event type (docs/events.md, the playbook's triggers)", "unknown_type"},
      {"customer_id is required", "missing_field"},
      {"delivery.customer_id (or delivery.role) is required", "missing_field"},
      {"command.template_id is unknown (not in the templates)", "unknown_value"},
      {"category 'gossip' is not configured (channels.yaml)", "unknown_value"},
      {"time_zone is not an IANA time zone name", "invalid"},
  };
  for (const auto& [reason, kind] : cases) {
    EXPECT_EQ(DeadLetterKind(reason), kind) << reason;
    // The consumer makes a series for each of DeadLetterKinds() at start, none later.
    const auto& kinds = DeadLetterKinds();
    EXPECT_NE(std::find(kinds.begin(), kinds.end(), kind), kinds.end()) << kind;
  }
}

// A refusal of a malformed or mistyped JSON message names the field, never its value.
TEST(DecodeMessage, RefusalsNeverQuoteThePayload) {
  lifecycle::v1::LifecycleEvent out;
  Incoming in;
  in.payload = R"({"customer_id": "张三 +86 138-0013-8000", "occurred_at": "张三 138 0013 8000"})";
  auto s = DecodeMessage(in, &out);
  EXPECT_EQ(s.message(),
            "not a JSON mot.lifecycle.v1.LifecycleEvent: field 'occurred_at' has the wrong type or "
            "format for mot.lifecycle.v1.LifecycleEvent");
  in.payload = R"({"customer_id": "张三 13800138000", "type": )";
  s = DecodeMessage(in, &out);
  EXPECT_EQ(s.message(), "not a JSON mot.lifecycle.v1.LifecycleEvent: malformed JSON");
  in.payload = R"({"attributes": {"phone": 13800138000}})";
  s = DecodeMessage(in, &out);
  EXPECT_EQ(s.message(),
            "not a JSON mot.lifecycle.v1.LifecycleEvent: field 'attributes' has the wrong type or "
            "format for mot.lifecycle.v1.LifecycleEvent");
}

TEST(DecodeMessage, ProtobufJsonAndGarbage) {
  lifecycle::v1::LifecycleEvent e;
  e.set_event_id("ev-1");
  e.set_type("handover");
  Incoming in;
  in.payload = e.SerializeAsString();
  lifecycle::v1::LifecycleEvent out;
  ASSERT_TRUE(DecodeMessage(in, &out).ok());
  EXPECT_EQ(out.type(), "handover");

  in.payload =
      R"({"event_id":"ev-2","type":"contract_signed","occurred_at":"2026-11-01T08:00:00Z"})";
  ASSERT_TRUE(DecodeMessage(in, &out).ok());
  EXPECT_EQ(out.event_id(), "ev-2");
  EXPECT_EQ(out.occurred_at().seconds(), 1793520000);

  in.payload = "{not json";
  auto s = DecodeMessage(in, &out);
  EXPECT_TRUE(absl::IsInvalidArgument(s));
  EXPECT_NE(std::string(s.message()).find("not a JSON mot.lifecycle.v1.LifecycleEvent"),
            std::string::npos);

  in.payload = std::string("\xff\xff\xff\x01garbage", 11);
  EXPECT_TRUE(absl::IsInvalidArgument(DecodeMessage(in, &out)));
  in.payload.clear();
  EXPECT_TRUE(absl::IsInvalidArgument(DecodeMessage(in, &out)));
}

}  // namespace
}  // namespace mot
