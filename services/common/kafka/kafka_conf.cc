#include "kafka_conf.h"

#include "absl/strings/str_cat.h"
#include "mot/common/log.h"

namespace mot {
namespace {

// librdkafka's own log lines and errors, into the service's JSON log.
class LogEvents : public RdKafka::EventCb {
 public:
  void event_cb(RdKafka::Event& event) override {
    switch (event.type()) {
      case RdKafka::Event::EVENT_ERROR:
        Log().warn("kafka: {}: {}", RdKafka::err2str(event.err()), event.str());
        break;
      case RdKafka::Event::EVENT_LOG: {
        const int sev = event.severity();
        const auto level = sev <= RdKafka::Event::EVENT_SEVERITY_ERROR     ? spdlog::level::err
                           : sev == RdKafka::Event::EVENT_SEVERITY_WARNING ? spdlog::level::warn
                           : sev <= RdKafka::Event::EVENT_SEVERITY_INFO    ? spdlog::level::info
                                                                           : spdlog::level::debug;
        Log().log(level, "kafka {}: {}", event.fac(), event.str());
        break;
      }
      default:
        break;
    }
  }
};

}  // namespace

std::unique_ptr<RdKafka::Conf> MakeConf(std::map<std::string, std::string> settings,
                                        const KafkaOptions& options, const char* what) {
  // After a broker restart, reconnect within a second (librdkafka backs off up to 10 s
  // by default: a restarted broker's clients then idled for up to 6 s, tests/e2e).
  // MOT_KAFKA_OPT_RECONNECT_BACKOFF_MAX_MS replaces it.
  if (options.count("reconnect.backoff.max.ms") == 0) settings["reconnect.backoff.max.ms"] = "1000";
  for (const auto& [k, v] : options) settings.emplace(k, v);  // ours win
  static LogEvents log_events;
  std::unique_ptr<RdKafka::Conf> conf(RdKafka::Conf::create(RdKafka::Conf::CONF_GLOBAL));
  std::string err;
  conf->set("event_cb", static_cast<RdKafka::EventCb*>(&log_events), err);
  for (const auto& [k, v] : settings) {
    if (conf->set(k, v, err) != RdKafka::Conf::CONF_OK) {
      throw std::runtime_error(absl::StrCat(what, ": ", k, ": ", err));
    }
  }
  return conf;
}

absl::Status CheckKafkaOptions(const KafkaOptions& options) {
  std::unique_ptr<RdKafka::Conf> conf(RdKafka::Conf::create(RdKafka::Conf::CONF_GLOBAL));
  std::string err;
  for (const auto& [k, v] : options) {
    if (conf->set(k, v, err) != RdKafka::Conf::CONF_OK) {
      return absl::InvalidArgumentError(absl::StrCat(k, ": ", err));
    }
  }
  return absl::OkStatus();
}

}  // namespace mot
