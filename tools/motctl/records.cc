// motctl survey | delivery: what the services made for a customer.
#include <cctype>

#include "client.h"
#include "fmt/format.h"
#include "mot/notification/v1/notification.grpc.pb.h"
#include "mot/survey/v1/survey.grpc.pb.h"

namespace motctl {
namespace {

void AddSurvey(CLI::App& app, Client& client) {
  namespace sv1 = mot::survey::v1;
  auto* survey = app.add_subcommand("survey", "survey instances");
  survey->require_subcommand(1);
  auto customer = std::make_shared<std::string>();
  auto* list = survey->add_subcommand("list", "a customer's survey instances");
  list->add_option("customer", *customer, "customer id")->required();
  list->callback([&client, customer] {
    auto stub = sv1::SurveyService::NewStub(client.Channel("MOT_SURVEY_ADDR"));
    sv1::ListSurveyInstancesRequest req;
    req.set_customer_id(*customer);
    sv1::ListSurveyInstancesResponse resp;
    Check(stub->ListSurveyInstances(Context().get(), req, &resp), "survey list");
    PrintAll(resp.instances(), client.json, [](const sv1::SurveyInstance& s) {
      return fmt::format("{}  {}  {}  {}  open until {}  ({} questions)\n", s.id(), s.survey_id(),
                         s.stage(), s.title(), Time(s.expires_at()), s.questions_size());
    });
  });
}

void AddDelivery(CLI::App& app, Client& client) {
  namespace nv1 = mot::notification::v1;
  auto* delivery = app.add_subcommand("delivery", "notification deliveries");
  delivery->require_subcommand(1);
  auto customer = std::make_shared<std::string>();
  auto* list = delivery->add_subcommand("list", "a customer's deliveries");
  list->add_option("customer", *customer, "customer id")->required();
  list->callback([&client, customer] {
    auto stub = nv1::NotificationService::NewStub(client.Channel("MOT_NOTIFICATION_ADDR"));
    nv1::ListDeliveriesRequest req;
    req.set_customer_id(*customer);
    nv1::ListDeliveriesResponse resp;
    Check(stub->ListDeliveries(Context().get(), req, &resp), "delivery list");
    PrintAll(resp.deliveries(), client.json, [](const nv1::Delivery& d) {
      return fmt::format("{}  {}  {}  {}  {}  at {}\n", d.id(), d.template_id(), d.channel(),
                         Short(nv1::DeliveryStatus_Name(d.status()), "DELIVERY_STATUS_"),
                         d.provider_response(), Time(d.delivered_at()));
    });
  });
}

}  // namespace

void AddRecords(CLI::App& app, Client& client) {
  AddSurvey(app, client);
  AddDelivery(app, client);
}

}  // namespace motctl
