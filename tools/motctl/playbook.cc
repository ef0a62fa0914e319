// motctl playbook validate FILE | simulate FILE --events FILE: a playbook checked and
// rehearsed on this machine, before it is rolled out (no mesh needed; the scheduler's
// own code). The scheduler answers the same over gRPC (ValidatePlaybook,
// SimulateJourney) for the playbook it has loaded.
#include "touchpoint-scheduler/domain/playbook.h"

#include <fstream>
#include <sstream>

#include "absl/time/time.h"
#include "client.h"
#include "fmt/format.h"
#include "google/protobuf/util/json_util.h"
#include "touchpoint-scheduler/domain/simulate.h"
#include "touchpoint-scheduler/domain/template_check.h"

namespace motctl {
namespace {

namespace sch = mot::scheduler;

std::string ReadFile(const std::string& path, const std::string& what) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error(fmt::format("{} {} cannot be read", what, path));
  std::stringstream buf;
  buf << in.rdbuf();
  return buf.str();
}

struct SimulateFlags {
  std::string playbook, events, profile, until, heard_at;
};

// The time an option names, or throws naming the option.
google::protobuf::Timestamp TimeOption(const std::string& name, const std::string& text) {
  mot::TimePoint t;
  if (!mot::ParseTime(text, &t)) {
    throw std::runtime_error(name + " '" + text + "' is not a time such as 2031-07-01T00:00:00Z");
  }
  return mot::ToProto(t);
}

// "2027-06-30 09:00 (Tue)" in the zone.
std::string Local(const google::protobuf::Timestamp& ts, const absl::TimeZone& zone) {
  return absl::FormatTime("%Y-%m-%d %H:%M %a", absl::FromUnixSeconds(ts.seconds()), zone);
}

void Simulate(const SimulateFlags& f, bool json) {
  const sch::Playbook pb = LoadPlaybook(f.playbook);
  mot::scheduler::v1::SimulateJourneyRequest req;
  for (auto& e : ReadEventLines(f.events)) *req.add_events() = std::move(e);
  if (!f.profile.empty()) {
    auto s = google::protobuf::util::JsonStringToMessage(ReadFile(f.profile, "--profile"),
                                                         req.mutable_profile());
    if (!s.ok())
      throw std::runtime_error(
          fmt::format("--profile {}: {}", f.profile, std::string(s.message())));
  }
  if (!f.until.empty()) *req.mutable_until() = TimeOption("--until", f.until);
  if (!f.heard_at.empty()) *req.mutable_heard_at() = TimeOption("--heard-at", f.heard_at);
  auto journey = sch::SimulateRequest(pb, req);
  if (!journey.ok()) {
    throw std::runtime_error(
        fmt::format("{}: {}", f.events, std::string(journey.status().message())));
  }
  mot::scheduler::v1::SimulateJourneyResponse resp;
  resp.set_playbook_version(pb.version());
  for (auto& tp : *journey) *resp.add_touchpoints() = std::move(tp);
  if (json) {
    std::cout << Json(resp) << "\n";
    return;
  }
  sch::CustomerFacts facts;
  sch::MergeProfile(req.profile(), &facts);
  if (!req.events().empty()) facts.project_id = req.events(0).project_id();
  const absl::TimeZone zone = pb.ZoneFor(facts);
  std::cout << fmt::format("playbook {} (version {}): {} touchpoints; times in {}\n", f.playbook,
                           pb.version(), resp.touchpoints_size(), zone.name());
  std::cout << fmt::format("{:<20} {:<10} {:<12} {:<30} {}\n", "DUE", "STATUS", "SERVICE", "STEP",
                           "TITLE / NOTE");
  for (const auto& tp : resp.touchpoints()) {
    std::string note = tp.title();
    if (tp.has_previous_due_at())
      note += "  (moved from " + Local(tp.previous_due_at(), zone) + ")";
    if (!tp.outcome().empty()) note += "  (" + tp.outcome() + ")";
    std::cout << fmt::format(
        "{:<20} {:<10} {:<12} {:<30} {}\n", Local(tp.due_at(), zone),
        Short(mot::scheduler::v1::TouchpointStatus_Name(tp.status()), "TOUCHPOINT_STATUS_"),
        tp.service(), tp.step_id(), note);
  }
}

}  // namespace

sch::Playbook LoadPlaybook(const std::string& file) {
  auto pb = sch::Playbook::FromYaml(ReadFile(file, "playbook"), file);
  if (!pb.ok()) throw std::runtime_error(std::string(pb.status().message()));
  return *std::move(pb);
}

void AddPlaybook(CLI::App& app, Client& client) {
  auto* cmd = app.add_subcommand("playbook", "check or rehearse a playbook file");
  cmd->require_subcommand(1);

  auto* validate =
      cmd->add_subcommand("validate", "check a playbook: the step and field of the first error");
  auto file = std::make_shared<std::string>();
  auto templates = std::make_shared<std::string>();
  validate->add_option("file", *file, "playbook YAML")->required();
  validate->add_option("--templates", *templates,
                       "notification's templates (MOT_TEMPLATES): each step's template is there "
                       "and uses only what its event carries, as the scheduler checks at load");
  validate->callback([file, templates] {
    const sch::Playbook pb = LoadPlaybook(*file);
    if (!templates->empty()) {
      auto uses = sch::TemplateUsesFromYaml(ReadFile(*templates, "templates"));
      if (!uses.ok())
        throw std::runtime_error(*templates + ": " + std::string(uses.status().message()));
      if (auto s = sch::CheckTemplates(pb, *uses); !s.ok()) {
        throw std::runtime_error(*file + ": " + std::string(s.message()));
      }
    }
    int calendar = 0;
    for (const auto& s : pb.steps()) calendar += !s.calendar.empty();
    std::cout << fmt::format("{}: valid; version {}; {} steps ({} on calendar dates)\n", *file,
                             pb.version(), pb.steps().size(), calendar);
  });

  auto* simulate =
      cmd->add_subcommand("simulate", "an owner's timeline from their events, with no side effect");
  auto f = std::make_shared<SimulateFlags>();
  simulate->add_option("file", f->playbook, "playbook YAML")->required();
  simulate
      ->add_option("--events", f->events, "the owner's lifecycle events, JSON lines (- for stdin)")
      ->required();
  simulate->add_option("--profile", f->profile, "the owner's CustomerProfile (JSON)");
  simulate->add_option("--until", f->until,
                       "simulate until then (default: 4.5 years after the last event)");
  simulate->add_option("--heard-at", f->heard_at,
                       "when the mesh hears of these events (history loaded then): what is "
                       "past its max_lateness is SKIPPED");
  simulate->callback([f, &client] { Simulate(*f, client.json); });
}

}  // namespace motctl
