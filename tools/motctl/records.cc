// motctl ticket | survey | delivery: what the services made for a customer.
#include "client.h"
#include "fmt/format.h"
#include "mot/notification/v1/notification.grpc.pb.h"
#include "mot/survey/v1/survey.grpc.pb.h"
#include "mot/ticketing/v1/ticketing.grpc.pb.h"

namespace motctl {
namespace {

namespace tv1 = mot::ticketing::v1;

std::string TicketText(const tv1::Ticket& t) {
  std::string out = fmt::format("{}  {}  {}  customer {}  opened {}\n", t.id(), t.kind(),
                                Short(tv1::TicketStatus_Name(t.status()), "TICKET_STATUS_"),
                                t.customer_id(), Time(t.opened_at()));
  for (const auto& d : t.deadlines()) {
    out += fmt::format("    {:<26} due {}\n", d.milestone(), Time(d.due_at()));
  }
  return out;
}

void AddTicket(CLI::App& app, Client& client) {
  auto* ticket = app.add_subcommand("ticket", "tickets");
  ticket->require_subcommand(1);
  auto id = std::make_shared<std::string>();
  auto* get = ticket->add_subcommand("get", "one ticket");
  get->add_option("id", *id, "ticket id")->required();
  get->callback([&client, id] {
    auto stub = tv1::TicketingService::NewStub(client.Channel("MOT_TICKETING_ADDR"));
    tv1::GetTicketRequest req;
    req.set_ticket_id(*id);
    tv1::GetTicketResponse resp;
    Check(stub->GetTicket(Context().get(), req, &resp), "ticket get");
    PrintAll(std::vector<tv1::Ticket>{resp.ticket()}, client.json, TicketText);
  });
  auto customer = std::make_shared<std::string>();
  auto* list = ticket->add_subcommand("list", "tickets, newest first");
  list->add_option("--customer", *customer, "only this customer's");
  list->callback([&client, customer] {
    auto stub = tv1::TicketingService::NewStub(client.Channel("MOT_TICKETING_ADDR"));
    tv1::ListTicketsRequest req;
    req.set_customer_id(*customer);
    tv1::ListTicketsResponse resp;
    Check(stub->ListTickets(Context().get(), req, &resp), "ticket list");
    PrintAll(resp.tickets(), client.json, TicketText);
  });
}

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
  AddTicket(app, client);
  AddSurvey(app, client);
  AddDelivery(app, client);
}

}  // namespace motctl
