#pragma once

#include "mot/common/clock.h"
#include "mot/common/messaging.h"
#include "mot/common/served.h"
#include "mot/scheduler/v1/scheduler.grpc.pb.h"
#include "touchpoint-scheduler/app/event_intake.h"
#include "touchpoint-scheduler/app/live_playbook.h"
#include "touchpoint-scheduler/app/metrics.h"
#include "touchpoint-scheduler/domain/journey_store.h"
#include "touchpoint-scheduler/domain/planner.h"

namespace mot::scheduler {

// The SchedulerService API: journeys and stages, managers' changes, playbook checks and
// rehearsals, and events ingested over the API.
class SchedulerGrpc final : public Served<v1::SchedulerService> {
 public:
  SchedulerGrpc(const LivePlaybook& playbook, JourneyStore& store, Publisher& publisher,
                const Clock& clock, PlanningLimits limits, SchedulerMetrics& metrics,
                int max_page_size)
      : playbook_(playbook),
        store_(store),
        clock_(clock),
        metrics_(metrics),
        max_page_size_(max_page_size),
        intake_(playbook, publisher, clock, limits) {}
  grpc::Status GetJourney(grpc::ServerContext*, const v1::GetJourneyRequest* req,
                          v1::GetJourneyResponse* resp) override;
  grpc::Status GetStage(grpc::ServerContext*, const v1::GetStageRequest* req,
                        v1::GetStageResponse* resp) override;
  grpc::Status CancelTouchpoint(grpc::ServerContext*, const v1::CancelTouchpointRequest* req,
                                v1::Touchpoint* resp) override;
  grpc::Status RescheduleTouchpoint(grpc::ServerContext*,
                                    const v1::RescheduleTouchpointRequest* req,
                                    v1::Touchpoint* resp) override;
  grpc::Status ValidatePlaybook(grpc::ServerContext*, const v1::ValidatePlaybookRequest* req,
                                v1::ValidatePlaybookResponse* resp) override;
  grpc::Status SimulateJourney(grpc::ServerContext*, const v1::SimulateJourneyRequest* req,
                               v1::SimulateJourneyResponse* resp) override;
  grpc::Status IngestEvent(grpc::ServerContext*, const v1::IngestEventRequest* req,
                           v1::IngestEventResponse* resp) override;
  grpc::Status ExportCustomer(grpc::ServerContext*, const v1::ExportCustomerRequest* req,
                              v1::ExportCustomerResponse* resp) override;

 private:
  const LivePlaybook& playbook_;
  JourneyStore& store_;
  const Clock& clock_;
  SchedulerMetrics& metrics_;
  const int max_page_size_;  // of a journey page
  EventIntake intake_;
};
}  // namespace mot::scheduler
