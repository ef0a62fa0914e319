#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "absl/strings/string_view.h"
#include "spdlog/spdlog.h"

#ifndef ABSL_USES_STD_STRING_VIEW
// Debian's abseil has its own string_view (status messages are one): let fmt print it.
template <>
struct fmt::formatter<absl::string_view> : fmt::formatter<fmt::string_view> {
  auto format(absl::string_view s, fmt::format_context& ctx) const {
    return fmt::formatter<fmt::string_view>::format(fmt::string_view(s.data(), s.size()), ctx);
  }
};
#endif

namespace mot {

// Structured JSON logs, one object per line on stderr:
// {"ts":"...Z","level":"info","service":"ticketing","msg":"..."}.
// Every message passes through MaskPersonalData before it is written, so a phone
// number or id number that slips into a message never reaches the log.
void InitLogging(std::string_view service, std::string_view level);
spdlog::logger& Log();

// 13812345678 -> 138****5678; other lengths keep the first 3 and last 2 digits.
std::string MaskPhone(std::string_view phone);
// 张三丰 -> 张**, Alice -> A****: keeps the first character (UTF-8 aware).
std::string MaskName(std::string_view name);
// 18-character resident id numbers (and other long ids): first 4 and last 2 kept.
std::string MaskIdNumber(std::string_view id);
// Masks runs of digits that look like mainland mobile numbers (11 digits starting
// with 1) or resident id numbers (17 digits plus a digit or X) inside free text, and
// e-mail addresses' local parts (owner.li@example.cn -> o***@example.cn).
std::string MaskPersonalData(std::string_view text);

}  // namespace mot
