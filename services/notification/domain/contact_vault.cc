#include "notification/domain/contact_vault.h"

#include <openssl/evp.h>
#include <openssl/rand.h>

#include <memory>
#include <stdexcept>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "mot/notification/v1/notification.pb.h"

namespace mot::notification {
namespace {

constexpr size_t kKeyBytes = 32, kNonceBytes = 12, kTagBytes = 16;

using Ctx = std::unique_ptr<EVP_CIPHER_CTX, decltype(&EVP_CIPHER_CTX_free)>;

Ctx NewCtx() {
  Ctx ctx(EVP_CIPHER_CTX_new(), &EVP_CIPHER_CTX_free);
  if (!ctx) throw std::bad_alloc();
  return ctx;
}

unsigned char* Bytes(std::string& s) { return reinterpret_cast<unsigned char*>(s.data()); }
const unsigned char* Bytes(std::string_view s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}

}  // namespace

absl::StatusOr<ContactVault> ContactVault::FromSpec(std::string_view spec) {
  ContactVault vault;
  int position = 0;
  for (absl::string_view entry :
       absl::StrSplit(absl::string_view(spec.data(), spec.size()), ',', absl::SkipWhitespace())) {
    ++position;
    entry = absl::StripAsciiWhitespace(entry);
    const auto colon = entry.find(':');
    const std::string where = absl::StrCat("MOT_CONTACT_KEYS entry ", position);
    if (colon == absl::string_view::npos || colon == 0) {
      return absl::InvalidArgumentError(where + ": expected <key id>:<base64 key>");
    }
    const std::string id(entry.substr(0, colon));
    std::string key;
    if (!absl::Base64Unescape(entry.substr(colon + 1), &key) || key.size() != kKeyBytes) {
      return absl::InvalidArgumentError(
          absl::StrCat(where, " (key id ", id, "): the key must be 32 bytes in base64"));
    }
    if (!vault.keys_.emplace(id, std::move(key)).second) {
      return absl::InvalidArgumentError(absl::StrCat(where, ": key id ", id, " is listed twice"));
    }
    if (vault.current_.empty()) vault.current_ = id;
  }
  if (vault.keys_.empty()) {
    return absl::InvalidArgumentError(
        "MOT_CONTACT_KEYS: at least one <key id>:<base64 key> is required");
  }
  return vault;
}

std::string ContactVault::Seal(std::string_view owner_id, std::string_view plaintext) const {
  const std::string& key = keys_.at(current_);
  v1::SealedRecord record;
  record.set_key_id(current_);
  std::string nonce(kNonceBytes, '\0');
  if (RAND_bytes(Bytes(nonce), kNonceBytes) != 1) throw std::runtime_error("no random bytes");
  std::string out(plaintext.size() + kTagBytes, '\0');
  auto ctx = NewCtx();
  int n = 0, total = 0;
  if (EVP_EncryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, Bytes(key), Bytes(nonce)) != 1 ||
      EVP_EncryptUpdate(ctx.get(), nullptr, &n, Bytes(owner_id),
                        static_cast<int>(owner_id.size())) != 1 ||
      EVP_EncryptUpdate(ctx.get(), Bytes(out), &n, Bytes(plaintext),
                        static_cast<int>(plaintext.size())) != 1) {
    throw std::runtime_error("AES-256-GCM encryption failed");
  }
  total = n;
  if (EVP_EncryptFinal_ex(ctx.get(), Bytes(out) + total, &n) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, kTagBytes,
                          Bytes(out) + plaintext.size()) != 1) {
    throw std::runtime_error("AES-256-GCM encryption failed");
  }
  record.set_nonce(std::move(nonce));
  record.set_ciphertext(std::move(out));
  return record.SerializeAsString();
}

absl::StatusOr<std::string> ContactVault::Open(std::string_view owner_id,
                                               std::string_view sealed) const {
  v1::SealedRecord record;
  if (!record.ParseFromArray(sealed.data(), static_cast<int>(sealed.size())) ||
      record.nonce().size() != kNonceBytes || record.ciphertext().size() < kTagBytes) {
    return absl::InvalidArgumentError("not a sealed contact record");
  }
  const auto key = keys_.find(record.key_id());
  if (key == keys_.end()) {
    return absl::FailedPreconditionError(
        absl::StrCat("the record's key id ", record.key_id(), " is not in MOT_CONTACT_KEYS"));
  }
  const std::string_view ct = record.ciphertext();
  const size_t size = ct.size() - kTagBytes;
  std::string plain(size, '\0');
  std::string tag(ct.substr(size));
  auto ctx = NewCtx();
  int n = 0;
  const bool ok =
      EVP_DecryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, Bytes(key->second),
                         Bytes(record.nonce())) == 1 &&
      EVP_DecryptUpdate(ctx.get(), nullptr, &n, Bytes(owner_id),
                        static_cast<int>(owner_id.size())) == 1 &&
      EVP_DecryptUpdate(ctx.get(), Bytes(plain), &n, Bytes(ct), static_cast<int>(size)) == 1 &&
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, kTagBytes, Bytes(tag)) == 1 &&
      EVP_DecryptFinal_ex(ctx.get(), Bytes(plain) + n, &n) == 1;
  if (!ok) {
    return absl::DataLossError(
        absl::StrCat("a contact record sealed with key ", record.key_id(), " does not open"));
  }
  return plain;
}

}  // namespace mot::notification
