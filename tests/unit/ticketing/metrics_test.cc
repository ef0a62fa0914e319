// Ticketing's metrics, on a registry of the test's own: every series made at start,
// then only counted.
#include "ticketing/app/metrics.h"

#include "fixtures.h"
#include "ticketing/domain/lifecycle.h"

namespace mot::ticketing {
namespace {

class MetricsTest : public TicketingTest {
 protected:
  std::optional<double> Value(const std::string& name,
                              const std::map<std::string, std::string>& labels) {
    return MetricValue(registry_, name, labels);
  }
  prometheus::Registry registry_;
  TicketingMetrics metrics_{registry_, policy_};
};

TEST_F(MetricsTest, EverySeriesOfThePolicysKindsIsMadeAtStartAtZero) {
  for (const auto& kind : policy_.Kinds()) {
    EXPECT_EQ(Value("mot_ticketing_tickets_opened_total", {{"kind", kind}}), 0) << kind;
    EXPECT_EQ(Value("mot_ticketing_repeat_complaints_total", {{"kind", kind}}), 0) << kind;
    EXPECT_EQ(Value("mot_ticketing_open_tickets", {{"kind", kind}}), 0) << kind;
    for (const char* alert : {"warning", "breached", "risk"}) {
      EXPECT_EQ(Value("mot_ticketing_sla_alerts_total", {{"kind", kind}, {"alert", alert}}), 0)
          << kind;
    }
    for (const char* result : {"in_time", "late"}) {
      EXPECT_EQ(Value("mot_ticketing_milestones_met_total", {{"kind", kind}, {"result", result}}),
                0)
          << kind;
    }
    for (const char* to : {"ACKNOWLEDGED", "IN_PROGRESS", "WAITING_ON_OWNER", "WAITING_ON_PARTS",
                           "RESOLVED", "CLOSED", "REOPENED"}) {
      EXPECT_EQ(Value("mot_ticketing_transitions_total", {{"kind", kind}, {"to", to}}), 0)
          << kind << " " << to;
    }
    for (const auto& m : *policy_.Find(kind)) {
      EXPECT_EQ(
          Value("mot_ticketing_time_to_milestone_seconds", {{"kind", kind}, {"milestone", m.name}}),
          0)
          << kind << " " << m.name;
    }
  }
  EXPECT_FALSE(
      Value("mot_ticketing_transitions_total", {{"kind", "repair"}, {"to", "NEW"}}).has_value())
      << "no ticket goes back to NEW";
  // The rungs of each ladder: the escalating milestones, and the risk warning's role.
  for (const char* level : {"1", "2", "3"}) {
    EXPECT_EQ(Value("mot_ticketing_escalations_total", {{"kind", "repair"}, {"level", level}}), 0)
        << level;
  }
  EXPECT_FALSE(
      Value("mot_ticketing_escalations_total", {{"kind", "repair"}, {"level", "4"}}).has_value());
  EXPECT_EQ(Value("mot_ticketing_escalations_total", {{"kind", "complaint_major"}, {"level", "4"}}),
            0)
      << "three rungs, then the 30-day risk warning";
}

TEST_F(MetricsTest, AChangeIsCountedOnTheKeptSeries) {
  v1::Ticket opened = *OpenTicket(policy_, RepairCommand(t0_));
  opened.set_repeat_of("tk-earlier");
  metrics_.CountChange({}, opened);
  EXPECT_EQ(Value("mot_ticketing_tickets_opened_total", {{"kind", "repair"}}), 1);
  EXPECT_EQ(Value("mot_ticketing_repeat_complaints_total", {{"kind", "repair"}}), 1);
  bool replayed = false;
  // Responded after 3 h (late: within 2 h), then in progress within the plan's 24 h.
  const v1::Ticket acked = *Transition(opened, {v1::TICKET_STATUS_ACKNOWLEDGED, "agent", "", "r1"},
                                       t0_ + hours(3), &replayed);
  metrics_.CountChange(opened, acked);
  const v1::Ticket started = *Transition(acked, {v1::TICKET_STATUS_IN_PROGRESS, "agent", "", "r2"},
                                         t0_ + hours(5), &replayed);
  metrics_.CountChange(acked, started);
  EXPECT_EQ(Value("mot_ticketing_transitions_total", {{"kind", "repair"}, {"to", "ACKNOWLEDGED"}}),
            1);
  EXPECT_EQ(Value("mot_ticketing_transitions_total", {{"kind", "repair"}, {"to", "IN_PROGRESS"}}),
            1);
  EXPECT_EQ(Value("mot_ticketing_milestones_met_total", {{"kind", "repair"}, {"result", "late"}}),
            1);
  EXPECT_EQ(
      Value("mot_ticketing_milestones_met_total", {{"kind", "repair"}, {"result", "in_time"}}), 1);
  EXPECT_EQ(Value("mot_ticketing_time_to_milestone_seconds",
                  {{"kind", "repair"}, {"milestone", "respond"}}),
            1);
  EXPECT_EQ(
      Value("mot_ticketing_time_to_milestone_seconds", {{"kind", "repair"}, {"milestone", "plan"}}),
      1);
  metrics_.SetOpen("repair", 7);
  EXPECT_EQ(Value("mot_ticketing_open_tickets", {{"kind", "repair"}}), 7);
}

TEST_F(MetricsTest, AlertsCountByKindAndEscalationsByRung) {
  const v1::Ticket t = *OpenTicket(policy_, RepairCommand(t0_));
  v1::SlaAlert warning, breach;
  warning.set_kind(v1::SLA_ALERT_KIND_WARNING);
  breach.set_kind(v1::SLA_ALERT_KIND_BREACHED);
  breach.set_role("service_supervisor");
  breach.set_level(2);
  metrics_.CountAlerts(t, {warning, breach});
  EXPECT_EQ(Value("mot_ticketing_sla_alerts_total", {{"kind", "repair"}, {"alert", "warning"}}), 1);
  EXPECT_EQ(Value("mot_ticketing_sla_alerts_total", {{"kind", "repair"}, {"alert", "breached"}}),
            1);
  EXPECT_EQ(Value("mot_ticketing_escalations_total", {{"kind", "repair"}, {"level", "2"}}), 1);
  EXPECT_EQ(Value("mot_ticketing_escalations_total", {{"kind", "repair"}, {"level", "1"}}), 0);
  // Past the kind's ladder (a ticket reclassified from a kind with rungs of its own).
  breach.set_level(9);
  metrics_.CountAlerts(t, {breach});
  EXPECT_EQ(Value("mot_ticketing_escalations_total", {{"kind", "repair"}, {"level", "beyond"}}), 1);
  EXPECT_FALSE(
      Value("mot_ticketing_escalations_total", {{"kind", "repair"}, {"level", "9"}}).has_value())
      << "no series made on the alert path";
}

TEST_F(MetricsTest, AKindNoLongerInThePolicyIsCountedAsUnconfigured) {
  v1::Ticket t = *OpenTicket(policy_, RepairCommand(t0_));
  t.set_kind("legacy_kind");
  EXPECT_EQ(Value("mot_ticketing_tickets_opened_total", {{"kind", "unconfigured"}}), 0)
      << "made at start";
  metrics_.CountChange({}, t);
  metrics_.CountChange({}, t);
  EXPECT_EQ(Value("mot_ticketing_tickets_opened_total", {{"kind", "unconfigured"}}), 2);
  EXPECT_FALSE(Value("mot_ticketing_tickets_opened_total", {{"kind", "legacy_kind"}}).has_value())
      << "no series made on the message path";
}

}  // namespace
}  // namespace mot::ticketing
