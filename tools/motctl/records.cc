// motctl survey list | show | answer | scores | kpi: survey instances, one with its
// answers, answers recorded by an agent, a project's scores and team KPI.
#include <algorithm>
#include <cctype>
#include <map>

#include "absl/strings/str_join.h"
#include "client.h"
#include "fmt/format.h"
#include "mot/survey/v1/survey.grpc.pb.h"

namespace motctl {
namespace {

namespace sv1 = mot::survey::v1;

void AddSurveyList(CLI::App& survey, Client& client) {
  auto customer = std::make_shared<std::string>();
  auto* list = survey.add_subcommand("list", "a customer's survey instances");
  list->add_option("customer", *customer, "customer id")->required();
  list->callback([&client, customer] {
    auto stub = sv1::SurveyService::NewStub(client.Channel("MOT_SURVEY_ADDR"));
    sv1::ListSurveyInstancesRequest req;
    req.set_customer_id(*customer);
    sv1::ListSurveyInstancesResponse resp;
    Check(stub->ListSurveyInstances(Context().get(), req, &resp), "survey list");
    PrintAll(resp.instances(), client.json, [](const sv1::SurveyInstance& s) {
      return fmt::format("{}  {}  {}  {}  {}  open until {}  ({} questions)\n", s.id(),
                         s.survey_id(), s.stage(),
                         Short(sv1::SurveyStatus_Name(s.status()), "SURVEY_STATUS_"), s.title(),
                         Time(s.expires_at()), s.questions_size());
    });
  });
}

void AddSurveyShow(CLI::App& survey, Client& client) {
  auto shown_id = std::make_shared<std::string>();
  auto* show = survey.add_subcommand("show", "one survey instance and its answers");
  show->add_option("instance", *shown_id, "survey instance id (sv-...)")->required();
  show->callback([&client, shown_id] {
    auto stub = sv1::SurveyService::NewStub(client.Channel("MOT_SURVEY_ADDR"));
    sv1::GetSurveyInstanceRequest req;
    req.set_instance_id(*shown_id);
    sv1::GetSurveyInstanceResponse resp;
    Check(stub->GetSurveyInstance(Context().get(), req, &resp), "survey show");
    if (client.json) {
      std::cout << Json(resp) << "\n";
      return;
    }
    const auto& s = resp.instance();
    std::cout << fmt::format(
        "{}  {}  {}  {}\n{}\ncustomer {}  project {}  unit {}\nopen until {}{}{}\n", s.id(),
        s.survey_id(), s.stage(), Short(sv1::SurveyStatus_Name(s.status()), "SURVEY_STATUS_"),
        s.title(), s.customer_id(), s.project_id(), s.unit_id(), Time(s.expires_at()),
        s.link().empty() ? "" : "\nlink " + s.link(),
        s.reason().empty() ? "" : "\nreason: " + s.reason());
    std::cout << "questions\n";
    for (const auto& q : resp.questions()) {
      std::string scale = q.kind() == "servqual" ? "expected/perceived 1-7, " + q.dimension()
                          : q.kind() == "nps"    ? "0-10"
                          : q.kind() == "csat"   ? "1-5"
                          : q.kind() == "choice" ? absl::StrJoin(q.options(), "|")
                                                 : "text:...";
      std::cout << fmt::format("  {:<14} {:<9} {:<36} {}{}\n", q.id(), q.kind(), scale, q.text(),
                               q.required() ? "" : " (optional)");
    }
    if (!resp.has_response()) return;
    const auto& r = resp.response();
    std::cout << fmt::format("answered at {} by {}\n", Time(r.submitted_at()), r.actor());
    std::map<std::string, sv1::Answer> answers(r.answers().begin(), r.answers().end());
    for (const auto& [q, x] : answers) {
      std::cout << "  " << q << "  "
                << (x.has_expectation()
                        ? fmt::format("expected {} perceived {}", x.expectation(), x.perception())
                    : x.has_score() ? std::to_string(x.score())
                                    : x.text())
                << "\n";
    }
    std::string reasons;
    for (const auto& d : r.detractor_reasons()) reasons += (reasons.empty() ? "" : ", ") + d;
    if (!reasons.empty()) std::cout << "detractor: " << reasons << "\n";
  });
}

struct AnswerArgs {
  std::string instance, by;
  std::vector<std::string> answers;
};

// The answers of --answer QUESTION=VALUE into `req`.
void AddAnswers(const std::vector<std::string>& specs, sv1::SubmitResponseRequest& req) {
  for (const auto& spec : specs) {
    const auto eq = spec.find('=');
    if (eq == std::string::npos || eq == 0)
      throw CLI::ValidationError("--answer", "expected QUESTION=VALUE, got '" + spec + "'");
    const std::string id = spec.substr(0, eq), value = spec.substr(eq + 1);
    sv1::Answer& ans = (*req.mutable_answers())[id];
    const auto slash = value.find('/');
    auto number = [](const std::string& v) {
      return !v.empty() && v.size() < 4 && std::all_of(v.begin(), v.end(), [](char c) {
        return std::isdigit(static_cast<unsigned char>(c));
      });
    };
    if (value.rfind("text:", 0) == 0) {
      ans.set_text(value.substr(5));
    } else if (number(value)) {
      ans.set_score(std::stoi(value));
    } else if (slash != std::string::npos && number(value.substr(0, slash)) &&
               number(value.substr(slash + 1))) {
      ans.set_expectation(std::stoi(value.substr(0, slash)));
      ans.set_perception(std::stoi(value.substr(slash + 1)));
    } else {
      ans.set_text(value);
    }
  }
}

void AddSurveyAnswer(CLI::App& survey, Client& client) {
  auto a = std::make_shared<AnswerArgs>();
  auto* answer = survey.add_subcommand("answer", "record an owner's answers (a hotline agent)");
  answer->add_option("instance", a->instance, "survey instance id (sv-...)")->required();
  answer
      ->add_option(
          "--answer", a->answers,
          "QUESTION=N (a score), QUESTION=E/P (a SERVQUAL pair) or QUESTION=text:... (repeatable)")
      ->required();
  answer->add_option("--by", a->by, "who records it (default: you)");
  answer->callback([&client, a] {
    sv1::SubmitResponseRequest req;
    req.set_instance_id(a->instance);
    req.set_actor(Requester(a->by));
    AddAnswers(a->answers, req);
    auto stub = sv1::SurveyService::NewStub(client.Channel("MOT_SURVEY_ADDR"));
    sv1::SubmitResponseResponse resp;
    Check(stub->SubmitResponse(Context().get(), req, &resp), "survey answer");
    if (client.json) {
      std::cout << Json(resp) << "\n";
      return;
    }
    std::string reasons;
    for (const auto& r : resp.response().detractor_reasons())
      reasons += (reasons.empty() ? "" : ", ") + r;
    std::cout << fmt::format("{} answered at {} by {}{}\n", resp.instance().id(),
                             Time(resp.instance().answered_at()), resp.response().actor(),
                             reasons.empty() ? "" : "; detractor: " + reasons);
  });
}

struct ScoreArgs {
  std::string project, month, stage;
};

void AddSurveyScores(CLI::App& survey, Client& client) {
  auto sc = std::make_shared<ScoreArgs>();
  auto* scores = survey.add_subcommand("scores", "a project's scores for a month");
  scores->add_option("--project", sc->project, "project id")->required();
  scores->add_option("--month", sc->month, "YYYY-MM")->required();
  scores->add_option("--stage", sc->stage, "one stage (PROSPECT_1 ... VETERAN); default: all");
  scores->callback([&client, sc] {
    sv1::GetScoresRequest req;
    req.set_project_id(sc->project);
    req.set_month(sc->month);
    req.set_stage(sc->stage);
    auto stub = sv1::SurveyService::NewStub(client.Channel("MOT_SURVEY_ADDR"));
    sv1::GetScoresResponse resp;
    Check(stub->GetScores(Context().get(), req, &resp), "survey scores");
    if (client.json) {
      std::cout << Json(resp) << "\n";
      return;
    }
    auto shown = [](bool has, double v, const char* fmt_) {
      return has ? fmt::format(fmt::runtime(fmt_), v) : std::string("-");
    };
    std::cout << fmt::format(
        "responses {}\nCSAT mean {}  satisfied {}\nNPS {}\nSERVQUAL gap overall {}\n",
        resp.responses(), shown(resp.has_csat_mean(), resp.csat_mean(), "{:.2f}"),
        shown(resp.has_csat_satisfied(), resp.csat_satisfied(), "{:.1f}%"),
        shown(resp.has_nps(), resp.nps(), "{:.1f}"),
        shown(resp.has_overall_gap(), resp.overall_gap(), "{:+.2f}"));
    std::map<std::string, double> gaps(resp.gap().begin(), resp.gap().end());
    for (const auto& [d, g] : gaps) std::cout << fmt::format("  {} {:+.2f}\n", d, g);
  });
}

void AddSurveyKpi(CLI::App& survey, Client& client) {
  auto kp = std::make_shared<ScoreArgs>();
  auto* kpi = survey.add_subcommand("kpi", "a project's team KPI for a month");
  kpi->add_option("--project", kp->project, "project id")->required();
  kpi->add_option("--month", kp->month, "YYYY-MM")->required();
  kpi->callback([&client, kp] {
    sv1::GetKpiRequest req;
    req.set_project_id(kp->project);
    req.set_month(kp->month);
    auto stub = sv1::SurveyService::NewStub(client.Channel("MOT_SURVEY_ADDR"));
    sv1::GetKpiResponse resp;
    Check(stub->GetKpi(Context().get(), req, &resp), "survey kpi");
    if (client.json) {
      std::cout << Json(resp) << "\n";
      return;
    }
    auto pct = [](bool has, double v) { return has ? fmt::format("{:.1f}", v) : std::string("-"); };
    std::cout << fmt::format(
        "KPI {}\n  satisfaction {}  ({} responses)\n  repurchase {}  ({} of {} owners bought again "
        "or referred)\n"
        "  complaint resolution {}  ({} resolved of {} opened)\n  community activity {}  ({} of {} "
        "owners)\n",
        pct(resp.has_kpi(), resp.kpi()), pct(resp.has_satisfaction(), resp.satisfaction()),
        resp.responses(), pct(resp.has_repurchase(), resp.repurchase()), resp.bought_again(),
        resp.owners(), pct(resp.has_complaint_resolution(), resp.complaint_resolution()),
        resp.complaints_resolved(), resp.complaints_opened(),
        pct(resp.has_community_activity(), resp.community_activity()), resp.active_owners(),
        resp.owners());
  });
}

void AddSurvey(CLI::App& app, Client& client) {
  auto* survey = app.add_subcommand("survey", "survey instances");
  survey->require_subcommand(1);
  AddSurveyList(*survey, client);
  AddSurveyShow(*survey, client);
  AddSurveyAnswer(*survey, client);
  AddSurveyScores(*survey, client);
  AddSurveyKpi(*survey, client);
}

}  // namespace

void AddRecords(CLI::App& app, Client& client) { AddSurvey(app, client); }

}  // namespace motctl
