#pragma once

#include <chrono>
#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "mot/ticketing/v1/ticketing.pb.h"

namespace mot::ticketing {

// One SLA milestone of a ticket kind: e.g. respond within 2 h of the request.
struct Milestone {
  std::string name;
  std::chrono::milliseconds within;
};

// The SLA milestones of every ticket kind, as configured (deploy/config/sla.yaml).
class SlaPolicy {
 public:
  // InvalidArgument naming the kind or milestone that is wrong.
  static absl::StatusOr<SlaPolicy> FromYaml(const std::string& yaml);

  // nullptr for an unknown kind.
  const std::vector<Milestone>* Find(const std::string& kind) const;
  std::string KindList() const;

 private:
  std::map<std::string, std::vector<Milestone>> kinds_;
};

// The ticket an OpenTicketCommand opens: one deadline per milestone of its kind,
// counted from the time the owner asked. InvalidArgument names the bad field.
absl::StatusOr<v1::Ticket> OpenTicket(const SlaPolicy& policy, const v1::OpenTicketCommand& cmd);

// The ticket id a command id maps to: the same command always opens the same ticket.
std::string TicketIdFor(const std::string& command_id);

}  // namespace mot::ticketing
