#pragma once

#include <string>
#include <vector>

// Header-only, with the messages (target motmesh::messaging): a domain library's
// decision names the topic of each message it returns.

namespace mot {

// Topic names shared by the services.
inline constexpr char kLifecycleTopic[] = "mot.lifecycle.v1";
// Customer profiles (mot.customer.v1.CustomerProfile), keyed by customer id.
inline constexpr char kCustomerTopic[] = "mot.customer.v1";
inline constexpr char kTicketingCommandsTopic[] = "mot.ticketing.commands.v1";
inline constexpr char kNotificationCommandsTopic[] = "mot.notification.commands.v1";
inline constexpr char kSurveyCommandsTopic[] = "mot.survey.commands.v1";
inline constexpr char kTicketEventsTopic[] = "mot.ticket.v1";
inline constexpr char kNotificationEventsTopic[] = "mot.notification.v1";
inline constexpr char kSurveyEventsTopic[] = "mot.survey.v1";

// Every topic of the mesh: the eight above and, for each, its dead-letter topic.
inline std::vector<std::string> AllTopics() {
  std::vector<std::string> out;
  for (const char* t :
       {kLifecycleTopic, kCustomerTopic, kTicketingCommandsTopic, kNotificationCommandsTopic,
        kSurveyCommandsTopic, kTicketEventsTopic, kNotificationEventsTopic, kSurveyEventsTopic}) {
    out.push_back(t);
    out.push_back(std::string(t) + ".dlq");
  }
  return out;
}

}  // namespace mot
