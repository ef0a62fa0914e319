// motctl journey | stage | touchpoint cancel|reschedule: a customer's timeline and
// stage, and a manager's changes to a scheduled touchpoint.
#include "client.h"
#include "fmt/format.h"
#include "mot/scheduler/v1/scheduler.grpc.pb.h"

namespace motctl {
namespace {

namespace sv1 = mot::scheduler::v1;

std::string StatusName(sv1::TouchpointStatus s) {
  return Short(sv1::TouchpointStatus_Name(s), "TOUCHPOINT_STATUS_");
}

void PrintTouchpoint(const sv1::Touchpoint& tp) {
  std::string outcome = tp.outcome();
  if (tp.has_previous_due_at()) outcome = "(was due " + Time(tp.previous_due_at()) + ") " + outcome;
  std::cout << fmt::format("{:<21} {:<11} {:<13} {:<30} {}{}\n", Time(tp.due_at()),
                           StatusName(tp.status()), tp.service(), tp.step_id(), outcome,
                           tp.result_ref().empty() ? "" : " [" + tp.result_ref() + "]");
}

void Show(const sv1::Touchpoint& tp, bool json) {
  if (json) {
    std::cout << Json(tp) << "\n";
  } else {
    PrintTouchpoint(tp);
  }
}

mot::TimePoint ParseTimeFlag(const std::string& flag, const std::string& text) {
  mot::TimePoint t;
  if (!mot::ParseTime(text, &t)) {
    throw std::runtime_error(flag + " '" + text +
                             "' is not a time such as 2027-03-30T09:00:00+08:00");
  }
  return t;
}

}  // namespace

void AddJourney(CLI::App& app, Client& client) {
  auto* cmd = app.add_subcommand("journey", "a customer's timeline");
  auto customer = std::make_shared<std::string>();
  cmd->add_option("customer", *customer, "customer id")->required();
  cmd->callback([&client, customer] {
    auto stub = sv1::SchedulerService::NewStub(client.Channel("MOT_SCHEDULER_ADDR"));
    sv1::GetJourneyRequest req;
    req.set_customer_id(*customer);
    req.set_page_size(1000);
    sv1::GetJourneyResponse all;
    do {  // every page
      sv1::GetJourneyResponse page;
      Check(stub->GetJourney(Context().get(), req, &page), "journey");
      all.set_customer_id(page.customer_id());
      all.set_stage(page.stage());
      all.set_total(page.total());
      for (auto& tp : *page.mutable_touchpoints()) *all.add_touchpoints() = std::move(tp);
      req.set_page_token(page.next_page_token());
    } while (!req.page_token().empty());
    if (client.json) {
      std::cout << Json(all) << "\n";
      return;
    }
    std::cout << fmt::format("customer {}  stage {}\n", all.customer_id(),
                             all.stage().empty() ? "-" : all.stage());
    std::cout << fmt::format("{:<21} {:<11} {:<13} {:<30} {}\n", "DUE (UTC)", "STATUS", "SERVICE",
                             "STEP", "OUTCOME");
    for (const auto& tp : all.touchpoints()) PrintTouchpoint(tp);
  });
}

void AddTouchpoints(CLI::App& app, Client& client) {
  auto* stage = app.add_subcommand("stage", "a customer's lifecycle stage (now, or --at a time)");
  auto customer = std::make_shared<std::string>();
  auto at = std::make_shared<std::string>();
  stage->add_option("customer", *customer, "customer id")->required();
  stage->add_option("--at", *at, "the time to ask about (default: now)");
  stage->callback([&client, customer, at] {
    auto stub = sv1::SchedulerService::NewStub(client.Channel("MOT_SCHEDULER_ADDR"));
    sv1::GetStageRequest req;
    req.set_customer_id(*customer);
    if (!at->empty()) *req.mutable_at() = mot::ToProto(ParseTimeFlag("--at", *at));
    sv1::GetStageResponse resp;
    Check(stub->GetStage(Context().get(), req, &resp), "stage");
    if (client.json) {
      std::cout << Json(resp) << "\n";
      return;
    }
    std::cout << fmt::format("customer {}  stage {}  signed {}  handover {}\n", resp.customer_id(),
                             resp.stage().empty() ? "-" : resp.stage(),
                             resp.has_signed_at() ? Time(resp.signed_at()) : "-",
                             resp.has_handover_at() ? Time(resp.handover_at()) : "-");
  });

  auto* tp = app.add_subcommand("touchpoint", "cancel or reschedule a scheduled touchpoint");
  tp->require_subcommand(1);
  struct Change {
    std::string customer, id, reason, by, to;
  };
  auto change = std::make_shared<Change>();
  auto add_common = [change](CLI::App* c) {
    c->add_option("customer", change->customer, "customer id")->required();
    c->add_option("touchpoint", change->id, "touchpoint id (motctl journey --json)")->required();
    c->add_option("--reason", change->reason, "why (recorded in the journey)")->required();
    c->add_option("--by", change->by, "who asks (default: $USER)");
  };
  auto* cancel = tp->add_subcommand("cancel", "cancel it, recording the reason and who asked");
  add_common(cancel);
  cancel->callback([&client, change] {
    auto stub = sv1::SchedulerService::NewStub(client.Channel("MOT_SCHEDULER_ADDR"));
    sv1::CancelTouchpointRequest req;
    req.set_customer_id(change->customer);
    req.set_touchpoint_id(change->id);
    req.set_reason(change->reason);
    req.set_requested_by(Requester(change->by));
    sv1::Touchpoint resp;
    Check(stub->CancelTouchpoint(Context().get(), req, &resp), "touchpoint cancel");
    Show(resp, client.json);
  });
  auto* reschedule = tp->add_subcommand("reschedule", "move it to --to, keeping the old due time");
  add_common(reschedule);
  reschedule->add_option("--to", change->to, "the new due time, e.g. 2027-03-30T09:00:00+08:00")
      ->required();
  reschedule->callback([&client, change] {
    auto stub = sv1::SchedulerService::NewStub(client.Channel("MOT_SCHEDULER_ADDR"));
    sv1::RescheduleTouchpointRequest req;
    req.set_customer_id(change->customer);
    req.set_touchpoint_id(change->id);
    req.set_reason(change->reason);
    req.set_requested_by(Requester(change->by));
    *req.mutable_due_at() = mot::ToProto(ParseTimeFlag("--to", change->to));
    sv1::Touchpoint resp;
    Check(stub->RescheduleTouchpoint(Context().get(), req, &resp), "touchpoint reschedule");
    Show(resp, client.json);
  });
}

}  // namespace motctl
