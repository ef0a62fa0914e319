// Lifecycle events in both modes of the CloudEvents Kafka binding, as the official
// SDK writes them (tests/integration/cloudevents_test.py sends them for real).
#include "fakes.h"
#include "gtest/gtest.h"
#include "mot/common/clock.h"
#include "mot/common/lifecycle_codec.h"
#include "mot/common/topics.h"

namespace mot::scheduler {
namespace {

Incoming Binary() {
  Incoming in = testkit::Message(kLifecycleTopic, R"({"project_id": "P-CE", "unit_id": "U-1",
      "attributes": {"tier": "A"}})");
  in.headers = {{"ce_specversion", "1.0"},
                {"ce_id", "ev-ce-1"},
                {"ce_type", "mot.lifecycle.v1.contract_signed"},
                {"ce_source", "crm"},
                {"ce_subject", "C-CE-1"},
                {"ce_time", "2026-11-23T08:30:00+08:00"},
                {"content-type", "application/json"}};
  return in;
}

Incoming Structured(const std::string& json) {
  Incoming in = testkit::Message(kLifecycleTopic, json);
  in.headers = {{"content-type", "application/cloudevents+json; charset=utf-8"}};
  return in;
}

const char kStructured[] = R"({"specversion": "1.0", "id": "ev-ce-2", "source": "crm",
    "type": "mot.lifecycle.v1.handover", "subject": "C-CE-2", "time": "2026-11-23T00:30:00Z",
    "datacontenttype": "application/json", "data": {"project_id": "P-CE", "unit_id": "U-2"}})";

TEST(CloudEvents, BinaryModeBecomesALifecycleEvent) {
  lifecycle::v1::LifecycleEvent e;
  ASSERT_TRUE(DecodeLifecycleEvent(Binary(), &e).ok());
  EXPECT_EQ(e.event_id(), "ev-ce-1");
  EXPECT_EQ(e.type(), "contract_signed");
  EXPECT_EQ(e.customer_id(), "C-CE-1");
  EXPECT_EQ(e.source(), "crm");
  EXPECT_EQ(e.project_id(), "P-CE");
  EXPECT_EQ(e.unit_id(), "U-1");
  EXPECT_EQ(e.attributes().at("tier"), "A");
  EXPECT_EQ(FormatTime(FromProto(e.occurred_at())), "2026-11-23T00:30:00Z");
}

TEST(CloudEvents, StructuredModeBecomesALifecycleEvent) {
  lifecycle::v1::LifecycleEvent e;
  ASSERT_TRUE(DecodeLifecycleEvent(Structured(kStructured), &e).ok());
  EXPECT_EQ(e.event_id(), "ev-ce-2");
  EXPECT_EQ(e.type(), "handover");
  EXPECT_EQ(e.customer_id(), "C-CE-2");
  EXPECT_EQ(e.unit_id(), "U-2");
  EXPECT_EQ(FormatTime(FromProto(e.occurred_at())), "2026-11-23T00:30:00Z");
}

TEST(CloudEvents, EachBrokenAttributeIsNamed) {
  auto reason = [](Incoming in) {
    lifecycle::v1::LifecycleEvent e;
    auto s = DecodeLifecycleEvent(in, &e);
    EXPECT_TRUE(absl::IsInvalidArgument(s)) << s;
    return std::string(s.message());
  };
  auto without = [](const std::string& header) {
    Incoming in = Binary();
    in.headers.erase(header);
    return in;
  };
  auto with = [](const std::string& header, const std::string& value) {
    Incoming in = Binary();
    in.headers[header] = value;
    return in;
  };
  EXPECT_EQ(reason(without("ce_id")), "ce_id is required");
  // Bytes that are not UTF-8 could not be kept in the event (found by fuzz_lifecycle_event).
  EXPECT_EQ(reason(with("ce_subject", "C-\xff")), "ce_subject: not UTF-8 text");
  EXPECT_EQ(reason(with("ce_id", "ev-\xc3")), "ce_id: not UTF-8 text");
  // Year 10000 once passed and terminated the consumer in ToProto (found by fuzz_lifecycle_event).
  EXPECT_EQ(reason(with("ce_time", "10000-01-01T00:00:00Z")), "ce_time: not an RFC 3339 time");
  EXPECT_EQ(reason(without("ce_subject")), "ce_subject (the customer id) is required");
  EXPECT_EQ(reason(without("ce_time")), "ce_time is required");
  EXPECT_EQ(reason(with("ce_specversion", "0.3")),
            "ce_specversion: not supported (CloudEvents 1.0)");
  EXPECT_EQ(reason(with("ce_type", "com.example.order")),
            "ce_type: expected mot.lifecycle.v1.<type>");
  EXPECT_EQ(reason(with("ce_type", "mot.lifecycle.v1.")),
            "ce_type: expected mot.lifecycle.v1.<type>");
  EXPECT_EQ(reason(with("ce_time", "yesterday")), "ce_time: not an RFC 3339 time");
  EXPECT_EQ(reason(with("content-type", "text/plain")),
            "content-type: the data must be JSON or protobuf");
  EXPECT_EQ(reason(with("content-type", "application/protobuf")),
            "data is not a protobuf mot.lifecycle.v1.LifecycleEvent");
  Incoming bad_data = Binary();
  bad_data.payload = R"({"unit_id": 7})";
  EXPECT_EQ(reason(bad_data),
            "data is not a JSON lifecycle event: field 'unit_id' has the wrong type or format for "
            "mot.lifecycle.v1.LifecycleEvent");

  std::string s = kStructured;
  EXPECT_EQ(reason(Structured("[1, 2]")), "a structured CloudEvent must be a JSON object");
  EXPECT_EQ(reason(Structured(std::string(s).replace(s.find("\"id\""), 4, "\"xx\""))),
            "id is required");
  EXPECT_EQ(reason(Structured(
                std::string(s).replace(s.find("\"data\": {"), 9, "\"data\": [1], \"x\": {"))),
            "data must be a JSON object");
}

TEST(CloudEvents, BinaryModeWithProtobufDataMayLeaveSubjectAndTimeToTheData) {
  lifecycle::v1::LifecycleEvent data;
  data.set_customer_id("C-CE-3");
  data.set_unit_id("U-3");
  *data.mutable_occurred_at() = ToProto(FromUnixMillis(1'795'000'000'000));
  Incoming in = testkit::Message(kLifecycleTopic, data.SerializeAsString());
  in.headers = {{"content-type", "application/protobuf"},
                {"ce_specversion", "1.0"},
                {"ce_id", "ev-ce-3"},
                {"ce_type", "mot.lifecycle.v1.handover"},
                {"ce_source", "motctl"}};
  lifecycle::v1::LifecycleEvent e;
  ASSERT_TRUE(DecodeLifecycleEvent(in, &e).ok());
  EXPECT_EQ(e.event_id(), "ev-ce-3");
  EXPECT_EQ(e.type(), "handover");
  EXPECT_EQ(e.customer_id(), "C-CE-3");
  EXPECT_EQ(ToUnixMillis(FromProto(e.occurred_at())), 1'795'000'000'000);
}

TEST(CloudEvents, WithoutCloudEventsHeadersItIsProtobufOrJsonAsBefore) {
  lifecycle::v1::LifecycleEvent e;
  e.set_event_id("ev-pb");
  e.set_type("handover");
  lifecycle::v1::LifecycleEvent out;
  ASSERT_TRUE(
      DecodeLifecycleEvent(testkit::Message(kLifecycleTopic, e.SerializeAsString()), &out).ok());
  EXPECT_EQ(out.event_id(), "ev-pb");
  ASSERT_TRUE(
      DecodeLifecycleEvent(
          testkit::Message(kLifecycleTopic, R"({"event_id": "ev-js", "type": "handover"})"), &out)
          .ok());
  EXPECT_EQ(out.event_id(), "ev-js");
}

TEST(CloudEvents, TheOwnerACustomerForgottenAsksToForget) {
  Incoming forget = Binary();
  forget.headers["ce_type"] = "mot.lifecycle.v1.customer_forgotten";
  EXPECT_EQ(ForgottenCustomer(forget).value(), std::optional<std::string>("C-CE-1"));
  lifecycle::v1::LifecycleEvent e;
  e.set_type("customer_forgotten");
  e.set_customer_id("C-PB-1");
  EXPECT_EQ(ForgottenCustomer(testkit::Message(kLifecycleTopic, e.SerializeAsString())).value(),
            std::optional<std::string>("C-PB-1"));
  EXPECT_EQ(ForgottenCustomer(Binary()).value(), std::nullopt) << "another type";
  EXPECT_EQ(ForgottenCustomer(testkit::Message(kLifecycleTopic, "\xff\x01garbage")).value(),
            std::nullopt)
      << "undecodable: the scheduler dead-letters it";
  e.clear_customer_id();
  auto nobody = ForgottenCustomer(testkit::Message(kLifecycleTopic, e.SerializeAsString()));
  EXPECT_EQ(nobody.status().message(), "customer_id is required");
}

}  // namespace
}  // namespace mot::scheduler
