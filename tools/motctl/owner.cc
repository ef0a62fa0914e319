// motctl owner export CUSTOMER: a subject-access request (PIPL) answered as one JSON
// object of what each of the four services holds about the owner, personal data in
// clear (each service's ExportCustomer, `manager` scope; docs/personal-data.md).
#include "client.h"
#include "mot/notification/v1/notification.grpc.pb.h"
#include "mot/scheduler/v1/scheduler.grpc.pb.h"
#include "mot/survey/v1/survey.grpc.pb.h"
#include "mot/ticketing/v1/ticketing.grpc.pb.h"
#include "nlohmann/json.hpp"

namespace motctl {
namespace {

// One service's ExportCustomer answer, as JSON.
template <typename Request, typename Response, typename Stub, typename Method>
nlohmann::json Ask(Stub& stub, Method method, const std::string& customer,
                   const std::string& what) {
  Request req;
  req.set_customer_id(customer);
  Response resp;
  Check(((*stub).*method)(Context().get(), req, &resp), what);
  return nlohmann::json::parse(Json(resp));
}

}  // namespace

void AddOwner(CLI::App& app, Client& client) {
  auto* owner = app.add_subcommand("owner", "what is held about an owner (PIPL)");
  owner->require_subcommand(1);
  auto* cmd = owner->add_subcommand(
      "export", "everything the four services hold about one owner, as JSON (manager)");
  auto customer = std::make_shared<std::string>();
  cmd->add_option("customer", *customer, "customer id")->required();
  cmd->callback([&client, customer] {
    namespace sv1 = mot::scheduler::v1;
    namespace tv1 = mot::ticketing::v1;
    namespace nv1 = mot::notification::v1;
    namespace qv1 = mot::survey::v1;
    auto scheduler = sv1::SchedulerService::NewStub(client.Channel("MOT_SCHEDULER_ADDR"));
    auto ticketing = tv1::TicketingService::NewStub(client.Channel("MOT_TICKETING_ADDR"));
    auto notification = nv1::NotificationService::NewStub(client.Channel("MOT_NOTIFICATION_ADDR"));
    auto survey = qv1::SurveyService::NewStub(client.Channel("MOT_SURVEY_ADDR"));
    nlohmann::json out;
    out["customer_id"] = *customer;
    out["scheduler"] = Ask<sv1::ExportCustomerRequest, sv1::ExportCustomerResponse>(
        scheduler, &sv1::SchedulerService::Stub::ExportCustomer, *customer, "scheduler export");
    out["ticketing"] = Ask<tv1::ExportCustomerRequest, tv1::ExportCustomerResponse>(
        ticketing, &tv1::TicketingService::Stub::ExportCustomer, *customer, "ticketing export");
    out["notification"] = Ask<nv1::ExportCustomerRequest, nv1::ExportCustomerResponse>(
        notification, &nv1::NotificationService::Stub::ExportCustomer, *customer,
        "notification export");
    out["survey"] = Ask<qv1::ExportCustomerRequest, qv1::ExportCustomerResponse>(
        survey, &qv1::SurveyService::Stub::ExportCustomer, *customer, "survey export");
    std::cout << out.dump(2) << "\n";
  });
}

}  // namespace motctl
