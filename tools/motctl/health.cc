// motctl health: the four services' gRPC health.
#include "client.h"
#include "fmt/format.h"
#include "grpc/health/v1/health.grpc.pb.h"

namespace motctl {

void AddHealth(CLI::App& app, Client& client) {
  auto* cmd = app.add_subcommand("health", "gRPC health of the four services");
  cmd->callback([&client] {
    using grpc::health::v1::HealthCheckResponse;
    int bad = 0;
    for (auto [name, key] : {std::pair{"touchpoint-scheduler", "MOT_SCHEDULER_ADDR"},
                             std::pair{"ticketing", "MOT_TICKETING_ADDR"},
                             std::pair{"notification", "MOT_NOTIFICATION_ADDR"},
                             std::pair{"survey", "MOT_SURVEY_ADDR"}}) {
      auto stub = grpc::health::v1::Health::NewStub(client.Channel(key));
      grpc::health::v1::HealthCheckRequest req;
      HealthCheckResponse resp;
      grpc::Status s = stub->Check(Context().get(), req, &resp);
      std::string state = s.ok() ? HealthCheckResponse::ServingStatus_Name(resp.status())
                                 : "UNREACHABLE (" + s.error_message() + ")";
      if (!s.ok() || resp.status() != HealthCheckResponse::SERVING) ++bad;
      std::cout << fmt::format("{:<21} {:<22} {}\n", name, client.Get(key), state);
    }
    client.exit_code = bad == 0 ? 0 : 1;
  });
}

}  // namespace motctl
