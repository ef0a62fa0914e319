// motctl journey: a customer's timeline.
#include "client.h"
#include "fmt/format.h"
#include "mot/scheduler/v1/scheduler.grpc.pb.h"

namespace motctl {

void AddJourney(CLI::App& app, Client& client) {
  auto* cmd = app.add_subcommand("journey", "a customer's timeline");
  auto customer = std::make_shared<std::string>();
  cmd->add_option("customer", *customer, "customer id")->required();
  cmd->callback([&client, customer] {
    namespace sv1 = mot::scheduler::v1;
    auto stub = sv1::SchedulerService::NewStub(client.Channel("MOT_SCHEDULER_ADDR"));
    sv1::GetJourneyRequest req;
    req.set_customer_id(*customer);
    sv1::GetJourneyResponse resp;
    Check(stub->GetJourney(Context().get(), req, &resp), "journey");
    if (client.json) {
      std::cout << Json(resp) << "\n";
      return;
    }
    std::cout << fmt::format("customer {}  stage {}\n", resp.customer_id(),
                             resp.stage().empty() ? "-" : resp.stage());
    std::cout << fmt::format("{:<21} {:<11} {:<13} {:<24} {}\n", "DUE (UTC)", "STATUS", "SERVICE",
                             "STEP", "OUTCOME");
    for (const auto& tp : resp.touchpoints()) {
      std::cout << fmt::format("{:<21} {:<11} {:<13} {:<24} {}{}\n", Time(tp.due_at()),
                               Short(sv1::TouchpointStatus_Name(tp.status()), "TOUCHPOINT_STATUS_"),
                               tp.service(), tp.step_id(), tp.outcome(),
                               tp.result_ref().empty() ? "" : " [" + tp.result_ref() + "]");
    }
  });
}

}  // namespace motctl
