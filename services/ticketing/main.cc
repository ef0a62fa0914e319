// Wiring only: the configuration, the real parts, the loops and the gRPC service.
#include "mot/common/record_store.h"
#include "mot/common/runtime.h"
#include "mot/common/timers.h"
#include "mot/common/topics.h"
#include "ticketing/app/command_consumer.h"
#include "ticketing/app/metrics.h"
#include "ticketing/app/owner_consumer.h"
#include "ticketing/app/redis_ticket_index.h"
#include "ticketing/app/sla_watch.h"
#include "ticketing/app/ticket_opener.h"
#include "ticketing/app/ticketing_service.h"
#include "ticketing/config.h"

int main() {
  return mot::RunService("ticketing", [] {
    using namespace mot::ticketing;
    const auto config = TicketingConfig::FromEnv(mot::Env());
    mot::Runtime runtime("ticketing", config.common);
    TicketingMetrics metrics(runtime.registry(), config.policy);
    mot::RedisRecordStore store(runtime.redis(), "ticketing");
    mot::RedisTimers timers(runtime.redis(), config.timers);
    RedisIndexStore index(runtime.redis());
    SlaWatch watch(store, timers, index, runtime.producer(), runtime.clock(), config.policy,
                   config.sla, metrics);
    TicketOpener opener(config.policy, store, watch, index, metrics);
    CommandConsumer consumer(config.policy, opener, runtime.clock(), config.common.times);
    runtime.AddBatchConsumer({mot::kTicketingCommandsTopic},
                             [&](std::vector<mot::Work>& batch) { consumer.HandleBatch(batch); });
    // customer_forgotten: the owner's free text erased (group ticketing.owners).
    OwnerConsumer owners(store, runtime.clock(), metrics);
    runtime.AddBatchConsumer(
        {mot::kLifecycleTopic}, [&](std::vector<mot::Work>& batch) { owners.HandleBatch(batch); },
        ".owners");
    runtime.AddLoop([&](const std::atomic<bool>& stop) { watch.Run(stop); });
    TicketingService service(
        {store, index, runtime.producer(), runtime.clock(), config.policy, watch, opener, metrics},
        config.service);
    return runtime.Serve({&service}, mot::PolicyOf("mot.ticketing.v1.TicketingService",
                                                   {{"GetTicket", mot::Scope::kReader},
                                                    {"ListTickets", mot::Scope::kReader},
                                                    {"TransitionTicket", mot::Scope::kAgent},
                                                    {"CreateTicket", mot::Scope::kAgent},
                                                    {"AssignTicket", mot::Scope::kAgent},
                                                    {"AddNote", mot::Scope::kAgent},
                                                    {"ReclassifyTicket", mot::Scope::kAgent},
                                                    {"GetDefectRollup", mot::Scope::kManager},
                                                    {"GetComplaintReport", mot::Scope::kManager},
                                                    {"ExportCustomer", mot::Scope::kManager}}));
  });
}
