#include "notification/app/held_commands.h"

#include "absl/strings/str_cat.h"

namespace mot::notification {

namespace {
std::string RecordOf(const std::string& key) { return "deferred:" + key; }

std::vector<std::string> RecordsFor(const std::vector<std::string>& keys) {
  std::vector<std::string> out;
  out.reserve(keys.size());
  for (const auto& k : keys) out.push_back(RecordOf(k));
  return out;
}
}  // namespace

std::string HeldCommands::RetryKey(const v1::Delivery& d) {
  return absl::StrCat(d.id(), "/", d.holds());
}

absl::Status HeldCommands::PutAll(const std::vector<std::pair<std::string, std::string>>& held) {
  std::vector<std::pair<std::string, std::string>> records;
  records.reserve(held.size());
  for (const auto& [key, bytes] : held) records.emplace_back(RecordOf(key), bytes);
  return store_.PutAll(records);
}

absl::StatusOr<std::vector<std::optional<std::string>>> HeldCommands::GetAll(
    const std::vector<std::string>& keys) {
  return store_.GetAll(RecordsFor(keys));
}

absl::Status HeldCommands::Erase(const std::vector<std::string>& keys) {
  return store_.Erase(RecordsFor(keys));
}

std::vector<std::pair<std::string, std::string>> HeldCommands::RecordsOf(
    const std::vector<v1::Delivery>& deliveries) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& d : deliveries) {
    out.emplace_back(RecordOf(d.id()), d.id());
    v1::Delivery hold = d;
    for (int n = 1; n <= d.holds(); ++n) {
      hold.set_holds(n);
      out.emplace_back(RecordOf(RetryKey(hold)), d.id());
    }
  }
  return out;
}

absl::StatusOr<std::vector<HeldCommands::Found>> HeldCommands::Of(
    const std::vector<v1::Delivery>& deliveries) {
  const auto records = RecordsOf(deliveries);
  std::vector<std::string> ids;
  for (const auto& [record, _] : records) ids.push_back(record);
  auto got = store_.GetAll(ids);
  if (!got.ok()) return got.status();
  std::vector<Found> out;
  for (size_t i = 0; i < records.size(); ++i) {
    if (!(*got)[i]) continue;
    Found f{records[i].second, {}};
    if (!f.command.ParseFromString(*(*got)[i])) {
      return absl::DataLossError("a held command cannot be decoded");
    }
    out.push_back(std::move(f));
  }
  return out;
}

absl::StatusOr<int> HeldCommands::Drop(const std::vector<v1::Delivery>& deliveries) {
  const auto records = RecordsOf(deliveries);
  std::vector<std::string> ids;
  for (const auto& [record, _] : records) ids.push_back(record);
  auto got = store_.GetAll(ids);
  if (!got.ok()) return got.status();
  std::vector<std::string> held;
  for (size_t i = 0; i < ids.size(); ++i) {
    if ((*got)[i]) held.push_back(ids[i]);
  }
  if (held.empty()) return 0;
  if (auto s = store_.Erase(held); !s.ok()) return s;
  return static_cast<int>(held.size());
}

}  // namespace mot::notification
