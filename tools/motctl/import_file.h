#pragma once

// What `motctl import` reads: the owners a developer already has, as JSON lines of
// lifecycle events and customer profiles, or as CSV with one owner a row
// (docs/importing.md), grouped by owner in the order each first appears.
#include <optional>
#include <string>
#include <vector>

#include "mot/customer/v1/profile.pb.h"
#include "mot/lifecycle/v1/event.pb.h"

namespace motctl {

struct ImportedOwner {
  std::string customer_id;
  std::optional<mot::customer::v1::CustomerProfile> profile;
  std::vector<mot::lifecycle::v1::LifecycleEvent> events;  // by occurred_at
};

// A line that cannot be read: its number and why (never the values it holds).
struct RefusedLine {
  int line = 0;
  std::string reason;
};

struct ImportFile {
  std::vector<ImportedOwner> owners;
  std::vector<RefusedLine> refused;
};

// The CSV columns: customer_id (required), project_id, unit_id, signed_at and
// handed_over_at (RFC 3339: the contract_signed and handover events),
// planned_handover_date and warranty_end_date (YYYY-MM-DD), tier, segment,
// profile_type, time_zone, birthday (MM-DD), mobile, email, wecom_user_id.
const std::vector<std::string>& CsvColumns();

// Reads `path` ("-" for stdin) as `format` ("jsonl", "csv", or "auto": by the file's
// extension, else by its first character). Throws naming the file when it cannot be
// read or a CSV header names an unknown column. An event without an id gets one from
// its customer, type and time, so that an import run twice publishes the same events.
ImportFile ReadImportFile(const std::string& path, const std::string& format);

}  // namespace motctl
