#pragma once

#include <map>
#include <string>
#include <vector>

#include "mot/ticketing/v1/ticketing.pb.h"
#include "prometheus/counter.h"
#include "prometheus/family.h"
#include "prometheus/gauge.h"
#include "prometheus/histogram.h"
#include "prometheus/registry.h"
#include "ticketing/domain/sla_policy.h"

namespace mot::ticketing {

// What ticketing counts, for the dashboards (deploy/grafana). Every series of the
// policy's kinds is made here, at start, at 0 (a ratio on a dashboard has its
// denominator from the start) and kept: counting is an increment on a kept handle,
// never a Family::Add. The only series made later are those no policy kind has at
// start (a kind an older policy had, a rung past a kind's ladder after a
// reclassification), once, when first counted. Thread-safe.
class TicketingMetrics {
 public:
  TicketingMetrics(prometheus::Registry& registry, const SlaPolicy& policy);
  TicketingMetrics(const TicketingMetrics&) = delete;
  TicketingMetrics& operator=(const TicketingMetrics&) = delete;

  // A stored change (`before` has no id when the ticket was just opened): opened (and
  // linked as a repeat), moved to another status, milestones met in time or late.
  void CountChange(const v1::Ticket& before, const v1::Ticket& after);
  // Alerts recorded on `ticket`: by kind of alert; the escalations by rung.
  void CountAlerts(const v1::Ticket& ticket, const std::vector<v1::SlaAlert>& alerts);
  // How many tickets of `kind` are open now.
  void SetOpen(const std::string& kind, double open);
  // Tickets whose free text was erased now (their owner was forgotten).
  void CountErased(int tickets) { erased_.Increment(tickets); }

 private:
  // The handles of one ticket kind.
  struct Kind {
    prometheus::Counter* opened;
    prometheus::Counter* repeats;
    prometheus::Gauge* open;
    std::map<v1::TicketStatus, prometheus::Counter*> transitions;  // by the status gone to
    std::map<v1::SlaAlertKind, prometheus::Counter*> alerts;
    prometheus::Counter* in_time;
    prometheus::Counter* late;
    std::map<std::string, prometheus::Histogram*> time_to;  // by milestone
    std::vector<prometheus::Counter*> escalations;          // rung 1, 2 ...
    prometheus::Counter* beyond;  // level="beyond": past the kind's ladder (reclassified)
  };
  Kind Make(const std::string& kind, int rungs);
  // The kind's handles; a kind the policy does not have (a ticket stored under an
  // older policy) is counted under kind="unconfigured".
  const Kind& For(const std::string& kind) const;

  const SlaPolicy& policy_;
  prometheus::Family<prometheus::Counter>& opened_;       // by kind
  prometheus::Family<prometheus::Counter>& transitions_;  // by kind, to
  prometheus::Family<prometheus::Counter>& alerts_;       // by kind, alert
  prometheus::Family<prometheus::Counter>& escalations_;  // by kind, level
  prometheus::Family<prometheus::Counter>& milestones_;   // by kind, result (in_time, late)
  prometheus::Family<prometheus::Histogram>& time_to_;    // by kind, milestone
  prometheus::Family<prometheus::Counter>& repeats_;      // by kind
  prometheus::Family<prometheus::Gauge>& open_;           // by kind
  prometheus::Counter& erased_;                           // no labels
  // The policy's kinds: made in the constructor, read-only after.
  std::map<std::string, Kind> kinds_;
  Kind unconfigured_;
};

}  // namespace mot::ticketing
