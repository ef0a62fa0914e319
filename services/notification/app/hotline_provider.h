#pragma once

#include <string>
#include <vector>

#include "mot/common/clock.h"
#include "mot/common/messaging.h"
#include "notification/app/provider.h"

namespace mot::notification {

// Hotline call tasks: the 400 hotline calls the owner. Each message opens a ticket of
// `kind` (hotline_call in deploy/config/sla.yaml: called within 4 h, escalated
// otherwise) through an OpenTicketCommand on mot.ticketing.commands.v1, its command id
// made of the delivery id (the same message twice opens one ticket). The ticket
// carries the owner's id and the message, never their number: the agent looks it up;
// nor a link (a survey's is the owner's own): the ticket names the survey instance.
// Reaches only an owner with a mobile.
class HotlineProvider : public Provider {
 public:
  // The ticket's SLA starts at `clock`'s now (the service's clock).
  HotlineProvider(Publisher& out, const Clock& clock, std::string kind)
      : out_(out), clock_(clock), kind_(std::move(kind)) {}
  std::string ContactPoint() const override { return "mobile"; }
  absl::StatusOr<std::string> Send(const OutgoingMessage& message) override;
  std::vector<absl::StatusOr<std::string>> SendAll(
      const std::vector<OutgoingMessage>& messages) override;

 private:
  Publisher& out_;
  const Clock& clock_;
  const std::string kind_;
};

}  // namespace mot::notification
