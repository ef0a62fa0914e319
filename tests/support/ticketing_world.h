#pragma once

#include <string>

#include "fakes.h"
#include "memory_index_store.h"
#include "memory_record_store.h"
#include "memory_timers.h"
#include "mot/common/claim_loop.h"
#include "prometheus/registry.h"
#include "ticketing/app/command_consumer.h"
#include "ticketing/app/metrics.h"
#include "ticketing/app/sla_watch.h"
#include "ticketing/app/ticket_opener.h"
#include "ticketing/app/ticketing_service.h"
#include "ticketing/domain/sla_policy.h"

namespace mot::testkit {

// Ticketing as main.cc wires it, over in-memory parts: the stores, the SLA timers and
// a registry of its own, and every collaborator built on them. The clock and the
// publisher are the test's (it moves the one and reads the other).
struct TicketingWorld {
  struct Options {
    std::string policy_yaml = ShippedConfig("sla.yaml");
    ClaimOptions sla;
    int partitions = 4;
    ticketing::TicketingServiceOptions service;
  };
  TicketingWorld(const Clock& clock, Publisher& publisher)
      : TicketingWorld(clock, publisher, Options()) {}
  TicketingWorld(const Clock& clock, Publisher& publisher, const Options& options)
      : policy(*ticketing::SlaPolicy::FromYaml(options.policy_yaml)),
        timers({"ticketing.sla", options.partitions}),
        metrics(registry, policy),
        watch(store, timers, index, publisher, clock, policy, options.sla, metrics),
        opener(policy, store, watch, index, metrics),
        consumer(policy, opener, clock, options.service.times),
        service({store, index, publisher, clock, policy, watch, opener, metrics}, options.service) {
  }

  ticketing::SlaPolicy policy;
  MemoryRecordStore store;
  MemoryIndexStore index;
  MemoryTimers timers;
  prometheus::Registry registry;
  ticketing::TicketingMetrics metrics;
  ticketing::SlaWatch watch;
  ticketing::TicketOpener opener;
  ticketing::CommandConsumer consumer;
  ticketing::TicketingService service;
};

}  // namespace mot::testkit
