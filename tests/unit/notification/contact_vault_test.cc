#include "notification/domain/contact_vault.h"

#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "fakes.h"
#include "gtest/gtest.h"
#include "mot/notification/v1/notification.pb.h"

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
      {"k1:" + Key('a') + ",k2:c2VjcmV0",
       "MOT_CONTACT_KEYS entry 2 (key id k2): the key must be 32 bytes in base64"},
      {"k1:not base64!",
       "MOT_CONTACT_KEYS entry 1 (key id k1): the key must be 32 bytes in base64"},
      {"k1:" + Key('a') + ",k1:" + Key('b'), "MOT_CONTACT_KEYS entry 2: key id k1 is listed twice"},
  };
  for (const auto& [spec, want] : cases) {
    auto v = ContactVault::FromSpec(spec);
    ASSERT_FALSE(v.ok()) << spec;
    EXPECT_EQ(v.status().message(), want) << spec;
    EXPECT_EQ(std::string(v.status().message()).find("c2VjcmV0"), std::string::npos);
  }
}

}  // namespace
}  // namespace mot::notification
