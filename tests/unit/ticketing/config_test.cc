// TicketingConfig::FromEnv: every MOT_* ticketing reads, and what it refuses.
#include "ticketing/config.h"

#include <cstdlib>
#include <fstream>
#include <map>
#include <string>

#include "fixtures.h"
#include "gate_files.h"

namespace mot::ticketing {
namespace {

// A valid environment: the common settings with readable gate files, the shipped policy.
std::map<std::string, std::string> Valid() {
  return testkit::ValidEnv(
      {{"MOT_SLA_POLICY", std::string(MOT_SOURCE_DIR) + "/deploy/config/sla.yaml"}});
}

std::string Refusal(std::map<std::string, std::string> vars) {
  return testkit::Refusal<TicketingConfig>(std::move(vars));
}

TEST(TicketingConfig, DefaultsAndTheShippedPolicy) {
  const auto c = TicketingConfig::FromEnv(Env(Valid()));
  EXPECT_EQ(c.service.max_page_size, 100);
  EXPECT_EQ(c.sla.tick, std::chrono::seconds(1));
  EXPECT_EQ(c.sla.lease, std::chrono::seconds(60));
  EXPECT_EQ(c.sla.batch, 100);
  EXPECT_EQ(c.timers.ns, "ticketing.sla");
  EXPECT_EQ(c.timers.partitions, 16);
  EXPECT_NE(c.policy.Find("complaint_major"), nullptr);
  EXPECT_EQ(c.service.times.max_ahead, c.common.times.max_ahead);
  EXPECT_EQ(c.service.retention.after_close, hours(24 * 365 * 5))
      << "five years after a ticket closes";
}

TEST(TicketingConfig, EveryVariableIsRead) {
  auto vars = Valid();
  vars["MOT_LIST_PAGE_SIZE_MAX"] = "20";
  vars["MOT_SLA_TICK"] = "200ms";
  vars["MOT_SLA_CLAIM_LEASE"] = "2m";
  vars["MOT_SLA_BATCH"] = "7";
  vars["MOT_SLA_PARTITIONS"] = "64";
  vars["MOT_EVENT_MAX_AHEAD"] = "2h";
  vars["MOT_TICKET_RETENTION"] = "3y";
  const auto c = TicketingConfig::FromEnv(Env(vars));
  EXPECT_EQ(c.service.max_page_size, 20);
  EXPECT_EQ(c.sla.tick, std::chrono::milliseconds(200));
  EXPECT_EQ(c.sla.lease, std::chrono::minutes(2));
  EXPECT_EQ(c.sla.batch, 7);
  EXPECT_EQ(c.timers.partitions, 64);
  EXPECT_EQ(c.service.times.max_ahead, hours(2)) << "a create's requested_at window";
  EXPECT_EQ(c.service.retention.after_close, hours(24 * 365 * 3));
}

TEST(TicketingConfig, ARetentionThatIsNoDurationOrNoneIsRefusedNamingTheVariable) {
  auto vars = Valid();
  vars["MOT_TICKET_RETENTION"] = "five years";
  EXPECT_EQ(Refusal(vars).rfind("MOT_TICKET_RETENTION='five years' is invalid", 0), 0u)
      << Refusal(vars);
  vars["MOT_TICKET_RETENTION"] = "0d";
  EXPECT_EQ(Refusal(vars),
            "MOT_TICKET_RETENTION: must be longer than 0 (how long a closed ticket is kept, e.g. "
            "5y)");
}

TEST(TicketingConfig, ALeaseNotLongerThanTheDeliveryTimeoutIsRefused) {
  auto vars = Valid();
  vars["MOT_SLA_CLAIM_LEASE"] = "30s";  // the delivery timeout's default
  EXPECT_EQ(
      Refusal(vars),
      "MOT_SLA_CLAIM_LEASE: the claim lease (30000 ms) must be longer than the producer's delivery "
      "timeout (30000 ms), or a slow publish is sent twice");
  vars["MOT_SLA_CLAIM_LEASE"] = "2m";
  vars["MOT_KAFKA_DELIVERY_TIMEOUT"] = "3m";
  EXPECT_EQ(Refusal(vars).rfind("MOT_SLA_CLAIM_LEASE: the claim lease (120000 ms)", 0), 0u)
      << Refusal(vars);
}

TEST(TicketingConfig, APolicyIsRequiredAndItsErrorsNamed) {
  auto vars = Valid();
  vars.erase("MOT_SLA_POLICY");
  EXPECT_EQ(Refusal(vars).rfind("MOT_SLA_POLICY", 0), 0u) << Refusal(vars);
  vars = Valid();
  vars["MOT_SLA_BATCH"] = "0";
  EXPECT_EQ(Refusal(vars).rfind("MOT_SLA_BATCH", 0), 0u) << Refusal(vars);
}

}  // namespace
}  // namespace mot::ticketing
