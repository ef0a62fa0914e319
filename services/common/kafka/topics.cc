#include "mot/common/topics.h"

namespace mot {

std::vector<std::string> AllTopics() {
  std::vector<std::string> out;
  for (const char* t : {kLifecycleTopic, kCustomerTopic, kTicketingCommandsTopic, kNotificationCommandsTopic,
                        kSurveyCommandsTopic, kTicketEventsTopic, kNotificationEventsTopic,
                        kSurveyEventsTopic}) {
    out.push_back(t);
    out.push_back(std::string(t) + ".dlq");
  }
  return out;
}

}  // namespace mot
