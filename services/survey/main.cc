#include "app/survey_app.h"
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
    mot::Runtime runtime("survey", common);
    mot::RedisRecordStore store(runtime.redis(), "survey");
    const mot::Clock& clock = runtime.clock();
    mot::survey::CommandHandler handler(catalogue, store, clock);
    runtime.AddConsumer({mot::kSurveyCommandsTopic},
                        [&](const mot::Incoming& in, mot::Publisher& out) { return handler.Handle(in, out); });
    mot::survey::SurveyGrpc grpc_service({store, runtime.redis(), catalogue, runtime.producer(), clock, page});
    return runtime.Serve({&grpc_service});
  });
}
