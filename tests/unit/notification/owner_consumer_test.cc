// The owner consumer: profiles kept sealed in the OwnerBook, erased when forgotten.
#include "notification/app/owner_consumer.h"

#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "fakes.h"
#include "gtest/gtest.h"
#include "inspected_store.h"
#include "mot/common/topics.h"
#include "mot/lifecycle/v1/event.pb.h"
#include "notification/app/owner_book.h"
#include "prometheus/registry.h"

namespace mot::notification {
namespace {

Work At(const std::string& topic, const std::string& payload, Publisher* out) {
  Incoming in;
  in.topic = topic;
  in.payload = payload;
  return Work{in, out, {}};
}

TEST(OwnerHandler, KeepsProfilesSealedAndForgetsOnRequest) {
  testkit::InspectedStore store;
  const auto vault = *ContactVault::FromSpec("k1:" + absl::Base64Escape(std::string(32, 'a')));
  OwnerBook book(store, vault);
  prometheus::Registry registry;
  testkit::ManualClock clock(FromUnixMillis(1'793'520'000'000));
  OwnerEraser eraser({book, store, clock, std::chrono::hours(24 * 365 * 5)}, registry);
  OwnerHandler handler(book, eraser, registry);
  testkit::FakePublisher out;
  customer::v1::CustomerProfile p;
  p.set_customer_id("C-9");
  p.set_segment("elderly");
  p.mutable_contact()->set_mobile("+86 138-0013-8000");
  p.mutable_contact()->set_email("li@example.cn");
  customer::v1::CustomerProfile nameless = p;
  nameless.clear_customer_id();
  lifecycle::v1::LifecycleEvent other, forgotten;
  other.set_type("handover");
  other.set_customer_id("C-9");
  forgotten.set_type("customer_forgotten");
  forgotten.set_customer_id("C-9");
  std::vector<Work> batch = {At(kCustomerTopic, p.SerializeAsString(), &out),
                             At(kCustomerTopic, nameless.SerializeAsString(), &out),
                             At(kLifecycleTopic, other.SerializeAsString(), &out)};
  handler.HandleBatch(batch);
  EXPECT_TRUE(batch[0].status.ok()) << batch[0].status;
  EXPECT_EQ(batch[1].status.message(), "customer_id is required");
  EXPECT_TRUE(batch[2].status.ok()) << "other lifecycle events pass";

  auto raw = store.Get("owner:C-9");
  ASSERT_TRUE(raw.ok() && raw->has_value());
  EXPECT_EQ((*raw)->find("138-0013-8000"), std::string::npos);
  EXPECT_EQ((*raw)->find("li@example.cn"), std::string::npos);
  auto kept = book.Get("C-9");
  ASSERT_TRUE(kept.ok() && kept->has_value()) << kept.status();
  EXPECT_EQ((*kept)->contact().mobile(), "+86 138-0013-8000");
  EXPECT_EQ((*kept)->segment(), "elderly");

  std::vector<Work> forget = {At(kLifecycleTopic, forgotten.SerializeAsString(), &out)};
  handler.HandleBatch(forget);
  EXPECT_TRUE(forget[0].status.ok()) << forget[0].status;
  auto after = store.Get("owner:C-9");
  ASSERT_TRUE(after.ok());
  EXPECT_FALSE(after->has_value()) << "the sealed record is erased";
  auto none = book.Get("C-9");
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->has_value());

  // The same request as a CloudEvent in binary mode (a webhook's or a Kafka Connect
  // publisher's): the record is erased too.
  std::vector<Work> again = {At(kCustomerTopic, p.SerializeAsString(), &out)};
  handler.HandleBatch(again);
  ASSERT_TRUE(store.Get("owner:C-9")->has_value());
  Work cloud_event = At(kLifecycleTopic, R"({"project_id": "P-1"})", &out);
  cloud_event.msg.headers = {{"ce_specversion", "1.0"},
                             {"ce_id", "ev-forget-1"},
                             {"ce_type", "mot.lifecycle.v1.customer_forgotten"},
                             {"ce_source", "crm"},
                             {"ce_subject", "C-9"},
                             {"ce_time", "2026-11-01T08:00:00Z"},
                             {"content-type", "application/json"}};
  std::vector<Work> binary = {cloud_event};
  handler.HandleBatch(binary);
  EXPECT_TRUE(binary[0].status.ok()) << binary[0].status;
  EXPECT_FALSE(store.Get("owner:C-9")->has_value()) << "a CloudEvent forgets as well";
}

}  // namespace
}  // namespace mot::notification
