// Ticket creation over gRPC with persistence (the ticketing service of a local mesh:
// Redis, the SLA timer, indexes, the OPENED event acknowledged by Kafka) against a bare
// gRPC echo of the same call, with the same client, concurrency and messages, in one
// run. The echo is this program too (--serve-echo PORT), in a process of its own like
// the service. Goal: creation >= 0.5 of the echo's throughput.
#include <CLI/CLI.hpp>
#include <algorithm>
#include <atomic>
#include <thread>

#include "bench_util.h"
#include "echo_server.h"
#include "grpcpp/grpcpp.h"
#include "mot/ticketing/v1/ticketing.grpc.pb.h"

namespace tv1 = mot::ticketing::v1;

namespace {

void EchoOf(const tv1::CreateTicketRequest* req, tv1::Ticket* resp) {
  resp->set_id(req->request_id());
  resp->set_kind(req->kind());
  resp->set_customer_id(req->customer_id());
  resp->set_unit_id(req->unit_id());
  resp->set_project_id(req->project_id());
  resp->set_summary(req->summary());
  resp->set_status(tv1::TICKET_STATUS_NEW);
}

// Answers CreateTicket with the request's fields, storing nothing: on a thread of the
// synchronous server ...
class Echo final : public tv1::TicketingService::Service {
  grpc::Status CreateTicket(grpc::ServerContext*, const tv1::CreateTicketRequest* req,
                            tv1::Ticket* resp) override {
    EchoOf(req, resp);
    return grpc::Status::OK;
  }
};

// ... or from the callback API (how the ticketing service serves it).
class CallbackEcho final : public tv1::TicketingService::CallbackService {
  grpc::ServerUnaryReactor* CreateTicket(grpc::CallbackServerContext* ctx,
                                         const tv1::CreateTicketRequest* req,
                                         tv1::Ticket* resp) override {
    EchoOf(req, resp);
    auto* reactor = ctx->DefaultReactor();
    reactor->Finish(grpc::Status::OK);
    return reactor;
  }
};

struct Result : bench::CallResult {
  double cpu_us_per_call = 0;  // the whole machine's busy CPU time per answered call
};

// `concurrency` threads, each calling CreateTicket back to back for `seconds`.
Result Run(const std::map<std::string, std::string>& env, const std::string& target,
           int concurrency, double seconds, const std::string& tag) {
  auto channel = bench::Channel(env, target);
  std::atomic<int64_t> errors{0};
  std::vector<std::vector<double>> latencies(concurrency);
  std::vector<std::string> first_error(concurrency);
  const double cpu_before = bench::BusyCpuSeconds();
  const auto start = bench::Steady::now();
  const auto until = start + std::chrono::duration<double>(seconds);
  std::vector<std::thread> threads;
  for (int w = 0; w < concurrency; ++w) {
    threads.emplace_back([&, w] {
      auto stub = tv1::TicketingService::NewStub(channel);
      for (int64_t n = 0; bench::Steady::now() < until; ++n) {
        tv1::CreateTicketRequest req;
        req.set_request_id(fmt::format("{}-{}-{}", tag, w, n));
        req.set_actor("bench");
        req.set_kind("repair");
        req.set_customer_id(fmt::format("C-BENCH-{}-{}", w, n % 1000));
        req.set_unit_id("U-0801");
        req.set_project_id("P-BENCH");
        req.set_summary("厨房水管漏水");
        tv1::Ticket resp;
        grpc::ClientContext ctx;
        ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
        const auto t0 = bench::Steady::now();
        auto s = stub->CreateTicket(&ctx, req, &resp);
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
  if (r.calls > 0) r.cpu_us_per_call = (bench::BusyCpuSeconds() - cpu_before) * 1e6 / r.calls;
  return r;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"ticket creation over gRPC against a bare gRPC echo"};
  int echo_port = 0, concurrency = 16, rounds = 2;
  double seconds = 10;
  std::string env_file, echo, json_path, md_path;
  std::string echo_pki;
  app.add_option("--serve-echo", echo_port, "serve the echo on this port (the baseline's process)");
  app.add_option("--pki", echo_pki, "the mesh's pki directory (the echo's TLS)");
  bool callback_echo = false;
  app.add_flag("--callback", callback_echo, "serve the echo from the callback API");
  app.add_option("--env-file", env_file, "the mesh's env file (MOT_TICKETING_ADDR)");
  app.add_option("--echo", echo, "the echo's host:port");
  app.add_option("--concurrency", concurrency, "calls in flight")->check(CLI::Range(1, 1024));
  app.add_option("--seconds", seconds, "each measured run")->check(CLI::Range(1.0, 600.0));
  app.add_option("--rounds", rounds,
                 "echo and creation runs, alternating; the best of each counts");
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
  const std::string target = env.count("MOT_TICKETING_ADDR") ? env.at("MOT_TICKETING_ADDR") : "";
  if (target.empty() || echo.empty()) {
    std::cerr << "ticket_bench: --env-file must name MOT_TICKETING_ADDR and --echo the echo\n";
    return 2;
  }
  const std::string tag =
      fmt::format("bench-{}", std::chrono::system_clock::now().time_since_epoch().count());
  // Unmeasured warm-up of both (connections, scripts, the broker's producer).
  Run(env, echo, concurrency, 2, tag + "-we");
  Run(env, target, concurrency, 2, tag + "-wt");
  Result best_echo, best_create;
  for (int i = 0; i < rounds; ++i) {
    auto e = Run(env, echo, concurrency, seconds, fmt::format("{}-e{}", tag, i));
    auto c = Run(env, target, concurrency, seconds, fmt::format("{}-c{}", tag, i));
    fmt::print(
        "round {}: echo {:.0f}/s (p50 {:.2f} ms, p99 {:.2f} ms, {:.0f} us CPU each); creation "
        "{:.0f}/s (p50 {:.2f} ms, p99 {:.2f} ms, {:.0f} us CPU each, {} errors)\n",
        i + 1, e.per_second, e.p50_ms, e.p99_ms, e.cpu_us_per_call, c.per_second, c.p50_ms,
        c.p99_ms, c.cpu_us_per_call, c.errors);
    if (e.per_second > best_echo.per_second) best_echo = e;
    if (c.per_second > best_create.per_second) best_create = c;
    if (c.errors > 0) std::cerr << "creation errors, e.g.: " << c.first_error << "\n";
  }
  const double ratio = best_echo.per_second > 0 ? best_create.per_second / best_echo.per_second : 0;
  std::vector<bench::Figure> figures = {
      {"tickets created per second (gRPC, stored, timer armed, event acknowledged)",
       best_create.per_second, "/s", "bare gRPC echo, same client", best_echo.per_second,
       "ratio >= 0.5", ratio >= 0.5},
      {"creation latency p50", best_create.p50_ms, "ms", "echo p50", best_echo.p50_ms, ""},
      {"creation latency p99", best_create.p99_ms, "ms", "echo p99", best_echo.p99_ms, ""},
      {"machine CPU time per call (all processes)", best_create.cpu_us_per_call, "us", "per echo",
       best_echo.cpu_us_per_call, ""},
      {"creation errors", static_cast<double>(best_create.errors), "", "", 0, "0",
       best_create.errors == 0},
  };
  nlohmann::json context = {{"concurrency", concurrency}, {"seconds", seconds}, {"rounds", rounds}};
  std::cout << bench::WriteTable("ticket creation", figures, context, md_path, json_path);
  return 0;
}
