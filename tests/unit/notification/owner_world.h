#pragma once

// Notification over in-memory parts, with one owner whose personal data is planted
// everywhere notification keeps some: the sealed profile (mobile, email, WeCom id,
// device token), preferences set through the API, a delivery whose provider's answer
// echoes the owner's mobile, one retrying on its timer and one held for the owner's
// quiet hours, both with a name in their variables (as a careless event might carry).
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "fakes.h"
#include "gtest/gtest.h"
#include "inspected_store.h"
#include "memory_cap_ledger.h"
#include "memory_timers.h"
#include "mot/common/ids.h"
#include "mot/common/topics.h"
#include "mot/lifecycle/v1/event.pb.h"
#include "notification/app/command_consumer.h"
#include "notification/app/deferred_sends.h"
#include "notification/app/notification_service.h"
#include "notification/app/owner_book.h"
#include "notification/app/owner_consumer.h"
#include "notification/app/owner_eraser.h"
#include "notification/app/owner_export.h"
#include "prometheus/registry.h"

namespace mot::notification {

// An SMS gateway that answers with the number it sent to (as some do), or is busy.
class EchoingSms : public Provider {
 public:
  std::string ContactPoint() const override { return "mobile"; }
  absl::StatusOr<std::string> Send(const OutgoingMessage& m) override {
    if (busy) return absl::UnavailableError(absl::StrCat("gateway busy, not sent to ", m.to));
    return absl::StrCat("HTTP 200 accepted for ", m.to);
  }
  bool busy = false;
};

class OwnerWorld : public ::testing::Test {
 protected:
  static constexpr char kOwner[] = "C-7";
  // What is planted, each a string that must be nowhere once the owner is forgotten.
  static std::vector<std::string> Planted() {
    return {"139-0000-7788", "wang.xiaoming@example.cn", "wxm-wecom-0801", "apns-token-7788",
            "王小明"};
  }

  void Plant() {
    customer::v1::CustomerProfile p;
    p.set_customer_id(kOwner);
    p.set_segment("young");
    p.mutable_contact()->set_mobile("+86 139-0000-7788");
    p.mutable_contact()->set_email("wang.xiaoming@example.cn");
    p.mutable_contact()->set_wecom_user_id("wxm-wecom-0801");
    p.mutable_contact()->set_app_device_token("apns-token-7788");
    ASSERT_TRUE(owners_.Put(p).ok());
    customer::v1::Preferences prefs;
    prefs.add_preferred_channels("sms");
    prefs.add_opted_out_categories("marketing");
    prefs.set_updated_by("manager-zhao");
    ASSERT_TRUE(owners_.SetPreferences(kOwner, prefs).ok());
    ASSERT_TRUE(Handle(Command("tp-sent", "service")).ok());  // DELIVERED
    clock_.Advance(std::chrono::minutes(1));
    sms_.busy = true;
    ASSERT_TRUE(Handle(Command("tp-retry", "service")).ok());  // RETRYING, held
    sms_.busy = false;
    clock_.Advance(std::chrono::hours(7) + std::chrono::minutes(10));  // 23:11 in Shanghai
    ASSERT_TRUE(Handle(Command("tp-night", "care")).ok());             // DEFERRED, held
    ASSERT_EQ(Recorded("tp-sent").status(), v1::DELIVERY_STATUS_DELIVERED);
    ASSERT_EQ(Recorded("tp-retry").status(), v1::DELIVERY_STATUS_RETRYING);
    ASSERT_EQ(Recorded("tp-night").status(), v1::DELIVERY_STATUS_DEFERRED);
  }

  v1::SendNotificationCommand Command(const std::string& id, const std::string& category) {
    v1::SendNotificationCommand cmd;
    cmd.set_command_id(id);
    cmd.set_touchpoint_id(id);
    cmd.set_customer_id(kOwner);
    cmd.set_template_id("welcome_signed");
    cmd.set_category(category);
    (*cmd.mutable_variables())["project_id"] = "P-SH01";
    (*cmd.mutable_variables())["unit_id"] = "U-0801 王小明";
    (*cmd.mutable_variables())["event_date"] = "2026-11-14";
    return cmd;
  }
  absl::Status Handle(const v1::SendNotificationCommand& cmd) {
    return commands_.Handle(testkit::Message(kNotificationCommandsTopic, cmd.SerializeAsString()),
                            events_);
  }
  absl::Status Forget() {
    lifecycle::v1::LifecycleEvent e;
    e.set_type("customer_forgotten");
    e.set_customer_id(kOwner);
    std::vector<Work> batch = {
        {testkit::Message(kLifecycleTopic, e.SerializeAsString()), &events_, {}}};
    owner_handler_.HandleBatch(batch);
    return batch[0].status;
  }
  static std::string IdOf(const std::string& command_id) {
    return DeterministicId("dl", {command_id});
  }
  v1::Delivery Recorded(const std::string& command_id) {
    v1::Delivery d;
    auto raw = store_.Get(IdOf(command_id));
    EXPECT_TRUE(raw.ok() && raw->has_value()) << command_id;
    if (raw.ok() && raw->has_value()) EXPECT_TRUE(d.ParseFromString(**raw));
    return d;
  }
  // The planted strings found in `bytes`.
  static std::vector<std::string> Found(const std::string& bytes) {
    std::vector<std::string> out;
    for (const auto& p : Planted()) {
      if (bytes.find(p) != std::string::npos) out.push_back(p);
    }
    return out;
  }

  const std::chrono::milliseconds retention_ = std::chrono::hours(24 * 365 * 5);
  TemplateSet templates_ = *TemplateSet::FromYaml(testkit::ShippedConfig("templates.yaml"));
  Routing routing_ = *Routing::FromYaml(testkit::ShippedConfig("channels.yaml"));
  ContactVault vault_ = *ContactVault::FromSpec("k1:" + absl::Base64Escape(std::string(32, 'k')));
  EchoingSms sms_;
  testkit::InspectedStore store_;
  testkit::FakePublisher events_;  // the consumers' events
  testkit::FakePublisher again_;   // the commands the deferred sends publish again
  // 2026-11-01 16:00 in Shanghai.
  testkit::ManualClock clock_{FromUnixMillis(1'793'520'000'000)};
  prometheus::Registry registry_;
  OwnerBook owners_{store_, vault_};
  testkit::MemoryCapLedger caps_{routing_.cap_within()};
  testkit::MemoryTimers timers_{{"notification.deferred", 16}};
  DeferredSends deferred_{store_, timers_, again_, clock_, ClaimOptions{}};
  CommandHandler commands_{
      templates_, {{"sms", &sms_}},
      store_,     clock_,
      registry_,  {routing_, owners_, caps_, deferred_, TimeWindow{}, retention_}};
  OwnerEraser eraser_{{owners_, store_, clock_, retention_}, registry_};
  OwnerHandler owner_handler_{owners_, eraser_, registry_};
  OwnerExport exporter_{{owners_, store_, templates_, retention_}};
  NotificationGrpc grpc_{{store_, 100, templates_, routing_, owners_, events_, exporter_}};
};

}  // namespace mot::notification
