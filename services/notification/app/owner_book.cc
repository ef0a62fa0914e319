#include "notification/app/owner_book.h"

namespace mot::notification {

namespace {
std::string OwnerKey(const std::string& customer_id) { return "owner:" + customer_id; }
}  // namespace

absl::Status OwnerBook::Put(const customer::v1::CustomerProfile& profile) {
  return store_.Put(OwnerKey(profile.customer_id()),
                    vault_.Seal(profile.customer_id(), profile.SerializeAsString()));
}

absl::StatusOr<std::optional<customer::v1::CustomerProfile>> OwnerBook::Get(
    const std::string& customer_id) {
  auto all = GetAll({customer_id});
  if (!all.ok()) return all.status();
  return std::move((*all)[0]);
}

namespace {
std::string PrefsKey(const std::string& customer_id) { return "prefs:" + customer_id; }
}  // namespace

absl::StatusOr<std::vector<std::optional<customer::v1::CustomerProfile>>> OwnerBook::GetAll(
    const std::vector<std::string>& customer_ids) {
  std::vector<std::string> keys;
  for (const auto& c : customer_ids) keys.push_back(OwnerKey(c));
  for (const auto& c : customer_ids) keys.push_back(PrefsKey(c));
  auto sealed = store_.GetAll(keys);
  if (!sealed.ok()) return sealed.status();
  const size_t n = customer_ids.size();
  std::vector<std::optional<customer::v1::CustomerProfile>> out(n);
  for (size_t i = 0; i < n; ++i) {
    if ((*sealed)[i]) {
      auto plain = vault_.Open(customer_ids[i], *(*sealed)[i]);
      if (!plain.ok()) return plain.status();
      customer::v1::CustomerProfile profile;
      if (!profile.ParseFromString(*plain)) {
        return absl::DataLossError("an owner record opened but is not a profile");
      }
      out[i] = std::move(profile);
    }
    if ((*sealed)[n + i]) {
      auto plain = vault_.Open(PrefsKey(customer_ids[i]), *(*sealed)[n + i]);
      if (!plain.ok()) return plain.status();
      if (!out[i]) {
        out[i].emplace();
        out[i]->set_customer_id(customer_ids[i]);
      }
      if (!out[i]->mutable_preferences()->ParseFromString(*plain)) {
        return absl::DataLossError("a preferences record opened but is not preferences");
      }
    }
  }
  return out;
}

absl::Status OwnerBook::SetPreferences(const std::string& customer_id,
                                       const customer::v1::Preferences& prefs) {
  return store_.Put(PrefsKey(customer_id),
                    vault_.Seal(PrefsKey(customer_id), prefs.SerializeAsString()));
}

absl::StatusOr<std::pair<customer::v1::Preferences, std::string>> OwnerBook::Preferences(
    const std::string& customer_id) {
  auto sealed = store_.Get(PrefsKey(customer_id));
  if (!sealed.ok()) return sealed.status();
  std::pair<customer::v1::Preferences, std::string> out;
  if (*sealed) {
    auto plain = vault_.Open(PrefsKey(customer_id), **sealed);
    if (!plain.ok()) return plain.status();
    if (!out.first.ParseFromString(*plain)) {
      return absl::DataLossError("a preferences record opened but is not preferences");
    }
    out.second = "api";
    return out;
  }
  auto profile = Get(customer_id);
  if (!profile.ok()) return profile.status();
  if (*profile) {
    out.first = (*profile)->preferences();
    out.second = "profile";
  } else {
    out.second = "none";
  }
  return out;
}

absl::StatusOr<OwnerBook::Forgotten> OwnerBook::Forget(const std::string& customer_id) {
  const std::vector<std::string> keys = {OwnerKey(customer_id), PrefsKey(customer_id)};
  auto kept = store_.GetAll(keys);
  if (!kept.ok()) return kept.status();
  const Forgotten found{(*kept)[0].has_value(), (*kept)[1].has_value()};
  if (!found.profile && !found.preferences) return found;
  if (auto s = store_.Erase(keys); !s.ok()) return s;
  return found;
}

}  // namespace mot::notification
