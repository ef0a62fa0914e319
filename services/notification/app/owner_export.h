#pragma once

#include <chrono>
#include <string>

#include "absl/status/statusor.h"
#include "mot/common/record_store.h"
#include "mot/notification/v1/notification.pb.h"
#include "notification/app/owner_book.h"
#include "notification/domain/templates.h"

namespace mot::notification {

// Answers a subject-access request (ExportCustomer): everything notification holds of
// one owner's, personal data in clear (the only place it leaves the service so): the
// sealed profile opened, the preferences decided with, every delivery with when its
// record goes, and the commands held for later with the text they would send.
class OwnerExport {
 public:
  struct Parts {
    OwnerBook& owners;
    RecordStore& store;
    const TemplateSet& templates;
    std::chrono::milliseconds retention;  // MOT_DELIVERY_RETENTION
  };
  explicit OwnerExport(Parts parts) : parts_(parts) {}
  absl::StatusOr<v1::ExportCustomerResponse> Export(const std::string& customer_id);

 private:
  Parts parts_;
};

}  // namespace mot::notification
