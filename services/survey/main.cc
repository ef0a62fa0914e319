#include "app/scores_metrics.h"
#include "app/survey_app.h"
#include "app/web.h"
#include "mot/common/codec.h"
#include "mot/common/topics.h"
#include "mot/common/runtime.h"

int main() {
  return mot::RunService("survey", [] {
    mot::Env env;
    auto common = mot::CommonConfig::FromEnv(env);
    const auto catalogue = mot::ConfigFile<mot::survey::SurveyCatalogue>(
        env, "MOT_SURVEYS", mot::survey::SurveyCatalogue::FromYaml);
    const int page = env.Int("MOT_LIST_PAGE_SIZE_MAX", 100, 1, 10000);
    // Where owners open their survey links (the web page's public address, e.g. the
    // ingress), and where the page listens.
    std::string link_base = env.HttpUrl("MOT_SURVEY_LINK_BASE");
    while (!link_base.empty() && link_base.back() == '/') link_base.pop_back();
    const std::string http_addr = env.Optional("MOT_SURVEY_HTTP_ADDR", "0.0.0.0:8080");
    const size_t max_form = env.Int("MOT_SURVEY_FORM_MAX_BYTES", 64 * 1024, 1024, 16 * 1024 * 1024);
    const size_t max_text = env.Int("MOT_SURVEY_TEXT_MAX_BYTES", 6000, 30, 1024 * 1024);
    mot::Runtime runtime("survey", common);
    mot::RedisRecordStore store(runtime.redis(), "survey");
    const mot::Clock& clock = runtime.clock();
    mot::survey::CommandHandler handler(catalogue, store, clock, link_base, common.times);
    runtime.AddConsumer({mot::kSurveyCommandsTopic},
                        [&](const mot::Incoming& in, mot::Publisher& out) { return handler.Handle(in, out); });
    // The KPI's events: lifecycle (owners, repurchase, referrals, community activity) and
    // tickets (complaints opened and resolved), in a group of their own.
    mot::survey::KpiCounter kpi(runtime.redis(), catalogue);
    runtime.AddConsumer({mot::kLifecycleTopic, mot::kTicketEventsTopic},
                        [&](const mot::Incoming& in, mot::Publisher&) { return kpi.Handle(in); }, ".kpi");
    const int metrics_projects = env.Int("MOT_SURVEY_METRICS_PROJECTS_MAX", 500, 1, 100000);
    // Kept here: /metrics holds it weakly.
    const auto scores_metrics =
        std::make_shared<mot::survey::ScoresMetrics>(runtime.redis(), catalogue, kpi, clock, metrics_projects);
    runtime.AddCollectable(scores_metrics);
    mot::survey::SurveyGrpc grpc_service({store, runtime.redis(), catalogue, runtime.producer(), clock, page, &kpi});
    mot::survey::Responses responses({store, runtime.redis(), catalogue, runtime.producer(), clock});
    mot::survey::SurveyWeb web({responses, catalogue, clock, runtime.registry(), max_form, max_text});
    if (!web.Bind(http_addr)) {
      throw mot::ConfigError("MOT_SURVEY_HTTP_ADDR='" + http_addr + "': cannot listen there (host:port)");
    }
    runtime.AddLoop([&](const std::atomic<bool>& stop) { web.Run(stop); });
    return runtime.Serve({&grpc_service},
                         mot::PolicyOf("mot.survey.v1.SurveyService", {
         {"ListSurveyInstances", mot::Scope::kReader},
         {"GetSurveyInstance", mot::Scope::kReader},
         {"SubmitResponse", mot::Scope::kAgent},
         {"GetScores", mot::Scope::kManager},
         {"GetKpi", mot::Scope::kManager}}));
  });
}
