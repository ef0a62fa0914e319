#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "mot/common/record_store.h"
#include "mot/customer/v1/profile.pb.h"
#include "notification/domain/contact_vault.h"

namespace mot::notification {

// Owners' profiles as notification keeps them (contact points, segment, time zone,
// preferences): each sealed by the ContactVault under "owner:<customer id>", opened only
// to decide and send, erased when the owner is forgotten.
class OwnerBook {
 public:
  OwnerBook(RecordStore& store, const ContactVault& vault) : store_(store), vault_(vault) {}
  absl::Status Put(const customer::v1::CustomerProfile& profile);
  absl::StatusOr<std::optional<customer::v1::CustomerProfile>> Get(const std::string& customer_id);
  // Get for each, in one round trip.
  // With the preferences set through the API (SetPreferences) in place of the
  // profile's; a profile of only those when the CRM sent none.
  absl::StatusOr<std::vector<std::optional<customer::v1::CustomerProfile>>> GetAll(
      const std::vector<std::string>& customer_ids);
  // The owner's preferences set through the API, kept sealed ("prefs:<customer id>").
  absl::Status SetPreferences(const std::string& customer_id,
                              const customer::v1::Preferences& prefs);
  // The preferences decided with, and where they come from: "api", "profile" or "none".
  absl::StatusOr<std::pair<customer::v1::Preferences, std::string>> Preferences(
      const std::string& customer_id);
  // What Forget found to erase.
  struct Forgotten {
    bool profile = false;
    bool preferences = false;
  };
  // Erases the profile and the preferences (nothing when they are gone already).
  absl::StatusOr<Forgotten> Forget(const std::string& customer_id);

 private:
  RecordStore& store_;
  const ContactVault& vault_;
};

}  // namespace mot::notification
