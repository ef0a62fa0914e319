#include "notification/app/hotline_provider.h"

#include <map>
#include <regex>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "mot/common/ids.h"
#include "mot/common/topics.h"
#include "mot/ticketing/v1/ticketing.pb.h"

namespace mot::notification {
namespace {

// The message as an agent may read it in a ticket: an owner's survey link is theirs
// alone (whoever has it answers for them), and a ticket is read by every `reader` and
// quoted in escalations to group robots. The agent opens the survey through
// GetSurveyInstance (the `agent` scope) by the instance id named instead.
std::string WithoutLinks(std::string text, const std::map<std::string, std::string>& vars) {
  const auto var = [&vars](const char* name) {
    auto it = vars.find(name);
    return it == vars.end() ? std::string() : it->second;
  };
  const std::string instance = var("instance_id");
  const std::string instead =
      instance.empty() ? "[链接已隐去]" : absl::StrCat("[问卷 ", instance, "，链接见问卷记录]");
  if (const std::string link = var("survey_link"); !link.empty()) {
    text = absl::StrReplaceAll(text, {{link, instead}});
  }
  static const std::regex kUrl("https?://[^\\s，。；、]+");
  return std::regex_replace(text, kUrl, instead);
}

}  // namespace

absl::StatusOr<std::string> HotlineProvider::Send(const OutgoingMessage& message) {
  return SendAll({message})[0];
}

std::vector<absl::StatusOr<std::string>> HotlineProvider::SendAll(
    const std::vector<OutgoingMessage>& messages) {
  std::vector<absl::StatusOr<std::string>> results(messages.size(), std::string());
  std::vector<OutMessage> commands;
  std::vector<size_t> at;
  for (size_t i = 0; i < messages.size(); ++i) {
    const auto& m = messages[i];
    if (m.to.empty()) {
      results[i] = NoContactPoint("hotline", ContactPoint());
      continue;
    }
    ticketing::v1::OpenTicketCommand cmd;
    cmd.set_command_id("hotline-" + m.delivery_id);
    cmd.set_kind(kind_);
    cmd.set_customer_id(m.customer_id);
    if (auto it = m.variables.find("project_id"); it != m.variables.end())
      cmd.set_project_id(it->second);
    if (auto it = m.variables.find("unit_id"); it != m.variables.end()) cmd.set_unit_id(it->second);
    cmd.set_summary("请致电业主告知：" + WithoutLinks(m.text, m.variables));
    *cmd.mutable_requested_at() = ToProto(clock_.Now());
    commands.push_back({kTicketingCommandsTopic, m.customer_id, cmd.SerializeAsString(), {}});
    at.push_back(i);
    results[i] = absl::StrCat("hotline task: ticket ", DeterministicId("tk", {cmd.command_id()}));
  }
  const auto sent = out_.PublishAll(commands);
  for (size_t k = 0; k < at.size(); ++k) {
    if (!sent[k].ok())
      results[at[k]] = absl::UnavailableError(absl::StrCat("hotline: ", sent[k].message()));
  }
  return results;
}

}  // namespace mot::notification
