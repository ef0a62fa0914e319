#include "mot/common/log.h"

#include <cctype>
#include <optional>

#include "nlohmann/json.hpp"
#include "spdlog/pattern_formatter.h"
#include "spdlog/sinks/stdout_sinks.h"

namespace mot {
namespace {

// %* : the message, personal data masked, as a JSON string literal.
class JsonMessageFlag : public spdlog::custom_flag_formatter {
 public:
  void format(const spdlog::details::log_msg& msg, const std::tm&,
              spdlog::memory_buf_t& dest) override {
    std::string text = MaskPersonalData(std::string_view(msg.payload.data(), msg.payload.size()));
    std::string quoted =
        nlohmann::json(text).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    dest.append(quoted.data(), quoted.data() + quoted.size());
  }
  std::unique_ptr<custom_flag_formatter> clone() const override {
    return std::make_unique<JsonMessageFlag>();
  }
};

std::shared_ptr<spdlog::logger>& Logger() {
  static std::shared_ptr<spdlog::logger> logger = spdlog::stderr_logger_mt("mot");
  return logger;
}

size_t Utf8Len(unsigned char lead) {
  if (lead < 0x80) return 1;
  if ((lead >> 5) == 0x6) return 2;
  if ((lead >> 4) == 0xE) return 3;
  if ((lead >> 3) == 0x1E) return 4;
  return 1;
}

}  // namespace

void InitLogging(std::string_view service, std::string_view level) {
  auto formatter = std::make_unique<spdlog::pattern_formatter>(spdlog::pattern_time_type::utc);
  formatter->add_flag<JsonMessageFlag>('*').set_pattern(
      std::string(R"({"ts":"%Y-%m-%dT%H:%M:%S.%eZ","level":"%l","service":")") +
      std::string(service) + R"(","msg":%*})");
  auto& logger = Logger();
  logger->set_formatter(std::move(formatter));
  logger->set_level(spdlog::level::from_str(std::string(level)));
  logger->flush_on(spdlog::level::info);
}

spdlog::logger& Log() { return *Logger(); }

std::string MaskPhone(std::string_view phone) {
  std::string digits;
  for (char c : phone) {
    if (std::isdigit(static_cast<unsigned char>(c))) digits += c;
  }
  if (digits.size() <= 5) return std::string(digits.size(), '*');
  size_t keep_tail = digits.size() == 11 ? 4 : 2;
  return digits.substr(0, 3) + std::string(digits.size() - 3 - keep_tail, '*') +
         digits.substr(digits.size() - keep_tail);
}

std::string MaskName(std::string_view name) {
  if (name.empty()) return "";
  size_t first = Utf8Len(static_cast<unsigned char>(name[0]));
  size_t rest = 0;
  for (size_t i = first; i < name.size(); i += Utf8Len(static_cast<unsigned char>(name[i]))) ++rest;
  return std::string(name.substr(0, first)) + std::string(std::max<size_t>(rest, 1), '*');
}

std::string MaskIdNumber(std::string_view id) {
  if (id.size() <= 6) return std::string(id.size(), '*');
  return std::string(id.substr(0, 4)) + std::string(id.size() - 6, '*') +
         std::string(id.substr(id.size() - 2));
}

namespace {

bool Digit(char c) { return std::isdigit(static_cast<unsigned char>(c)) != 0; }

// A phone or id number's digits masked; nullopt when they are neither: 11 digits from
// 1 (a mobile), 13 from 861 (+86 and a mobile), 18 (the last may be X) or 15 (an id).
std::optional<std::string> Masked(const std::string& digits) {
  if (digits.size() == 11 && digits[0] == '1') return MaskPhone(digits);
  if (digits.size() == 13 && digits.compare(0, 3, "861") == 0)
    return "86" + MaskPhone(digits.substr(2));
  if (digits.size() == 18 || digits.size() == 15) return MaskIdNumber(digits);
  return std::nullopt;
}

// Unbroken digit runs of `span`, each masked when it is a phone or id number.
void MaskRuns(std::string_view span, std::string& out) {
  size_t i = 0;
  while (i < span.size()) {
    if (!Digit(span[i])) {
      out += span[i++];
      continue;
    }
    size_t start = i;
    while (i < span.size() && Digit(span[i])) ++i;
    if (i - start == 17 && i < span.size() && (span[i] == 'X' || span[i] == 'x')) ++i;
    const std::string run(span.substr(start, i - start));
    auto masked = Masked(run);
    out += masked ? *masked : run;
  }
}

}  // namespace

namespace {

bool EmailLocal(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '%' ||
         c == '+' || c == '-';
}
bool EmailDomain(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-';
}

// owner.li@example.cn -> o***@example.cn: an address's local part, first character kept.
std::string MaskEmails(std::string_view text) {
  std::string out;
  size_t copied = 0;
  for (size_t at = text.find('@'); at != std::string_view::npos; at = text.find('@', at + 1)) {
    size_t start = at;
    while (start > copied && EmailLocal(text[start - 1])) --start;
    size_t end = at + 1;
    while (end < text.size() && EmailDomain(text[end])) ++end;
    const std::string_view domain = text.substr(at + 1, end - at - 1);
    if (start == at || domain.find('.') == std::string_view::npos) continue;
    out.append(text.substr(copied, start - copied));
    out += text[start];
    out += "***";
    copied = at;
  }
  out.append(text.substr(copied));
  return out;
}

}  // namespace

std::string MaskPersonalData(std::string_view input) {
  const std::string emails_masked = MaskEmails(input);
  const std::string_view text = emails_masked;
  std::string out;
  out.reserve(text.size());
  size_t i = 0;
  while (i < text.size()) {
    if (!Digit(text[i])) {
      out += text[i++];
      continue;
    }
    // Digits, and single spaces or dashes between them: "138 0013 8000", "+86-138-...",
    // "110105 19491231 002X" are written so too.
    const size_t start = i;
    std::string digits;
    size_t end = i;
    while (i < text.size()) {
      if (Digit(text[i])) {
        digits += text[i++];
        end = i;
      } else if ((text[i] == ' ' || text[i] == '-') && i + 1 < text.size() && Digit(text[i + 1])) {
        ++i;
      } else {
        break;
      }
    }
    if (digits.size() == 17 && end < text.size() && (text[end] == 'X' || text[end] == 'x')) {
      digits += text[end++];
    }
    i = end;
    const std::string_view span = text.substr(start, end - start);
    if (auto masked = Masked(digits)) {
      out += *masked;
    } else {
      MaskRuns(span, out);  // e.g. two numbers side by side: each on its own
    }
  }
  return out;
}

}  // namespace mot
