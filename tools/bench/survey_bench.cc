// Survey answers over gRPC (SubmitResponse on the survey service of a local mesh:
// checked, the instance completed, the response kept and the running tally counted in
// one Redis script, COMPLETED (and DETRACTOR) acknowledged by Kafka) against a bare
// gRPC echo of the same call, same client, concurrency and messages, in one run; the
// echo is this program too (--serve-echo PORT), served both ways gRPC offers (the
// synchronous API, as the survey service serves, and the callback API) and the faster
// counts. Goal: answers >= 0.5 of the echo's throughput.
// Then a score query with 1,000,000 stored responses: a million instances are answered
// in Redis with the service's own script (CompleteCommand: instance, response, tally)
// in one project and month, and GetScores for that month is timed over gRPC. Goal:
// p99 under 10 ms.
#include <CLI/CLI.hpp>
#include <algorithm>
#include <atomic>
#include <thread>

#include "bench_util.h"
#include "echo_server.h"
#include "grpcpp/grpcpp.h"
#include "mot/common/clock.h"
#include "mot/common/config.h"
#include "mot/common/redis.h"
#include "mot/survey/v1/survey.grpc.pb.h"
#include "survey/app/survey_records.h"
#include "survey/domain/catalogue.h"

namespace sv1 = mot::survey::v1;
using mot::TimePoint;

namespace {

void EchoOf(const sv1::SubmitResponseRequest* req, sv1::SubmitResponseResponse* resp) {
  resp->mutable_instance()->set_id(req->instance_id());
  resp->mutable_instance()->set_status(sv1::SURVEY_STATUS_COMPLETED);
  resp->mutable_response()->set_instance_id(req->instance_id());
  *resp->mutable_response()->mutable_answers() = req->answers();
  resp->mutable_response()->set_actor(req->actor());
}

class Echo final : public sv1::SurveyService::Service {
  grpc::Status SubmitResponse(grpc::ServerContext*, const sv1::SubmitResponseRequest* req,
                              sv1::SubmitResponseResponse* resp) override {
    EchoOf(req, resp);
    return grpc::Status::OK;
  }
};

class CallbackEcho final : public sv1::SurveyService::CallbackService {
  grpc::ServerUnaryReactor* SubmitResponse(grpc::CallbackServerContext* ctx,
                                           const sv1::SubmitResponseRequest* req,
                                           sv1::SubmitResponseResponse* resp) override {
    EchoOf(req, resp);
    auto* reactor = ctx->DefaultReactor();
    reactor->Finish(grpc::Status::OK);
    return reactor;
  }
};

sv1::Answer Score(int v) {
  sv1::Answer a;
  a.set_score(v);
  return a;
}
sv1::Answer Pair(int e, int p) {
  sv1::Answer a;
  a.set_expectation(e);
  a.set_perception(p);
  return a;
}

// A repair survey's answers; one in five a detractor's.
void Answers(int64_t n, google::protobuf::Map<std::string, sv1::Answer>* out) {
  const bool detractor = n % 5 == 0;
  (*out)["on_time"] = Pair(6, detractor ? 2 : 6);
  (*out)["first_time"] = Pair(6, 5 + static_cast<int>(n % 3));
  (*out)["overall"] = Score(detractor ? 2 : 4 + static_cast<int>(n % 2));
  (*out)["recommend"] = Score(detractor ? 4 : 8 + static_cast<int>(n % 3));
  (*out)["channel"].set_text(n % 2 ? "App" : "400热线");
}

struct Result : bench::CallResult {
  bool ran_out = false;
};

// `concurrency` threads answering instances from `ids` (taken in turn) for `seconds`.
Result Run(const std::map<std::string, std::string>& env, const std::string& target,
           int concurrency, double seconds, const std::vector<std::string>& ids,
           std::atomic<size_t>& next) {
  auto channel = bench::Channel(env, target);
  std::atomic<int64_t> errors{0};
  std::atomic<bool> ran_out{false};
  std::vector<std::vector<double>> latencies(concurrency);
  std::vector<std::string> first_error(concurrency);
  const auto start = bench::Steady::now();
  const auto until = start + std::chrono::duration<double>(seconds);
  std::vector<std::thread> threads;
  for (int w = 0; w < concurrency; ++w) {
    threads.emplace_back([&, w] {
      auto stub = sv1::SurveyService::NewStub(channel);
      while (bench::Steady::now() < until) {
        const size_t i = next++;
        if (i >= ids.size()) {
          ran_out = true;
          break;
        }
        sv1::SubmitResponseRequest req;
        req.set_instance_id(ids[i]);
        req.set_actor("bench-agent");
        Answers(static_cast<int64_t>(i), req.mutable_answers());
        sv1::SubmitResponseResponse resp;
        grpc::ClientContext ctx;
        ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
        const auto t0 = bench::Steady::now();
        auto s = stub->SubmitResponse(&ctx, req, &resp);
        if (!s.ok()) {
          if (errors++ == 0) first_error[w] = s.error_message();
          continue;
        }
        latencies[w].push_back(
            std::chrono::duration<double, std::milli>(bench::Steady::now() - t0).count());
      }
    });
  }
  for (auto& t : threads) t.join();
  Result r{bench::Summarise(latencies, start, errors.load(), first_error)};
  r.ran_out = ran_out.load();
  return r;
}

mot::RedisClient Redis(const std::map<std::string, std::string>& env) {
  const std::string addr = env.at("MOT_REDIS_ADDR");
  const auto colon = addr.rfind(':');
  return mot::RedisClient(addr.substr(0, colon), std::stoi(addr.substr(colon + 1)),
                          env.at("MOT_REDIS_PASSWORD"), std::chrono::seconds(30));
}

// `count` open instances of `survey` in `project`, written as the survey service keeps
// them (one owner each, so survey fatigue never applies), in pipelined batches.
std::vector<std::string> OpenInstances(mot::RedisClient& redis,
                                       const mot::survey::SurveyCatalogue& catalogue,
                                       const std::string& survey, const std::string& project,
                                       const std::string& tag, size_t count, TimePoint now,
                                       std::vector<std::string>* raw = nullptr) {
  mot::RedisRecordStore store(redis, "survey");
  std::vector<std::string> ids;
  std::vector<mot::NewRecord> batch;
  auto flush = [&] {
    auto r = store.InsertAll(batch);
    if (!r.ok()) throw std::runtime_error(std::string(r.status().message()));
    batch.clear();
  };
  for (size_t i = 0; i < count; ++i) {
    sv1::CreateSurveyCommand cmd;
    cmd.set_command_id(fmt::format("{}-{}", tag, i));
    cmd.set_customer_id(fmt::format("C-{}-{}", tag, i));
    cmd.set_survey_id(survey);
    cmd.set_project_id(project);
    *cmd.mutable_requested_at() = mot::ToProto(now);
    auto instance = mot::survey::CreateInstance(catalogue, cmd, now);
    if (!instance.ok()) throw std::runtime_error(std::string(instance.status().message()));
    ids.push_back(instance->id());
    batch.push_back({instance->id(), instance->customer_id(), mot::ToUnixMillis(now),
                     instance->SerializeAsString()});
    if (raw) raw->push_back(batch.back().bytes);
    if (batch.size() == 2000) flush();
  }
  if (!batch.empty()) flush();
  return ids;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "survey answers over gRPC against a bare gRPC echo; a score query over a million responses"};
  int echo_port = 0, concurrency = 16, rounds = 2, queries = 1000;
  double seconds = 10;
  size_t stored = 1'000'000;
  bool callback_echo = false;
  std::string env_file, echo, callback_echo_addr, json_path, md_path, surveys_yaml;
  std::string echo_pki;
  app.add_option("--serve-echo", echo_port, "serve the echo on this port (the baseline's process)");
  app.add_option("--pki", echo_pki, "the mesh's pki directory (the echo's TLS)");
  app.add_flag("--callback", callback_echo, "serve the echo from the callback API");
  app.add_option("--env-file", env_file, "the mesh's env file");
  app.add_option("--echo", echo, "the synchronous echo's host:port");
  app.add_option("--callback-echo", callback_echo_addr, "the callback echo's host:port");
  app.add_option("--surveys", surveys_yaml, "the survey catalogue the mesh runs (surveys.yaml)");
  app.add_option("--concurrency", concurrency, "calls in flight")->check(CLI::Range(1, 1024));
  app.add_option("--seconds", seconds, "each measured run")->check(CLI::Range(1.0, 600.0));
  app.add_option("--rounds", rounds, "echo and answer runs, alternating; the best of each counts");
  app.add_option("--stored", stored, "responses stored before the score query");
  app.add_option("--queries", queries, "score queries timed");
  app.add_option("--json", json_path);
  app.add_option("--markdown", md_path);
  CLI11_PARSE(app, argc, argv);
  if (echo_port > 0) {
    Echo echo;
    CallbackEcho callback;
    return bench::ServeEcho(
        echo_port, callback_echo ? static_cast<grpc::Service*>(&callback) : &echo, echo_pki);
  }
  const auto env = bench::ReadEnv(env_file);
  if (!env.count("MOT_SURVEY_ADDR") || echo.empty() || callback_echo_addr.empty() ||
      surveys_yaml.empty()) {
    std::cerr << "survey_bench: --env-file must name MOT_SURVEY_ADDR; --echo, --callback-echo and "
                 "--surveys are needed\n";
    return 2;
  }
  const std::string target = env.at("MOT_SURVEY_ADDR");
  mot::Env config({{"MOT_SURVEYS", surveys_yaml}});
  const auto catalogue = mot::ConfigFile<mot::survey::SurveyCatalogue>(
      config, "MOT_SURVEYS", mot::survey::SurveyCatalogue::FromYaml);
  auto redis = Redis(env);
  const TimePoint now = mot::SystemClock().Now();
  const std::string tag =
      fmt::format("b{}", std::chrono::system_clock::now().time_since_epoch().count() % 1000000000);

  // Part 1: answers per second. Enough open instances for every run at a generous rate.
  const size_t needed = static_cast<size_t>((rounds * seconds + 2) * 8000);
  fmt::print("opening {} survey instances ...\n", needed);
  const auto ids =
      OpenInstances(redis, catalogue, "repair_satisfaction", "P-BENCH-" + tag, tag, needed, now);
  std::atomic<size_t> next{0};
  std::atomic<size_t> echo_next{0};
  // Unmeasured warm-up of all three (connections, the script, the broker's producer).
  Run(env, echo, concurrency, 2, ids, echo_next);
  Run(env, callback_echo_addr, concurrency, 2, ids, echo_next);
  Run(env, target, concurrency, 2, ids, next);
  Result best_echo, best_sync, best_callback, best_answer;
  for (int i = 0; i < rounds; ++i) {
    echo_next = 0;
    auto e1 = Run(env, echo, concurrency, seconds, ids, echo_next);
    echo_next = 0;
    auto e2 = Run(env, callback_echo_addr, concurrency, seconds, ids, echo_next);
    auto a = Run(env, target, concurrency, seconds, ids, next);
    fmt::print(
        "round {}: echo sync {:.0f}/s, callback {:.0f}/s; answers {:.0f}/s (p50 {:.2f} ms, p99 "
        "{:.2f} ms, "
        "{} errors{})\n",
        i + 1, e1.per_second, e2.per_second, a.per_second, a.p50_ms, a.p99_ms, a.errors,
        a.ran_out ? ", RAN OUT of instances" : "");
    if (e1.per_second > best_sync.per_second) best_sync = e1;
    if (e2.per_second > best_callback.per_second) best_callback = e2;
    if (a.per_second > best_answer.per_second) best_answer = a;
    if (a.errors > 0) std::cerr << "answer errors, e.g.: " << a.first_error << "\n";
  }
  best_echo = best_sync.per_second >= best_callback.per_second ? best_sync : best_callback;
  const std::string echo_kind =
      best_sync.per_second >= best_callback.per_second ? "synchronous" : "callback";
  const double ratio = best_echo.per_second > 0 ? best_answer.per_second / best_echo.per_second : 0;

  // Part 2: a score query with `stored` responses in one project and month, written with
  // the service's own script (instance completed, response kept, tally counted).
  const std::string project = "P-SCORES-" + tag;
  const auto* def = catalogue.Find("delivery_satisfaction");
  const std::string month = mot::survey::MonthOf(now, catalogue.zone());
  mot::RedisRecordStore store(redis, "survey");
  fmt::print("storing {} responses ...\n", stored);
  const auto load_start = bench::Steady::now();
  for (size_t done = 0; done < stored;) {
    const size_t n = std::min<size_t>(20000, stored - done);
    std::vector<std::string> raw;
    const auto batch = OpenInstances(redis, catalogue, "delivery_satisfaction", project,
                                     fmt::format("{}s{}", tag, done), n, now, &raw);
    std::vector<std::vector<std::string>> cmds;
    for (size_t i = 0; i < n; ++i) {
      sv1::SurveyInstance open;
      open.ParseFromString(raw[i]);
      sv1::SurveyInstance completed = open;
      completed.set_status(sv1::SURVEY_STATUS_COMPLETED);
      *completed.mutable_answered_at() = mot::ToProto(now);
      sv1::SurveyResponse response;
      response.set_instance_id(open.id());
      const int64_t k = static_cast<int64_t>(done + i);
      auto& a = *response.mutable_answers();
      a["quality"] = Score(1 + static_cast<int>(k % 5));
      for (const char* d : {"tangibles", "reliability", "responsiveness", "assurance", "empathy"}) {
        a[d] = Pair(4 + static_cast<int>(k % 4), 2 + static_cast<int>(k % 6));
      }
      a["recommend"] = Score(static_cast<int>(k % 11));
      *response.mutable_submitted_at() = mot::ToProto(now);
      response.set_actor("web");
      std::map<std::string, mot::survey::Answer> given;
      for (const auto& [q, x] : a) {
        mot::survey::Answer y;
        if (x.has_score()) y.score = x.score();
        if (x.has_expectation()) y.expectation = x.expectation();
        if (x.has_perception()) y.perception = x.perception();
        given[q] = y;
      }
      mot::survey::Tally delta;
      delta.Add(def->questions, given);
      cmds.push_back(
          mot::survey::CompleteCommand(store, raw[i], completed, response,
                                       mot::survey::TallyKey(project, open.stage(), month), delta));
    }
    auto r = redis.Pipeline(cmds);
    if (!r.ok()) {
      std::cerr << "storing responses: " << r.status().message() << "\n";
      return 1;
    }
    done += n;
  }
  fmt::print("stored in {:.1f} s\n", bench::Seconds(load_start));
  auto stub = sv1::SurveyService::NewStub(bench::Channel(env, target));
  std::vector<double> took;
  int64_t counted = 0;
  for (int i = 0; i < queries + 20; ++i) {
    sv1::GetScoresRequest req;
    req.set_project_id(project);
    req.set_month(month);
    sv1::GetScoresResponse resp;
    grpc::ClientContext ctx;
    const auto t0 = bench::Steady::now();
    auto s = stub->GetScores(&ctx, req, &resp);
    const double ms = std::chrono::duration<double, std::milli>(bench::Steady::now() - t0).count();
    if (!s.ok()) {
      std::cerr << "GetScores: " << s.error_message() << "\n";
      return 1;
    }
    counted = resp.responses();
    if (i >= 20) took.push_back(ms);  // the first few warm the connection
  }
  std::sort(took.begin(), took.end());
  const double q50 = took[took.size() / 2],
               q99 = took[std::min(took.size() - 1, took.size() * 99 / 100)];

  std::vector<bench::Figure> figures = {
      {"survey answers per second (gRPC, checked, completed + response + tally in one script, "
       "events acknowledged)",
       best_answer.per_second, "/s", "bare gRPC echo (" + echo_kind + " API), same client",
       best_echo.per_second, "ratio >= 0.5", ratio >= 0.5},
      {"answer latency p50", best_answer.p50_ms, "ms", "echo p50", best_echo.p50_ms, ""},
      {"answer latency p99", best_answer.p99_ms, "ms", "echo p99", best_echo.p99_ms, ""},
      {"answer errors", static_cast<double>(best_answer.errors), "", "", 0, "0",
       best_answer.errors == 0},
      {"other echo: " + std::string(echo_kind == "callback" ? "synchronous" : "callback") + " API",
       echo_kind == "callback" ? best_sync.per_second : best_callback.per_second, "/s", "", 0, ""},
      {"responses the score query counted", static_cast<double>(counted), "", "stored",
       static_cast<double>(stored), "all", counted == static_cast<int64_t>(stored)},
      {"score query p50 (gRPC GetScores, one project and month, every stage)", q50, "ms", "", 0,
       ""},
      {"score query p99", q99, "ms", "", 0, "< 10 ms", q99 < 10},
  };
  nlohmann::json context = {{"concurrency", concurrency},
                            {"seconds", seconds},
                            {"rounds", rounds},
                            {"stored", stored},
                            {"queries", queries}};
  std::cout << bench::WriteTable("survey answers and scores", figures, context, md_path, json_path);
  return 0;
}
