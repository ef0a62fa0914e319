#include "app/kpi.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "mot/common/clock.h"
#include "mot/common/codec.h"
#include "mot/common/lifecycle_codec.h"
#include "mot/common/topics.h"
#include "mot/ticketing/v1/ticketing.pb.h"

namespace mot::survey {
namespace {

std::string Key(const std::string& what, const std::string& project, const std::string& month = "") {
  return absl::StrCat("mot:survey:kpi:", what, ":", project, month.empty() ? "" : "|", month);
}

}  // namespace

std::string ProjectsKey() { return "mot:survey:projects"; }

absl::Status KpiCounter::Handle(const Incoming& in) {
  std::vector<std::vector<std::string>> cmds;
  if (in.topic == kLifecycleTopic) {
    lifecycle::v1::LifecycleEvent e;
    if (!DecodeLifecycleEvent(in, &e).ok() || e.project_id().empty() || e.customer_id().empty()) {
      return absl::OkStatus();
    }
    const std::string month = MonthOf(FromProto(e.occurred_at()), catalogue_.zone());
    cmds.push_back({"PFADD", Key("owners", e.project_id()), e.customer_id()});
    cmds.push_back({"ZADD", ProjectsKey(), std::to_string(ToUnixMillis(FromProto(e.occurred_at()))), e.project_id()});
    if (e.type() == "repurchase" || e.type() == "referral_made") {
      cmds.push_back({"PFADD", Key("bought", e.project_id(), month), e.customer_id()});
    } else if (e.type() == "community_activity") {
      cmds.push_back({"PFADD", Key("active", e.project_id(), month), e.customer_id()});
    }
  } else if (in.topic == kTicketEventsTopic) {
    ticketing::v1::TicketEvent e;
    if (!DecodeMessage(in, &e).ok()) return absl::OkStatus();
    const auto& t = e.ticket();
    const bool opened = e.type() == ticketing::v1::TICKET_EVENT_TYPE_OPENED;
    if ((!opened && e.type() != ticketing::v1::TICKET_EVENT_TYPE_RESOLVED) || t.project_id().empty() ||
        !catalogue_.complaint_kinds().count(t.kind())) {
      return absl::OkStatus();
    }
    const TimePoint at = e.has_occurred_at() ? FromProto(e.occurred_at()) : FromProto(t.opened_at());
    cmds.push_back({"PFADD", Key(opened ? "complaints_opened" : "complaints_resolved", t.project_id(),
                                 MonthOf(at, catalogue_.zone())),
                    t.id()});
    cmds.push_back({"ZADD", ProjectsKey(), std::to_string(ToUnixMillis(at)), t.project_id()});
  }
  if (cmds.empty()) return absl::OkStatus();
  auto r = redis_.Pipeline(cmds);
  return r.ok() ? absl::OkStatus() : r.status();
}

absl::StatusOr<KpiCounter::Counts> KpiCounter::CountsOf(const std::string& project, const std::string& month) {
  auto all = CountsOfAll({project}, month);
  if (!all.ok()) return all.status();
  return all->at(0);
}

absl::StatusOr<std::vector<KpiCounter::Counts>> KpiCounter::CountsOfAll(const std::vector<std::string>& projects,
                                                                       const std::string& month) {
  std::vector<std::vector<std::string>> cmds;
  for (const auto& p : projects) {
    cmds.push_back({"PFCOUNT", Key("owners", p)});
    for (const char* what : {"bought", "active", "complaints_opened", "complaints_resolved"}) {
      cmds.push_back({"PFCOUNT", Key(what, p, month)});
    }
  }
  auto r = redis_.Pipeline(cmds);
  if (!r.ok()) return r.status();
  std::vector<Counts> out;
  for (size_t i = 0; i + 5 <= r->size(); i += 5) {
    Counts c;
    c.owners = (*r)[i].integer;
    c.bought_again = (*r)[i + 1].integer;
    c.active = (*r)[i + 2].integer;
    c.complaints_opened = (*r)[i + 3].integer;
    c.complaints_resolved = (*r)[i + 4].integer;
    out.push_back(c);
  }
  return out;
}

KpiInputs KpiInputsOf(const KpiCounter::Counts& c, std::optional<double> csat_satisfied) {
  KpiInputs in;
  in.satisfaction = csat_satisfied;
  if (c.owners > 0) {
    in.repurchase = std::min(100.0, 100.0 * c.bought_again / c.owners);
    in.community_activity = std::min(100.0, 100.0 * c.active / c.owners);
  }
  if (c.complaints_opened > 0) {
    in.complaint_resolution = std::min(100.0, 100.0 * c.complaints_resolved / c.complaints_opened);
  }
  return in;
}

}  // namespace mot::survey
