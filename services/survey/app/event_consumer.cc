#include "survey/app/event_consumer.h"

#include "mot/common/clock.h"
#include "mot/common/codec.h"
#include "mot/common/lifecycle_codec.h"
#include "mot/common/topics.h"
#include "mot/ticketing/v1/ticketing.pb.h"
#include "survey/app/kpi.h"

namespace mot::survey {

absl::Status EventConsumer::Handle(const Incoming& in) {
  std::vector<std::vector<std::string>> cmds;
  if (in.topic == kLifecycleTopic) {
    lifecycle::v1::LifecycleEvent e;
    if (!DecodeLifecycleEvent(in, &e).ok() || e.project_id().empty() || e.customer_id().empty()) {
      return absl::OkStatus();
    }
    const std::string month = MonthOf(FromProto(e.occurred_at()), catalogue_.zone());
    cmds.push_back({"PFADD", KpiKey("owners", e.project_id()), e.customer_id()});
    cmds.push_back({"ZADD", ProjectsKey(), std::to_string(ToUnixMillis(FromProto(e.occurred_at()))),
                    e.project_id()});
    if (e.type() == "repurchase" || e.type() == "referral_made") {
      cmds.push_back({"PFADD", KpiKey("bought", e.project_id(), month), e.customer_id()});
    } else if (e.type() == "community_activity") {
      cmds.push_back({"PFADD", KpiKey("active", e.project_id(), month), e.customer_id()});
    }
  } else if (in.topic == kTicketEventsTopic) {
    ticketing::v1::TicketEvent e;
    if (!DecodeMessage(in, &e).ok()) return absl::OkStatus();
    const auto& t = e.ticket();
    const bool opened = e.type() == ticketing::v1::TICKET_EVENT_TYPE_OPENED;
    if ((!opened && e.type() != ticketing::v1::TICKET_EVENT_TYPE_RESOLVED) ||
        t.project_id().empty() || !catalogue_.complaint_kinds().count(t.kind())) {
      return absl::OkStatus();
    }
    const TimePoint at =
        e.has_occurred_at() ? FromProto(e.occurred_at()) : FromProto(t.opened_at());
    cmds.push_back({"PFADD",
                    KpiKey(opened ? "complaints_opened" : "complaints_resolved", t.project_id(),
                           MonthOf(at, catalogue_.zone())),
                    t.id()});
    cmds.push_back({"ZADD", ProjectsKey(), std::to_string(ToUnixMillis(at)), t.project_id()});
  }
  if (cmds.empty()) return absl::OkStatus();
  auto r = redis_.Pipeline(cmds);
  return r.ok() ? absl::OkStatus() : r.status();
}

}  // namespace mot::survey
