// motctl ticket | survey | delivery: what the services made for a customer.
#include <cctype>

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

std::string StatusText(tv1::TicketStatus s) { return Short(tv1::TicketStatus_Name(s), "TICKET_STATUS_"); }

// The history: every change of status, who, when, why.
std::string HistoryText(const tv1::Ticket& t) {
  std::string out = fmt::format("{}  {}  {}\n", t.id(), t.kind(), StatusText(t.status()));
  for (const auto& c : t.history()) {
    out += fmt::format("    {}  {} -> {}  by {}{}\n", Time(c.at()), StatusText(c.from()),
                       StatusText(c.to()), c.actor(), c.reason().empty() ? "" : ": " + c.reason());
  }
  return out;
}

struct TransitionFlags {
  std::string id, to, reason, by, request_id;
};

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
  auto* history = ticket->add_subcommand("history", "a ticket's changes: who, when, why");
  history->add_option("id", *id, "ticket id")->required();
  history->callback([&client, id] {
    auto stub = tv1::TicketingService::NewStub(client.Channel("MOT_TICKETING_ADDR"));
    tv1::GetTicketRequest req;
    req.set_ticket_id(*id);
    tv1::GetTicketResponse resp;
    Check(stub->GetTicket(Context().get(), req, &resp), "ticket history");
    if (client.json) {
      std::cout << Json(resp.ticket()) << "\n";
    } else {
      std::cout << HistoryText(resp.ticket());
    }
  });
  auto f = std::make_shared<TransitionFlags>();
  auto* transition = ticket->add_subcommand(
      "transition", "move a ticket: acknowledged, in_progress, waiting_on_owner, waiting_on_parts, "
                    "resolved, closed, reopened");
  transition->add_option("id", f->id, "ticket id")->required();
  transition->add_option("--to", f->to, "the new status")->required();
  transition->add_option("--reason", f->reason, "why (required to wait or reopen)");
  transition->add_option("--by", f->by, "who (default: $USER)");
  transition->add_option("--request-id", f->request_id, "idempotency key (default: a new one)");
  transition->callback([&client, f] {
    tv1::TicketStatus to;
    std::string name = "TICKET_STATUS_" + f->to;
    for (auto& c : name) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    if (!tv1::TicketStatus_Parse(name, &to)) {
      throw std::runtime_error("--to '" + f->to + "' is not a ticket status");
    }
    auto stub = tv1::TicketingService::NewStub(client.Channel("MOT_TICKETING_ADDR"));
    tv1::TransitionTicketRequest req;
    req.set_ticket_id(f->id);
    req.set_to(to);
    req.set_reason(f->reason);
    req.set_actor(Requester(f->by));
    req.set_request_id(f->request_id.empty() ? RandomId("motctl") : f->request_id);
    tv1::Ticket resp;
    Check(stub->TransitionTicket(Context().get(), req, &resp), "ticket transition");
    PrintAll(std::vector<tv1::Ticket>{resp}, client.json, HistoryText);
  });
  struct CreateFlags {
    std::string kind, customer, unit, project, summary, by, request_id;
  };
  auto c = std::make_shared<CreateFlags>();
  auto* create = ticket->add_subcommand("create", "open a ticket (an agent, e.g. from a hotline call)");
  create->add_option("--kind", c->kind, "ticket kind (sla.yaml), e.g. repair, complaint_major")->required();
  create->add_option("--customer", c->customer, "customer id")->required();
  create->add_option("--summary", c->summary, "what is wrong (no personal data)");
  create->add_option("--unit", c->unit, "unit id");
  create->add_option("--project", c->project, "project id");
  create->add_option("--by", c->by, "who (default: $USER)");
  create->add_option("--request-id", c->request_id, "idempotency key (default: a new one)");
  create->callback([&client, c] {
    auto stub = tv1::TicketingService::NewStub(client.Channel("MOT_TICKETING_ADDR"));
    tv1::CreateTicketRequest req;
    req.set_kind(c->kind);
    req.set_customer_id(c->customer);
    req.set_summary(c->summary);
    req.set_unit_id(c->unit);
    req.set_project_id(c->project);
    req.set_actor(Requester(c->by));
    req.set_request_id(!c->request_id.empty() ? c->request_id : RandomId("motctl"));
    tv1::Ticket resp;
    Check(stub->CreateTicket(Context().get(), req, &resp), "ticket create");
    PrintAll(std::vector<tv1::Ticket>{resp}, client.json, TicketText);
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
