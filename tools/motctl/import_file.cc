#include "import_file.h"

#include <algorithm>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>
#include <stdexcept>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "google/protobuf/util/json_util.h"
#include "mot/common/clock.h"
#include "mot/common/ids.h"

namespace motctl {
namespace {

using mot::customer::v1::CustomerProfile;
using mot::lifecycle::v1::LifecycleEvent;

// Owners in the order each first appears.
class Owners {
 public:
  ImportedOwner& Of(const std::string& customer_id) {
    auto [it, fresh] = index_.try_emplace(customer_id, file_.owners.size());
    if (fresh) file_.owners.push_back({customer_id, std::nullopt, {}});
    return file_.owners[it->second];
  }
  void Refuse(int line, std::string reason) { file_.refused.push_back({line, std::move(reason)}); }
  void AddEvent(int line, LifecycleEvent e) {
    if (e.customer_id().empty()) return Refuse(line, "customer_id is required");
    if (e.type().empty()) return Refuse(line, "type is required");
    if (!e.has_occurred_at()) return Refuse(line, "occurred_at is required");
    if (e.event_id().empty()) {
      e.set_event_id(mot::DeterministicId(
          "ev-import", {e.customer_id(), e.type(), std::to_string(e.occurred_at().seconds())}));
    }
    Of(e.customer_id()).events.push_back(std::move(e));
  }
  void AddProfile(int line, CustomerProfile p) {
    if (p.customer_id().empty()) return Refuse(line, "customer_id is required");
    Of(p.customer_id()).profile = std::move(p);
  }
  ImportFile Done() {
    for (auto& o : file_.owners) {
      std::stable_sort(o.events.begin(), o.events.end(), [](const auto& a, const auto& b) {
        return a.occurred_at().seconds() < b.occurred_at().seconds();
      });
    }
    return std::move(file_);
  }

 private:
  ImportFile file_;
  std::map<std::string, size_t> index_;
};

// A line of JSON: a LifecycleEvent when it has a "type", else a CustomerProfile.
void ReadJsonLine(const std::string& line, int n, Owners& owners) {
  google::protobuf::util::JsonParseOptions options;
  if (line.find("\"type\"") != std::string::npos) {
    LifecycleEvent e;
    auto s = google::protobuf::util::JsonStringToMessage(line, &e, options);
    if (!s.ok()) return owners.Refuse(n, "not a LifecycleEvent in protobuf JSON");
    return owners.AddEvent(n, std::move(e));
  }
  CustomerProfile p;
  auto s = google::protobuf::util::JsonStringToMessage(line, &p, options);
  if (!s.ok()) return owners.Refuse(n, "neither a LifecycleEvent nor a CustomerProfile");
  owners.AddProfile(n, std::move(p));
}

// One CSV record's fields (RFC 4180: quoted fields may hold commas and doubled quotes).
std::vector<std::string> CsvFields(const std::string& line) {
  std::vector<std::string> out(1);
  bool quoted = false;
  for (size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (quoted && c == '"' && i + 1 < line.size() && line[i + 1] == '"') {
      out.back() += '"';
      ++i;
    } else if (c == '"') {
      quoted = !quoted;
    } else if (c == ',' && !quoted) {
      out.emplace_back();
    } else if (c != '\r' || quoted) {
      out.back() += c;
    }
  }
  return out;
}

// The row's event at the time in column `column`, with its date attributes.
void RowEvent(std::map<std::string, std::string>& row, int n, const std::string& type,
              const std::string& column, const std::vector<std::string>& attributes,
              Owners& owners) {
  if (row[column].empty()) return;
  mot::TimePoint at;
  if (!mot::ParseTime(row[column], &at)) {
    return owners.Refuse(n, absl::StrCat(column, " is not an RFC 3339 time"));
  }
  LifecycleEvent e;
  e.set_type(type);
  e.set_customer_id(row["customer_id"]);
  e.set_project_id(row["project_id"]);
  e.set_unit_id(row["unit_id"]);
  e.set_source("motctl import");
  *e.mutable_occurred_at() = mot::ToProto(at);
  for (const auto& a : attributes) {
    if (!row[a].empty()) (*e.mutable_attributes())[a] = row[a];
  }
  if (!row["tier"].empty()) (*e.mutable_attributes())["tier"] = row["tier"];
  owners.AddEvent(n, std::move(e));
}

// The row's profile, when it has more than the id.
void RowProfile(std::map<std::string, std::string>& row, int n, Owners& owners) {
  CustomerProfile p;
  p.set_customer_id(row["customer_id"]);
  p.set_tier(row["tier"]);
  p.set_segment(row["segment"]);
  p.set_profile_type(row["profile_type"]);
  p.set_time_zone(row["time_zone"]);
  p.mutable_contact()->set_mobile(row["mobile"]);
  p.mutable_contact()->set_email(row["email"]);
  p.mutable_contact()->set_wecom_user_id(row["wecom_user_id"]);
  if (const std::string& b = row["birthday"]; !b.empty()) {
    std::vector<std::string> md = absl::StrSplit(b, '-');
    int m = 0, d = 0;
    if (md.size() != 2 || !absl::SimpleAtoi(md[0], &m) || !absl::SimpleAtoi(md[1], &d) || m < 1 ||
        m > 12 || d < 1 || d > 31) {
      return owners.Refuse(n, "birthday is not MM-DD");
    }
    p.set_birth_month(m);
    p.set_birth_day(d);
  }
  CustomerProfile bare;
  bare.set_customer_id(p.customer_id());
  bare.mutable_contact();
  if (p.SerializeAsString() != bare.SerializeAsString()) owners.AddProfile(n, std::move(p));
}

void ReadCsv(std::istream& in, const std::string& path, Owners& owners) {
  std::string line;
  if (!std::getline(in, line)) return;
  const std::vector<std::string> header = CsvFields(line);
  for (const auto& h : header) {
    if (std::find(CsvColumns().begin(), CsvColumns().end(), h) == CsvColumns().end()) {
      throw std::runtime_error(absl::StrCat(path, ": unknown CSV column '", h, "'; expected ",
                                            absl::StrJoin(CsvColumns(), ",")));
    }
  }
  if (std::find(header.begin(), header.end(), "customer_id") == header.end()) {
    throw std::runtime_error(path + ": the CSV header has no customer_id column");
  }
  for (int n = 2; std::getline(in, line); ++n) {
    if (line.find_first_not_of(" \t\r,") == std::string::npos) continue;
    const std::vector<std::string> fields = CsvFields(line);
    if (fields.size() != header.size()) {
      owners.Refuse(n, absl::StrCat(fields.size(), " fields where the header has ", header.size()));
      continue;
    }
    std::map<std::string, std::string> row;
    for (size_t i = 0; i < header.size(); ++i) row[header[i]] = fields[i];
    if (row["customer_id"].empty()) {
      owners.Refuse(n, "customer_id is required");
      continue;
    }
    RowProfile(row, n, owners);
    RowEvent(row, n, "contract_signed", "signed_at", {"planned_handover_date"}, owners);
    RowEvent(row, n, "handover", "handed_over_at", {"warranty_end_date"}, owners);
  }
}

}  // namespace

const std::vector<std::string>& CsvColumns() {
  static const std::vector<std::string> columns = {
      "customer_id",    "project_id",        "unit_id", "signed_at", "planned_handover_date",
      "handed_over_at", "warranty_end_date", "tier",    "segment",   "profile_type",
      "time_zone",      "birthday",          "mobile",  "email",     "wecom_user_id"};
  return columns;
}

ImportFile ReadImportFile(const std::string& path, const std::string& format) {
  std::ifstream file;
  if (path != "-") {
    file.open(path);
    if (!file) throw std::runtime_error(path + " cannot be read");
  }
  std::istream& in = path == "-" ? std::cin : file;
  std::string kind = format;
  if (kind == "auto") {
    if (absl::EndsWith(path, ".csv")) {
      kind = "csv";
    } else if (absl::EndsWith(path, ".jsonl") || absl::EndsWith(path, ".json")) {
      kind = "jsonl";
    } else {
      kind = in.peek() == '{' ? "jsonl" : "csv";
    }
  }
  if (kind != "csv" && kind != "jsonl") {
    throw std::runtime_error("--format '" + format + "': expected auto, jsonl or csv");
  }
  Owners owners;
  if (kind == "csv") {
    ReadCsv(in, path, owners);
  } else {
    std::string line;
    for (int n = 1; std::getline(in, line); ++n) {
      if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
      ReadJsonLine(line, n, owners);
    }
  }
  return owners.Done();
}

}  // namespace motctl
