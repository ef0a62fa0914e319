#pragma once

#include <chrono>
#include <optional>
#include <string>

#include "mot/common/config.h"
#include "touchpoint-scheduler/app/calendar_planner.h"
#include "touchpoint-scheduler/app/dispatcher.h"
#include "touchpoint-scheduler/app/http_ingest.h"
#include "touchpoint-scheduler/app/redis_journey_store.h"
#include "touchpoint-scheduler/domain/planner.h"
#include "touchpoint-scheduler/domain/playbook.h"
#include "touchpoint-scheduler/domain/template_check.h"

namespace mot::scheduler {

// Every MOT_* the touchpoint scheduler reads; a wrong one throws ConfigError naming it.
struct SchedulerConfig {
  CommonConfig common;
  // MOT_PLAYBOOK: the playbook file, its text and what it says.
  std::string playbook_path;
  std::string playbook_text;
  Playbook playbook;
  // MOT_TEMPLATES (notification's templates): what each template uses, the playbook
  // checked against it at start and on every reload; unset: not checked (a warning).
  std::optional<TemplateUses> templates;
  std::chrono::milliseconds reload_interval{};  // MOT_PLAYBOOK_RELOAD_INTERVAL
  CalendarOptions calendar;                     // MOT_SCHEDULER_CALENDAR_*
  JourneyStoreOptions store;                    // MOT_SCHEDULER_PARTITIONS, _RETENTION
  // MOT_SCHEDULER_TICK, _CLAIM_LEASE, _BATCH, _RETRY_*, _ASSIGNED_PARTITIONS
  DispatcherOptions dispatcher;
  PlanningLimits limits;     // the common event window, MOT_SCHEDULER_MAX_COMMAND_BYTES
  int max_page_size = 100;   // of a journey page, MOT_LIST_PAGE_SIZE_MAX
  HttpIngestOptions ingest;  // MOT_INGEST_*: CloudEvents over HTTPS

  static SchedulerConfig FromEnv(const Env& env);
};

}  // namespace mot::scheduler
