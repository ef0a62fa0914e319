#include "touchpoint-scheduler/app/command_topics.h"

#include "mot/common/topics.h"

namespace mot::scheduler {

std::string CommandTopic(const std::string& service) {
  if (service == "notification") return kNotificationCommandsTopic;
  if (service == "survey") return kSurveyCommandsTopic;
  if (service == "ticketing") return kTicketingCommandsTopic;
  return "";
}
}  // namespace mot::scheduler
