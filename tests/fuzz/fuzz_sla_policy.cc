// The SLA policy (deploy/config/sla.yaml, MOT_SLA): SlaPolicy::FromYaml, then the
// deadlines of a ticket of every kind it defines.
//
// Input: a policy as YAML.
//
// Invariants (abort on violation), for a policy that loads:
//  - opening and reviewing a ticket never throw (a protobuf CHECK that fails throws
//    FatalException, which would terminate ticketing);
//  - every kind it lists is found, with at least one milestone;
//  - a ticket of each kind opens (also in each project that has a calendar of its
//    own) with one deadline per milestone, none before the ticket was opened and
//    each at a time protobuf can hold, and the ticket reads back from its protobuf bytes;
//  - a review of the open ticket a day later raises only alerts of its milestones.
#include <chrono>

#include "fuzz_common.h"
#include "google/protobuf/stubs/common.h"
#include "ticketing/domain/sla_clock.h"
#include "ticketing/domain/sla_policy.h"
#include "yaml-cpp/yaml.h"

namespace {

using namespace mot;
using namespace mot::ticketing;

// The projects with a calendar of their own, from the document itself (the policy
// does not list them).
std::vector<std::string> Projects(const std::string& yaml) {
  std::vector<std::string> out = {""};
  try {
    const YAML::Node root = YAML::Load(yaml);
    for (const auto& kv : root["project_calendars"]) out.push_back(kv.first.as<std::string>());
  } catch (const YAML::Exception&) {
  }
  return out;
}

// Whether some milestone of the kind finds no working time at all on its calendar
// (AddWorkingTime gives up and returns TimePoint::max()).
bool NeverDue(const SlaPolicy& policy, const std::string& kind, const std::string& project,
              TimePoint opened) {
  const BusinessCalendar& calendar = policy.CalendarFor(kind, project);
  for (const auto& m : *policy.Find(kind)) {
    if (AddWorkingTime(opened, m.within, calendar) == TimePoint::max()) return true;
  }
  return false;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string yaml = motfuzz::Str(data, size);
  auto parsed = SlaPolicy::FromYaml(yaml);
  if (!parsed.ok()) return 0;
  if (!motfuzz::IsUtf8(yaml) && motfuzz::Tolerated("config-not-utf8")) return 0;
  const SlaPolicy& policy = *parsed;

  const TimePoint opened = FromUnixMillis(1'780'000'000'000);  // 2026-05-28, a Thursday
  for (const std::string& kind : policy.Kinds()) {
    const auto* milestones = policy.Find(kind);
    motfuzz::Check(milestones != nullptr && !milestones->empty(),
                   "kind '" + kind + "' has no milestone");
    for (const std::string& project : Projects(yaml)) {
      v1::OpenTicketCommand cmd;
      cmd.set_command_id("cmd-fuzz-1");
      cmd.set_customer_id("C-FUZZ-1");
      cmd.set_kind(kind);
      cmd.set_project_id(project);
      cmd.set_unit_id("U-1");
      cmd.set_category("plumbing");
      cmd.set_defect_code("SJ01");
      *cmd.mutable_requested_at() = ToProto(opened);
      absl::StatusOr<v1::Ticket> ticket;
      SlaReview review;
      try {
        ticket = OpenTicket(policy, cmd);
        if (ticket.ok()) review = Review(policy, *ticket, opened + std::chrono::hours(24));
      } catch (const google::protobuf::FatalException& e) {
        // A protobuf CHECK: uncaught in ticketing, it terminates the service.
        if (NeverDue(policy, kind, project, opened) &&
            motfuzz::Tolerated("sla-calendar-without-working-time")) {
          continue;
        }
        motfuzz::Broken("kind '" + kind +
                        "': opening a ticket threw protobuf's FatalException: " + e.what());
      }
      motfuzz::Check(ticket.ok(), "a ticket of kind '" + kind +
                                      "' does not open: " + std::string(ticket.status().message()));
      v1::Ticket stored;  // ticketing keeps tickets as protobuf
      motfuzz::Check(stored.ParseFromString(ticket->SerializeAsString()),
                     "a ticket of kind '" + kind + "' cannot be read back from its protobuf bytes");
      motfuzz::Check(ticket->deadlines_size() == static_cast<int>(milestones->size()),
                     "kind '" + kind + "': not one deadline per milestone");
      for (const auto& d : ticket->deadlines()) {
        if (!d.has_due_at()) continue;
        motfuzz::Check(motfuzz::Holdable(d.due_at()),
                       "kind '" + kind + "', milestone '" + d.milestone() +
                           "': due at a time protobuf cannot hold (seconds " +
                           std::to_string(d.due_at().seconds()) + ")");
        motfuzz::Check(
            FromProto(d.due_at()) >= opened,
            "kind '" + kind + "', milestone '" + d.milestone() + "': due before the ticket opened");
      }
      for (const auto& alert : review.raise) {
        bool known = false;
        for (const auto& m : *milestones) known = known || m.name == alert.milestone();
        motfuzz::Check(known || alert.milestone().empty(),
                       "an alert of a milestone the kind does not have");
      }
      (void)policy.TeamFor(project, kind, "plumbing");
    }
  }
  return 0;
}
