#include "ticketing/config.h"

namespace mot::ticketing {

TicketingConfig TicketingConfig::FromEnv(const Env& env) {
  TicketingConfig c{CommonConfig::FromEnv(env),
                    ConfigFile<SlaPolicy>(env, "MOT_SLA_POLICY", SlaPolicy::FromYaml),
                    {},
                    {},
                    {"ticketing.sla", 16}};
  c.service.max_page_size = env.Int("MOT_LIST_PAGE_SIZE_MAX", 100, 1, 10000);
  c.service.times = c.common.times;
  c.service.retention.after_close = env.Duration("MOT_TICKET_RETENTION", "5y");
  if (c.service.retention.after_close <= std::chrono::milliseconds::zero()) {
    throw ConfigError(
        "MOT_TICKET_RETENTION: must be longer than 0 (how long a closed ticket is kept, e.g. 5y)");
  }
  c.sla.tick = env.Duration("MOT_SLA_TICK", "1s");
  c.sla.lease = env.Duration("MOT_SLA_CLAIM_LEASE", "60s");
  c.sla.batch = env.Int("MOT_SLA_BATCH", 100, 1, 5000);
  if (auto s = CheckClaimOptions(c.sla, c.common.kafka_delivery_timeout, "MOT_SLA_CLAIM_LEASE");
      !s.ok()) {
    throw ConfigError(std::string(s.message()));
  }
  c.timers.partitions = env.Int("MOT_SLA_PARTITIONS", 16, 1, 1024);
  return c;
}

}  // namespace mot::ticketing
