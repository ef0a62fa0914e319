// motctl survey: what the survey service made for a customer.
#include <cctype>

#include "client.h"
#include "fmt/format.h"
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

}  // namespace

void AddRecords(CLI::App& app, Client& client) {
  AddSurvey(app, client);
}

}  // namespace motctl
