#include "mot/common/log.h"

#include <cctype>

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
    std::string quoted = nlohmann::json(text).dump(-1, ' ', false,
                                                   nlohmann::json::error_handler_t::replace);
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

std::string MaskPersonalData(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  size_t i = 0;
  while (i < text.size()) {
    if (!std::isdigit(static_cast<unsigned char>(text[i]))) {
      out += text[i++];
      continue;
    }
    size_t start = i;
    while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) ++i;
    size_t len = i - start;
    if (len == 17 && i < text.size() && (text[i] == 'X' || text[i] == 'x')) {
      ++i;
      ++len;
    }
    std::string_view run = text.substr(start, len);
    if (len == 11 && run[0] == '1') {
      out += MaskPhone(run);
    } else if (len == 18 || len == 15) {
      out += MaskIdNumber(run);
    } else {
      out.append(run);
    }
  }
  return out;
}

}  // namespace mot
