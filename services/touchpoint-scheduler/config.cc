#include "touchpoint-scheduler/config.h"

namespace mot::scheduler {

SchedulerConfig SchedulerConfig::FromEnv(const Env& env) {
  SchedulerConfig c;
  c.common = CommonConfig::FromEnv(env);
  c.playbook_text = env.FileContent("MOT_PLAYBOOK");
  auto parsed = Playbook::FromYaml(c.playbook_text);
  if (!parsed.ok()) throw ConfigError("MOT_PLAYBOOK: " + std::string(parsed.status().message()));
  c.playbook = *std::move(parsed);
  if (!env.Optional("MOT_TEMPLATES", "").empty()) {
    auto uses = TemplateUsesFromYaml(env.FileContent("MOT_TEMPLATES"));
    if (!uses.ok()) throw ConfigError("MOT_TEMPLATES: " + std::string(uses.status().message()));
    if (auto s = CheckTemplates(c.playbook, *uses); !s.ok()) {
      throw ConfigError("MOT_PLAYBOOK: " + std::string(s.message()));
    }
    c.templates = *std::move(uses);
  }
  c.playbook_path = env.Optional("MOT_PLAYBOOK", "");
  c.reload_interval = env.Duration("MOT_PLAYBOOK_RELOAD_INTERVAL", "5s");
  c.calendar.interval = env.Duration("MOT_SCHEDULER_CALENDAR_INTERVAL", "1h");
  c.calendar.batch = env.Int("MOT_SCHEDULER_CALENDAR_BATCH", 500, 1, 100000);
  c.store.partitions = env.Int("MOT_SCHEDULER_PARTITIONS", 16, 1, 1024);
  c.store.retention = env.Duration("MOT_SCHEDULER_RETENTION", "5y");
  DispatcherOptions& d = c.dispatcher;
  d.tick = env.Duration("MOT_SCHEDULER_TICK", "1s");
  d.claim_lease = env.Duration("MOT_SCHEDULER_CLAIM_LEASE", "60s");
  d.batch = env.Int("MOT_SCHEDULER_BATCH", 100, 1, 5000);
  d.retry_initial = env.Duration("MOT_SCHEDULER_RETRY_INITIAL", "1s");
  d.retry_max = env.Duration("MOT_SCHEDULER_RETRY_MAX", "10m");
  if (d.claim_lease <= c.common.kafka_delivery_timeout) {
    throw ConfigError("MOT_SCHEDULER_CLAIM_LEASE must be longer than MOT_KAFKA_DELIVERY_TIMEOUT (" +
                      std::to_string(c.common.kafka_delivery_timeout.count()) +
                      "ms): a slow publish must not outlive its claim");
  }
  const std::string assigned = env.Optional("MOT_SCHEDULER_ASSIGNED_PARTITIONS", "all");
  auto partitions = ParsePartitions(assigned, c.store.partitions);
  if (!partitions.ok()) {
    throw ConfigError("MOT_SCHEDULER_ASSIGNED_PARTITIONS=" + assigned +
                      " is invalid: " + std::string(partitions.status().message()));
  }
  d.partitions = *partitions;
  c.calendar.partitions = *partitions;
  c.limits.window = c.common.times;
  c.max_page_size = env.Int("MOT_LIST_PAGE_SIZE_MAX", 100, 1, 10000);
  c.ingest.addr = env.Optional("MOT_INGEST_HTTP_ADDR", "");
  c.ingest.max_body_bytes = env.Int("MOT_INGEST_MAX_BODY_BYTES", 1 << 20, 1024, 64 << 20);
  c.ingest.max_batch_events = env.Int("MOT_INGEST_MAX_BATCH_EVENTS", 500, 1, 100000);
  c.limits.max_command_bytes = env.Int("MOT_SCHEDULER_MAX_COMMAND_BYTES", 900000, 1024, 100000000);
  return c;
}

}  // namespace mot::scheduler
