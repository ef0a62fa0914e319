#include "touchpoint-scheduler/domain/dates.h"

#include <algorithm>
#include <cctype>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "mot/common/config.h"

namespace mot::scheduler {

absl::StatusOr<absl::TimeZone> LoadZone(const std::string& name) {
  absl::TimeZone zone;
  if (name.empty() || !absl::LoadTimeZone(name, &zone)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "time zone '", name, "' is unknown; expected an IANA name such as Asia/Shanghai"));
  }
  return zone;
}

absl::StatusOr<std::pair<std::string, DateOffset>> ParseAnchor(const std::string& text) {
  std::string attr;
  size_t i = 0;
  while (i < text.size() && (std::isalnum(static_cast<unsigned char>(text[i])) || text[i] == '_')) {
    attr += text[i++];
  }
  if (attr.empty()) {
    return absl::InvalidArgumentError(
        "expected '<date attribute> [+|-] <duration>', e.g. 'planned_handover_date - 3mo'");
  }
  while (i < text.size() && text[i] == ' ') ++i;
  DateOffset off;
  if (i == text.size()) return std::make_pair(attr, off);
  if (text[i] != '+' && text[i] != '-') {
    return absl::InvalidArgumentError(absl::StrCat("expected + or - after '", attr, "'"));
  }
  off.sign = text[i] == '-' ? -1 : 1;
  ++i;
  while (i < text.size() && text[i] == ' ') ++i;
  const std::string rest = text.substr(i);
  if (rest.empty()) return absl::InvalidArgumentError("a duration is missing after the sign");
  // Months and years are calendar months; the rest is a plain duration.
  size_t j = 0;
  std::string plain;
  while (j < rest.size()) {
    size_t start = j;
    while (j < rest.size() && std::isdigit(static_cast<unsigned char>(rest[j]))) ++j;
    size_t unit_start = j;
    while (j < rest.size() && std::isalpha(static_cast<unsigned char>(rest[j]))) ++j;
    const std::string number = rest.substr(start, unit_start - start);
    const std::string unit = rest.substr(unit_start, j - unit_start);
    int value = 0;
    if (number.empty() || !absl::SimpleAtoi(number, &value) || value > 100000) {
      return absl::InvalidArgumentError(absl::StrCat("bad duration '", rest, "'"));
    }
    if (unit == "mo") {
      off.months += value;
    } else if (unit == "y") {
      off.months += 12 * value;
    } else {
      plain += number + unit;
    }
  }
  if (!plain.empty()) {
    auto d = ParseDuration(plain);
    if (!d.ok()) return absl::InvalidArgumentError(absl::StrCat("bad duration '", rest, "'"));
    off.rest = *d;
  }
  return std::make_pair(attr, off);
}

TimePoint AtDate(absl::CivilDay day, const DateOffset& off, const absl::TimeZone& zone) {
  if (off.months != 0) {
    const absl::CivilMonth month = absl::CivilMonth(day) + off.sign * off.months;
    // The same day of the month, clamped to the month's last day.
    const absl::CivilDay last = absl::CivilDay(month + 1) - 1;
    day = absl::CivilDay(month.year(), month.month(), std::min<int>(day.day(), last.day()));
  }
  const TimePoint midnight = FromUnixMillis(absl::ToUnixMillis(absl::FromCivil(day, zone)));
  return off.sign < 0 ? midnight - off.rest : midnight + off.rest;
}

absl::CivilDay LocalDay(TimePoint t, const absl::TimeZone& zone) {
  return absl::ToCivilDay(absl::FromUnixMillis(ToUnixMillis(t)), zone);
}

}  // namespace mot::scheduler
