#include <memory>

#include "mot/common/runtime.h"
#include "mot/common/topics.h"
#include "survey/app/command_consumer.h"
#include "survey/app/event_consumer.h"
#include "survey/app/kpi.h"
#include "survey/app/metrics.h"
#include "survey/app/owner_consumer.h"
#include "survey/app/owner_eraser.h"
#include "survey/app/responses.h"
#include "survey/app/scores_metrics.h"
#include "survey/app/survey_page.h"
#include "survey/app/survey_service.h"
#include "survey/config.h"

int main() {
  return mot::RunService("survey", [] {
    const auto config = mot::survey::SurveyConfig::FromEnv(mot::Env());
    const auto& catalogue = config.catalogue;
    mot::Runtime runtime("survey", config.common);
    mot::RedisRecordStore store(runtime.redis(), "survey");
    const mot::Clock& clock = runtime.clock();
    mot::survey::CommandHandler handler(catalogue, store, clock, config.link_base, config.retention,
                                        config.common.times);
    runtime.AddConsumer(
        {mot::kSurveyCommandsTopic},
        [&](const mot::Incoming& in, mot::Publisher& out) { return handler.Handle(in, out); });
    // The KPI's events: lifecycle (owners, repurchase, referrals, community activity) and
    // tickets (complaints opened and resolved), in a group of their own.
    mot::survey::EventConsumer events(runtime.redis(), catalogue);
    runtime.AddConsumer(
        {mot::kLifecycleTopic, mot::kTicketEventsTopic},
        [&](const mot::Incoming& in, mot::Publisher&) { return events.Handle(in); }, ".kpi");
    mot::survey::SurveyMetrics metrics(runtime.registry());
    // customer_forgotten erases the owner's surveys, in a group of its own.
    const size_t owner_surveys_max = config.owner_surveys_max;
    mot::survey::OwnerEraser eraser({store, catalogue, clock, config.retention, owner_surveys_max});
    mot::survey::OwnerHandler owners(eraser, metrics);
    runtime.AddConsumer(
        {mot::kLifecycleTopic},
        [&](const mot::Incoming& in, mot::Publisher&) { return owners.Handle(in); }, ".owners");
    mot::survey::KpiCounter kpi(runtime.redis());
    // Kept here: /metrics holds it weakly.
    const auto scores_metrics = std::make_shared<mot::survey::ScoresMetrics>(
        runtime.redis(), catalogue, kpi, clock, config.metrics_projects);
    runtime.AddCollectable(scores_metrics);
    mot::survey::Responses responses(
        {store, runtime.redis(), catalogue, runtime.producer(), clock, config.retention});
    mot::survey::SurveyGrpc grpc_service({responses, store, runtime.redis(), catalogue,
                                          config.max_page_size, kpi, owner_surveys_max,
                                          config.retention});
    mot::survey::SurveyWeb web(
        {responses, catalogue, clock, metrics, config.max_form_bytes, config.max_text});
    if (!web.Bind(config.http_addr)) {
      throw mot::ConfigError("MOT_SURVEY_HTTP_ADDR='" + config.http_addr +
                             "': cannot listen there (host:port)");
    }
    runtime.AddLoop([&](const std::atomic<bool>& stop) { web.Run(stop); });
    return runtime.Serve(
        {&grpc_service},
        mot::PolicyOf("mot.survey.v1.SurveyService", {{"ListSurveyInstances", mot::Scope::kReader},
                                                      {"GetSurveyInstance", mot::Scope::kReader},
                                                      {"SubmitResponse", mot::Scope::kAgent},
                                                      {"GetScores", mot::Scope::kManager},
                                                      {"GetKpi", mot::Scope::kManager},
                                                      {"ExportCustomer", mot::Scope::kManager}}));
  });
}
