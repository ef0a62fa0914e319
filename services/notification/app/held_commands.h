#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "mot/common/record_store.h"
#include "mot/notification/v1/notification.pb.h"

namespace mot::notification {

// The commands held to be sent later (DeferredSends), each a record
// "deferred:<key>" under its timer's key: a quiet-hours hold under the delivery's id,
// a retry under "<delivery id>/<n>" (its n-th hold, Delivery.holds), so that every
// command held for a delivery is found from the delivery's record.
class HeldCommands {
 public:
  explicit HeldCommands(RecordStore& store) : store_(store) {}
  // The key of the retry `d` is held for now (after its holds() counted it).
  static std::string RetryKey(const v1::Delivery& d);

  // (key, the command's bytes) for each, in one round trip.
  absl::Status PutAll(const std::vector<std::pair<std::string, std::string>>& held);
  absl::StatusOr<std::vector<std::optional<std::string>>> GetAll(
      const std::vector<std::string>& keys);
  absl::Status Erase(const std::vector<std::string>& keys);

  struct Found {
    std::string delivery_id;
    v1::SendNotificationCommand command;
  };
  // The commands still held for these deliveries, in one round trip.
  absl::StatusOr<std::vector<Found>> Of(const std::vector<v1::Delivery>& deliveries);
  // Erases every command held for these deliveries; how many there were.
  absl::StatusOr<int> Drop(const std::vector<v1::Delivery>& deliveries);

 private:
  // Every record a command of these deliveries may be held under, with its delivery.
  static std::vector<std::pair<std::string, std::string>> RecordsOf(
      const std::vector<v1::Delivery>& deliveries);
  RecordStore& store_;
};

}  // namespace mot::notification
