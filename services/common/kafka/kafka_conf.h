// The librdkafka configuration the producer and the consumer share (private to
// the kafka library).
#pragma once

#include <librdkafka/rdkafkacpp.h>

#include <map>
#include <memory>
#include <string>

#include "mot/common/kafka.h"

namespace mot {

// A librdkafka configuration from `settings` and the operator's `options` (ours win),
// with the service's log events; throws naming `what` and the setting it refuses.
std::unique_ptr<RdKafka::Conf> MakeConf(std::map<std::string, std::string> settings,
                                        const KafkaOptions& options, const char* what);

}  // namespace mot
