#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "app/notification_app.h"
#include "domain/contact_vault.h"
#include "fakes.h"
#include "gtest/gtest.h"
#include "memory_record_store.h"
#include "mot/common/topics.h"
#include "mot/lifecycle/v1/event.pb.h"
#include "mot/notification/v1/notification.pb.h"
#include "prometheus/registry.h"

namespace mot::notification {
namespace {

std::string Key(char fill) { return absl::Base64Escape(std::string(32, fill)); }

ContactVault Vault(const std::string& spec) {
  auto v = ContactVault::FromSpec(spec);
  EXPECT_TRUE(v.ok()) << v.status();
  return *std::move(v);
}

TEST(ContactVault, SealsSoNothingReadsInTheStoredBytesAndOpensForItsOwner) {
  const auto vault = Vault("k1:" + Key('a'));
  const std::string plain = "mobile 13800138000 email wang@example.cn id 110101199001011234";
  const std::string sealed = vault.Seal("C-1", plain);
  for (const char* planted : {"13800138000", "wang@example.cn", "110101199001011234"}) {
    EXPECT_EQ(sealed.find(planted), std::string::npos) << planted;
  }
  EXPECT_NE(vault.Seal("C-1", plain), sealed) << "a fresh nonce per record";
  auto opened = vault.Open("C-1", sealed);
  ASSERT_TRUE(opened.ok()) << opened.status();
  EXPECT_EQ(*opened, plain);
}

TEST(ContactVault, ATamperedRecordOrAnotherOwnersDoesNotOpen) {
  const auto vault = Vault("k1:" + Key('a'));
  const std::string sealed = vault.Seal("C-1", "13800138000");
  auto other = vault.Open("C-2", sealed);
  EXPECT_TRUE(absl::IsDataLoss(other.status())) << other.status();
  v1::SealedRecord record;
  ASSERT_TRUE(record.ParseFromString(sealed));
  record.mutable_ciphertext()->front() ^= 1;
  auto tampered = vault.Open("C-1", record.SerializeAsString());
  EXPECT_TRUE(absl::IsDataLoss(tampered.status()));
  EXPECT_EQ(tampered.status().message(), "a contact record sealed with key k1 does not open");
  EXPECT_TRUE(absl::IsInvalidArgument(vault.Open("C-1", "plain text").status()));
}

TEST(ContactVault, KeysRotate) {
  const auto old_vault = Vault("k1:" + Key('a'));
  const std::string by_old = old_vault.Seal("C-1", "13800138000");
  const auto rotated = Vault("k2:" + Key('b') + ", k1:" + Key('a'));
  EXPECT_EQ(rotated.current_key_id(), "k2");
  auto opened = rotated.Open("C-1", by_old);
  ASSERT_TRUE(opened.ok()) << opened.status();
  EXPECT_EQ(*opened, "13800138000");
  v1::SealedRecord record;
  ASSERT_TRUE(record.ParseFromString(rotated.Seal("C-1", "x")));
  EXPECT_EQ(record.key_id(), "k2") << "new records are sealed with the first key";
  const auto dropped = Vault("k2:" + Key('b'));
  auto gone = dropped.Open("C-1", by_old);
  EXPECT_TRUE(absl::IsFailedPrecondition(gone.status()));
  EXPECT_EQ(gone.status().message(), "the record's key id k1 is not in MOT_CONTACT_KEYS");
}

TEST(ContactVault, ABadKeySpecNamesTheEntryNeverTheKey) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"", "MOT_CONTACT_KEYS: at least one <key id>:<base64 key> is required"},
      {Key('a'), "MOT_CONTACT_KEYS entry 1: expected <key id>:<base64 key>"},
      {"k1:" + Key('a') + ",k2:c2VjcmV0", "MOT_CONTACT_KEYS entry 2 (key id k2): the key must be 32 bytes in base64"},
      {"k1:not base64!", "MOT_CONTACT_KEYS entry 1 (key id k1): the key must be 32 bytes in base64"},
      {"k1:" + Key('a') + ",k1:" + Key('b'), "MOT_CONTACT_KEYS entry 2: key id k1 is listed twice"},
  };
  for (const auto& [spec, want] : cases) {
    auto v = ContactVault::FromSpec(spec);
    ASSERT_FALSE(v.ok()) << spec;
    EXPECT_EQ(v.status().message(), want) << spec;
    EXPECT_EQ(std::string(v.status().message()).find("c2VjcmV0"), std::string::npos);
  }
}

Work At(const std::string& topic, const std::string& payload, Publisher* out) {
  Incoming in;
  in.topic = topic;
  in.payload = payload;
  return Work{in, out, {}};
}

TEST(OwnerHandler, KeepsProfilesSealedAndForgetsOnRequest) {
  testkit::MemoryRecordStore store;
  const auto vault = Vault("k1:" + Key('a'));
  OwnerBook book(store, vault);
  prometheus::Registry registry;
  OwnerHandler handler(book, registry);
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
}

}  // namespace
}  // namespace mot::notification
