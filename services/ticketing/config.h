#pragma once

#include "mot/common/claim_loop.h"
#include "mot/common/config.h"
#include "mot/common/timers.h"
#include "ticketing/app/ticketing_service.h"
#include "ticketing/domain/sla_policy.h"

namespace mot::ticketing {

// Everything ticketing reads from its environment (docs/configuration.md).
struct TicketingConfig {
  CommonConfig common;
  SlaPolicy policy;  // MOT_SLA_POLICY: the policy file (deploy/config/sla.yaml)
  // MOT_LIST_PAGE_SIZE_MAX, MOT_TICKET_RETENTION (a closed ticket's record is removed
  // that long after it closed; 5y); times from the common settings
  TicketingServiceOptions service;
  ClaimOptions sla;    // MOT_SLA_TICK, MOT_SLA_CLAIM_LEASE, MOT_SLA_BATCH
  TimerLayout timers;  // MOT_SLA_PARTITIONS

  // Throws ConfigError naming the variable: among others a claim lease not longer than
  // the producer's delivery timeout (MOT_KAFKA_DELIVERY_TIMEOUT).
  static TicketingConfig FromEnv(const Env& env);
};

}  // namespace mot::ticketing
