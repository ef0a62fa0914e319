// motctl ticket: agents' and managers' work on tickets, the defect library and the
// daily complaint report.
#include <cctype>

#include "client.h"
#include "fmt/format.h"
#include "mot/ticketing/v1/ticketing.grpc.pb.h"
#include "nlohmann/json.hpp"

namespace motctl {
namespace {

namespace tv1 = mot::ticketing::v1;

std::string StatusText(tv1::TicketStatus s) {
  return Short(tv1::TicketStatus_Name(s), "TICKET_STATUS_");
}

tv1::TicketStatus ParseStatus(const std::string& text, const std::string& flag) {
  tv1::TicketStatus status;
  std::string name = "TICKET_STATUS_" + text;
  for (auto& c : name) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  if (!tv1::TicketStatus_Parse(name, &status)) {
    throw std::runtime_error(flag + " '" + text + "' is not a ticket status");
  }
  return status;
}

std::string TicketText(const tv1::Ticket& t) {
  std::string out = fmt::format("{}  {}  {}  customer {}  opened {}\n", t.id(), t.kind(),
                                StatusText(t.status()), t.customer_id(), Time(t.opened_at()));
  if (!t.team().empty() || !t.assignee().empty()) {
    out += fmt::format("    team {}{}\n", t.team(),
                       t.assignee().empty() ? "" : "  assignee " + t.assignee());
  }
  if (!t.repeat_of().empty()) out += fmt::format("    repeats {}\n", t.repeat_of());
  if (!t.defect_code().empty()) out += fmt::format("    defect {}\n", t.defect_code());
  for (const auto& d : t.deadlines()) {
    out += fmt::format("    {:<26} due {}{}{}\n", d.milestone(),
                       d.has_due_at() ? Time(d.due_at()) : std::string("(clock stands)"),
                       d.has_met_at() ? "  met " + Time(d.met_at()) : "",
                       d.breached() ? "  BREACHED" : "");
  }
  return out;
}

// The history: every change (status, kind, assignment) and note, who, when, why; then
// the SLA alerts.
std::string HistoryText(const tv1::Ticket& t) {
  std::string out = fmt::format("{}  {}  {}\n", t.id(), t.kind(), StatusText(t.status()));
  for (const auto& c : t.history()) {
    std::string what = fmt::format("{} -> {}", StatusText(c.from()), StatusText(c.to()));
    if (!c.to_kind().empty()) what = fmt::format("kind {} -> {}", c.from_kind(), c.to_kind());
    if (!c.to_team().empty() || !c.to_assignee().empty()) {
      what = fmt::format("assigned to {}{}", c.to_team(),
                         c.to_assignee().empty() ? "" : " / " + c.to_assignee());
    }
    out += fmt::format("    {}  {}  by {}{}\n", Time(c.at()), what, c.actor(),
                       c.reason().empty() ? "" : ": " + c.reason());
  }
  for (const auto& n : t.notes()) {
    out += fmt::format("    {}  note by {}: {}\n", Time(n.at()), n.author(), n.text());
  }
  for (const auto& a : t.alerts()) {
    out += fmt::format("    {}  {} {}{}\n", Time(a.raised_at()),
                       Short(tv1::SlaAlertKind_Name(a.kind()), "SLA_ALERT_KIND_"), a.milestone(),
                       a.level() > 0 ? fmt::format(" -> level {} {}", a.level(), a.role()) : "");
  }
  return out;
}

// One CSV field (RFC 4180: quoted when it holds a comma, a quote or a line break).
std::string Csv(const std::string& v) {
  if (v.find_first_of(",\"\n\r") == std::string::npos) return v;
  std::string out = "\"";
  for (char c : v) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

std::string CsvLine(const std::vector<std::string>& fields) {
  std::string out;
  for (size_t i = 0; i < fields.size(); ++i) out += (i ? "," : "") + Csv(fields[i]);
  return out + "\n";
}

std::shared_ptr<tv1::TicketingService::Stub> Stub(Client& client) {
  return tv1::TicketingService::NewStub(client.Channel("MOT_TICKETING_ADDR"));
}

// The flags every change takes: who, why, the idempotency key.
struct ChangeFlags {
  std::string id, by, reason, request_id;
  void Add(CLI::App* cmd, const std::string& reason_help) {
    cmd->add_option("id", id, "ticket id")->required();
    cmd->add_option("--reason", reason, reason_help);
    cmd->add_option("--by", by, "who (default: $USER)");
    cmd->add_option("--request-id", request_id, "idempotency key (default: a new one)");
  }
  std::string actor() const { return Requester(by); }
  std::string key() const { return request_id.empty() ? RandomId("motctl") : request_id; }
};

void AddChanges(CLI::App* ticket, Client& client) {
  struct Flags : ChangeFlags {
    std::string to, defect, team, assignee, text, kind;
  };
  auto f = std::make_shared<Flags>();
  auto* transition = ticket->add_subcommand(
      "transition",
      "move a ticket: acknowledged, in_progress, waiting_on_owner, waiting_on_parts, "
      "resolved, closed, reopened");
  f->Add(transition, "why (required to wait or reopen; when resolving, the measure taken)");
  transition->add_option("--to", f->to, "the new status")->required();
  transition->add_option("--defect", f->defect,
                         "the defect library's code of what was found (e.g. SJ01)");
  transition->callback([&client, f] {
    tv1::TransitionTicketRequest req;
    req.set_ticket_id(f->id);
    req.set_to(ParseStatus(f->to, "--to"));
    req.set_reason(f->reason);
    req.set_actor(f->actor());
    req.set_request_id(f->key());
    req.set_defect_code(f->defect);
    tv1::Ticket resp;
    Check(Stub(client)->TransitionTicket(Context().get(), req, &resp), "ticket transition");
    PrintAll(std::vector<tv1::Ticket>{resp}, client.json, HistoryText);
  });
  auto* assign = ticket->add_subcommand("assign", "hand a ticket to a team and/or a person");
  f->Add(assign, "why");
  assign->add_option("--team", f->team, "a team of sla.yaml's teams");
  assign->add_option("--assignee", f->assignee, "who handles it");
  assign->callback([&client, f] {
    tv1::AssignTicketRequest req;
    req.set_ticket_id(f->id);
    req.set_team(f->team);
    req.set_assignee(f->assignee);
    req.set_reason(f->reason);
    req.set_actor(f->actor());
    req.set_request_id(f->key());
    tv1::Ticket resp;
    Check(Stub(client)->AssignTicket(Context().get(), req, &resp), "ticket assign");
    PrintAll(std::vector<tv1::Ticket>{resp}, client.json, TicketText);
  });
  auto* note = ticket->add_subcommand("note", "add a note (what was found, what was agreed)");
  f->Add(note, "(not used)");
  note->add_option("--text", f->text, "the note")->required();
  note->callback([&client, f] {
    tv1::AddNoteRequest req;
    req.set_ticket_id(f->id);
    req.set_text(f->text);
    req.set_author(f->actor());
    req.set_request_id(f->key());
    tv1::Ticket resp;
    Check(Stub(client)->AddNote(Context().get(), req, &resp), "ticket note");
    PrintAll(std::vector<tv1::Ticket>{resp}, client.json, HistoryText);
  });
  auto* reclassify = ticket->add_subcommand(
      "reclassify", "change a ticket's kind (its severity); the SLA becomes the new kind's");
  f->Add(reclassify, "why (required)");
  reclassify->add_option("--kind", f->kind, "the new kind, e.g. complaint_major")->required();
  reclassify->callback([&client, f] {
    tv1::ReclassifyTicketRequest req;
    req.set_ticket_id(f->id);
    req.set_kind(f->kind);
    req.set_reason(f->reason);
    req.set_actor(f->actor());
    req.set_request_id(f->key());
    tv1::Ticket resp;
    Check(Stub(client)->ReclassifyTicket(Context().get(), req, &resp), "ticket reclassify");
    PrintAll(std::vector<tv1::Ticket>{resp}, client.json, TicketText);
  });
}

struct ReportFlags {
  std::string project, date, format = "table";
  bool csv = false;
};

// ticket defects: the defect library's roll-up.
void AddDefects(CLI::App* ticket, Client& client) {
  auto f = std::make_shared<ReportFlags>();
  auto* defects = ticket->add_subcommand(
      "defects", "the defect library's roll-up per project and code (缺陷反馈案例库)");
  defects->add_option("--project", f->project, "only this project");
  defects->add_flag("--csv", f->csv, "as CSV (a header line, then one line per project and code)");
  defects->callback([&client, f] {
    tv1::GetDefectRollupRequest req;
    req.set_project_id(f->project);
    tv1::GetDefectRollupResponse resp;
    Check(Stub(client)->GetDefectRollup(Context().get(), req, &resp), "ticket defects");
    if (client.json) return PrintAll(resp.rows(), true, [](const auto&) { return std::string(); });
    if (f->csv) {
      std::cout << CsvLine({"project", "code", "title", "cause", "impact", "department", "tickets",
                            "units_affected", "open", "mean_hours_to_resolve"});
      for (const auto& r : resp.rows()) {
        std::cout << CsvLine({r.project_id(), r.code(), r.title(), r.cause(), r.impact(),
                              r.department(), std::to_string(r.tickets()),
                              std::to_string(r.units_affected()), std::to_string(r.open()),
                              fmt::format("{:.1f}", r.mean_hours_to_resolve())});
      }
      return;
    }
    std::cout << fmt::format("{:<12} {:<6} {:>7} {:>6} {:>5} {:>10}  {}\n", "project", "code",
                             "tickets", "units", "open", "mean h", "defect / department");
    for (const auto& r : resp.rows()) {
      std::cout << fmt::format("{:<12} {:<6} {:>7} {:>6} {:>5} {:>10.1f}  {} / {}\n",
                               r.project_id(), r.code(), r.tickets(), r.units_affected(), r.open(),
                               r.mean_hours_to_resolve(), r.title(), r.department());
    }
  });
}

// ticket report: the daily complaint report.
void AddComplaintReport(CLI::App* ticket, Client& client) {
  auto f = std::make_shared<ReportFlags>();
  auto* report = ticket->add_subcommand("report", "the daily complaint report (投诉日报)");
  report->add_option("--date", f->date, "the day, YYYY-MM-DD")->required();
  report->add_option("--project", f->project, "only this project");
  report->add_option("--format", f->format, "table, csv or json")
      ->check(CLI::IsMember({"table", "csv", "json"}));
  report->callback([&client, f] {
    tv1::GetComplaintReportRequest req;
    req.set_date(f->date);
    req.set_project_id(f->project);
    tv1::GetComplaintReportResponse resp;
    Check(Stub(client)->GetComplaintReport(Context().get(), req, &resp), "ticket report");
    const auto reply = [](const tv1::ComplaintReportRow& r) {
      return r.has_first_reply_at() ? Time(r.first_reply_at()) : std::string();
    };
    if (client.json || f->format == "json") {
      nlohmann::json rows = nlohmann::json::array();
      for (const auto& r : resp.rows()) {
        rows.push_back({{"ticket_id", r.ticket_id()},
                        {"project_id", r.project_id()},
                        {"unit_id", r.unit_id()},
                        {"kind", r.kind()},
                        {"category", r.category()},
                        {"summary", r.summary()},
                        {"received_at", Time(r.received_at())},
                        {"first_reply_at", reply(r)},
                        {"handler", r.handler()},
                        {"measure", r.measure()},
                        {"status", StatusText(r.status())}});
      }
      std::cout << rows.dump(2) << "\n";
    } else if (f->format == "csv") {
      std::cout << CsvLine({"received_at", "ticket_id", "project", "unit", "kind", "category",
                            "summary", "first_reply_at", "handler", "measure", "status"});
      for (const auto& r : resp.rows()) {
        std::cout << CsvLine({Time(r.received_at()), r.ticket_id(), r.project_id(), r.unit_id(),
                              r.kind(), r.category(), r.summary(), reply(r), r.handler(),
                              r.measure(), StatusText(r.status())});
      }
    } else {
      std::cout << fmt::format("投诉日报 {}{}: {} complaints\n", f->date,
                               f->project.empty() ? "" : " " + f->project, resp.rows_size());
      for (const auto& r : resp.rows()) {
        std::cout << fmt::format(
            "  {}  {}  {} {}  {}\n    first reply {}  handler {}  {}\n    measure: {}\n",
            Time(r.received_at()), r.ticket_id(), r.project_id(), r.unit_id(), r.summary(),
            r.has_first_reply_at() ? reply(r) : "(none yet)", r.handler(), StatusText(r.status()),
            r.measure().empty() ? "(none yet)" : r.measure());
      }
    }
  });
}

void AddReports(CLI::App* ticket, Client& client) {
  AddDefects(ticket, client);
  AddComplaintReport(ticket, client);
}

void AddTicketGet(CLI::App& ticket, Client& client) {
  auto id = std::make_shared<std::string>();
  auto* get = ticket.add_subcommand("get", "one ticket: deadlines (met, breached), team");
  get->add_option("id", *id, "ticket id")->required();
  get->callback([&client, id] {
    tv1::GetTicketRequest req;
    req.set_ticket_id(*id);
    tv1::GetTicketResponse resp;
    Check(Stub(client)->GetTicket(Context().get(), req, &resp), "ticket get");
    PrintAll(std::vector<tv1::Ticket>{resp.ticket()}, client.json, TicketText);
  });
}

void AddTicketHistory(CLI::App& ticket, Client& client) {
  auto id = std::make_shared<std::string>();
  auto* history = ticket.add_subcommand(
      "history", "a ticket's changes and notes: who, when, why; its SLA alerts");
  history->add_option("id", *id, "ticket id")->required();
  history->callback([&client, id] {
    tv1::GetTicketRequest req;
    req.set_ticket_id(*id);
    tv1::GetTicketResponse resp;
    Check(Stub(client)->GetTicket(Context().get(), req, &resp), "ticket history");
    PrintAll(std::vector<tv1::Ticket>{resp.ticket()}, client.json, HistoryText);
  });
}

void AddTicketCreate(CLI::App& ticket, Client& client) {
  struct CreateFlags {
    std::string kind, customer, unit, project, summary, category, defect, by, request_id;
  };
  auto c = std::make_shared<CreateFlags>();
  auto* create =
      ticket.add_subcommand("create", "open a ticket (an agent, e.g. from a hotline call)");
  create->add_option("--kind", c->kind, "ticket kind (sla.yaml), e.g. repair, complaint_major")
      ->required();
  create->add_option("--customer", c->customer, "customer id")->required();
  create->add_option("--summary", c->summary, "what is wrong (no personal data)");
  create->add_option("--unit", c->unit, "unit id");
  create->add_option("--project", c->project, "project id");
  create->add_option("--category", c->category,
                     "what it is about (plumbing, wall ...): picks the team");
  create->add_option("--defect", c->defect, "the defect library's code, if known");
  create->add_option("--by", c->by, "who (default: $USER)");
  create->add_option("--request-id", c->request_id, "idempotency key (default: a new one)");
  create->callback([&client, c] {
    tv1::CreateTicketRequest req;
    req.set_kind(c->kind);
    req.set_customer_id(c->customer);
    req.set_summary(c->summary);
    req.set_unit_id(c->unit);
    req.set_project_id(c->project);
    req.set_category(c->category);
    req.set_defect_code(c->defect);
    req.set_actor(Requester(c->by));
    req.set_request_id(!c->request_id.empty() ? c->request_id : RandomId("motctl"));
    tv1::Ticket resp;
    Check(Stub(client)->CreateTicket(Context().get(), req, &resp), "ticket create");
    PrintAll(std::vector<tv1::Ticket>{resp}, client.json, TicketText);
  });
}

void AddTicketList(CLI::App& ticket, Client& client) {
  struct ListFlags {
    std::string customer, project, kind, status, assignee, page_token;
    bool breached = false;
    int page_size = 0;
  };
  auto l = std::make_shared<ListFlags>();
  auto* list = ticket.add_subcommand("list", "tickets, newest first (filters combine)");
  list->add_option("--customer", l->customer, "only this customer's");
  list->add_option("--project", l->project, "only this project's");
  list->add_option("--kind", l->kind, "only this kind");
  list->add_option("--status", l->status, "only this status (new, acknowledged ...)");
  list->add_option("--assignee", l->assignee, "only this person's");
  list->add_flag("--breached", l->breached, "only tickets with a breached milestone");
  list->add_option("--page-size", l->page_size, "at most this many");
  list->add_option("--page-token", l->page_token, "the next page (printed after a page)");
  list->callback([&client, l] {
    tv1::ListTicketsRequest req;
    req.set_customer_id(l->customer);
    req.set_project_id(l->project);
    req.set_kind(l->kind);
    if (!l->status.empty()) req.set_status(ParseStatus(l->status, "--status"));
    req.set_assignee(l->assignee);
    req.set_breached(l->breached);
    req.set_page_size(l->page_size);
    req.set_page_token(l->page_token);
    tv1::ListTicketsResponse resp;
    Check(Stub(client)->ListTickets(Context().get(), req, &resp), "ticket list");
    PrintAll(resp.tickets(), client.json, TicketText);
    if (!resp.next_page_token().empty()) {
      (client.json ? std::cerr : std::cout)
          << "next page: --page-token " << resp.next_page_token() << "\n";
    }
  });
}

}  // namespace

void AddTicket(CLI::App& app, Client& client) {
  auto* ticket = app.add_subcommand("ticket", "tickets");
  ticket->require_subcommand(1);
  AddTicketGet(*ticket, client);
  AddTicketHistory(*ticket, client);
  AddChanges(ticket, client);
  AddReports(ticket, client);
  AddTicketCreate(*ticket, client);
  AddTicketList(*ticket, client);
}

}  // namespace motctl
