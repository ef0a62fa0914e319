#include "ticketing/app/metrics.h"

#include <algorithm>
#include <chrono>
#include <set>

#include "mot/common/clock.h"
#include "ticketing/domain/lifecycle.h"
#include "ticketing/domain/sla_clock.h"

namespace mot::ticketing {
namespace {

const prometheus::Histogram::BucketBoundaries& MilestoneBuckets() {
  // 15 min .. 60 days.
  static const prometheus::Histogram::BucketBoundaries kBuckets = {
      900,    1800,   3600,   7200,    14400,   28800,  86400,
      172800, 259200, 604800, 1209600, 2592000, 5184000};
  return kBuckets;
}

constexpr std::pair<v1::SlaAlertKind, const char*> kAlerts[] = {
    {v1::SLA_ALERT_KIND_WARNING, "warning"},
    {v1::SLA_ALERT_KIND_BREACHED, "breached"},
    {v1::SLA_ALERT_KIND_RISK, "risk"}};

// Every status a ticket can move to.
std::set<v1::TicketStatus> Targets() {
  std::set<v1::TicketStatus> out;
  for (int s = v1::TicketStatus_MIN; s <= v1::TicketStatus_MAX; ++s) {
    if (!v1::TicketStatus_IsValid(s)) continue;
    for (auto to : NextStatuses(static_cast<v1::TicketStatus>(s))) out.insert(to);
  }
  return out;
}

// The rungs a ticket of `kind` climbs: its escalating milestones, then the risk
// warning's role where the kind has one.
int Rungs(const SlaPolicy& policy, const std::string& kind) {
  int rungs = 0;
  if (const auto* milestones = policy.Find(kind)) {
    for (const auto& m : *milestones) rungs += m.escalate_to.empty() ? 0 : 1;
  }
  const auto& risk = policy.risk_warning();
  if (risk.kinds.count(kind) && !risk.escalate_to.empty()) ++rungs;
  return rungs;
}

}  // namespace

TicketingMetrics::TicketingMetrics(prometheus::Registry& r, const SlaPolicy& policy)
    : policy_(policy),
      opened_(prometheus::BuildCounter()
                  .Name("mot_ticketing_tickets_opened_total")
                  .Help("Tickets opened, by kind.")
                  .Register(r)),
      transitions_(prometheus::BuildCounter()
                       .Name("mot_ticketing_transitions_total")
                       .Help("Changes of a ticket's status, by kind and the status it went to.")
                       .Register(r)),
      alerts_(prometheus::BuildCounter()
                  .Name("mot_ticketing_sla_alerts_total")
                  .Help("SLA alerts raised, by kind and alert: warning (a share of a milestone's "
                        "window run), breached, risk (a complaint open too long).")
                  .Register(r)),
      escalations_(prometheus::BuildCounter()
                       .Name("mot_ticketing_escalations_total")
                       .Help("Escalations to a role, by kind and rung of the ladder (1, 2, 3 ...).")
                       .Register(r)),
      milestones_(
          prometheus::BuildCounter()
              .Name("mot_ticketing_milestones_met_total")
              .Help("Milestones met, by kind and result: in_time or late (SLA compliance is "
                    "in_time over all).")
              .Register(r)),
      time_to_(prometheus::BuildHistogram()
                   .Name("mot_ticketing_time_to_milestone_seconds")
                   .Help("Time from the owner's request to a milestone met, by kind and milestone.")
                   .Register(r)),
      repeats_(
          prometheus::BuildCounter()
              .Name("mot_ticketing_repeat_complaints_total")
              .Help("Tickets linked to an earlier one of the same owner, unit and category "
                    "within the window, by kind (the repeat-complaint rate is this over opened).")
              .Register(r)),
      open_(prometheus::BuildGauge()
                .Name("mot_ticketing_open_tickets")
                .Help("Tickets open (not resolved or closed), by kind (the kind is the severity: "
                      "complaint_general/major, service_l1/l2/l3 ...).")
                .Register(r)),
      erased_(prometheus::BuildCounter()
                  .Name("mot_ticketing_erasures_total")
                  .Help("Tickets whose free text (summary, notes, reasons) was erased because "
                        "their owner was forgotten (customer_forgotten).")
                  .Register(r)
                  .Add({})) {
  for (const auto& kind : policy.Kinds()) kinds_.emplace(kind, Make(kind, Rungs(policy, kind)));
  unconfigured_ = Make("unconfigured", 0);
}

TicketingMetrics::Kind TicketingMetrics::Make(const std::string& kind, int rungs) {
  Kind k;
  k.opened = &opened_.Add({{"kind", kind}});
  k.repeats = &repeats_.Add({{"kind", kind}});
  k.open = &open_.Add({{"kind", kind}});
  for (auto to : Targets())
    k.transitions[to] = &transitions_.Add({{"kind", kind}, {"to", StatusName(to)}});
  for (const auto& [alert, name] : kAlerts)
    k.alerts[alert] = &alerts_.Add({{"kind", kind}, {"alert", name}});
  k.in_time = &milestones_.Add({{"kind", kind}, {"result", "in_time"}});
  k.late = &milestones_.Add({{"kind", kind}, {"result", "late"}});
  if (const auto* milestones = policy_.Find(kind)) {
    for (const auto& m : *milestones) {
      k.time_to[m.name] =
          &time_to_.Add({{"kind", kind}, {"milestone", m.name}}, MilestoneBuckets());
    }
  }
  for (int level = 1; level <= rungs; ++level) {
    k.escalations.push_back(&escalations_.Add({{"kind", kind}, {"level", std::to_string(level)}}));
  }
  k.beyond = &escalations_.Add({{"kind", kind}, {"level", "beyond"}});
  return k;
}

const TicketingMetrics::Kind& TicketingMetrics::For(const std::string& kind) const {
  auto it = kinds_.find(kind);
  return it != kinds_.end() ? it->second : unconfigured_;
}

void TicketingMetrics::CountChange(const v1::Ticket& before, const v1::Ticket& after) {
  const Kind& k = For(after.kind());
  if (before.id().empty()) {
    k.opened->Increment();
    if (!after.repeat_of().empty()) k.repeats->Increment();
  } else if (before.status() != after.status()) {
    auto it = k.transitions.find(after.status());
    if (it != k.transitions.end()) it->second->Increment();
  }
  const auto met = NewlyMet(policy_, before, after);
  if (met.empty()) return;
  for (const auto& d : Review(policy_, after, TimePoint{}).deadlines) {
    if (std::find(met.begin(), met.end(), d.milestone()) == met.end()) continue;
    (d.breached() ? k.late : k.in_time)->Increment();
    const double seconds =
        std::chrono::duration<double>(FromProto(d.met_at()) - FromProto(after.opened_at())).count();
    if (auto it = k.time_to.find(d.milestone()); it != k.time_to.end())
      it->second->Observe(seconds);
  }
}

void TicketingMetrics::CountAlerts(const v1::Ticket& ticket,
                                   const std::vector<v1::SlaAlert>& alerts) {
  const Kind& k = For(ticket.kind());
  for (const auto& a : alerts) {
    if (auto it = k.alerts.find(a.kind()); it != k.alerts.end()) it->second->Increment();
    if (a.level() <= 0) continue;
    if (static_cast<size_t>(a.level()) <= k.escalations.size()) {
      k.escalations[a.level() - 1]->Increment();
    } else {  // past the kind's ladder (reclassified from a kind with rungs of its own)
      k.beyond->Increment();
    }
  }
}

void TicketingMetrics::SetOpen(const std::string& kind, double open) { For(kind).open->Set(open); }

}  // namespace mot::ticketing
