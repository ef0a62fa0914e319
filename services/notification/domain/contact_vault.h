#pragma once

#include <map>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace mot::notification {

// Owners' contact data sealed at rest: AES-256-GCM (OpenSSL), a fresh random 96-bit
// nonce per record, the owner's id as additional data (a record copied to another
// owner does not open), the key's id kept with each record so keys can rotate: new
// records are sealed with the current key, older ones open with theirs. Errors name
// the key id or the rule broken, never a key or the data.
class ContactVault {
 public:
  // "k2:BASE64,k1:BASE64" (MOT_CONTACT_KEYS): each key 32 bytes in base64; records are
  // sealed with the first key, and any listed key opens the records made with it.
  static absl::StatusOr<ContactVault> FromSpec(std::string_view spec);

  // A SealedRecord's bytes.
  std::string Seal(std::string_view owner_id, std::string_view plaintext) const;
  // The plaintext; InvalidArgument when the record is not a sealed record, FailedPrecondition
  // when its key is not configured, DataLoss when it does not open (tampered, other owner).
  absl::StatusOr<std::string> Open(std::string_view owner_id, std::string_view sealed) const;

  const std::string& current_key_id() const { return current_; }

 private:
  std::map<std::string, std::string> keys_;  // id -> 32 raw bytes
  std::string current_;
};

}  // namespace mot::notification
