// The indexing rules: which indexes a change leaves and joins, and the defect aggregates.
#include "ticketing/domain/ticket_index.h"

#include <algorithm>

#include "fixtures.h"
#include "ticketing/domain/lifecycle.h"

namespace mot::ticketing {
namespace {

using Op = IndexStore::Op;
using TicketIndexTest = TicketingTest;

std::vector<std::string> Keys(const std::vector<Op>& ops, Op::Kind kind) {
  std::vector<std::string> out;
  for (const auto& op : ops) {
    if (op.kind == kind) out.push_back(op.key);
  }
  std::sort(out.begin(), out.end());
  return out;
}

TEST_F(TicketIndexTest, AnOpenedTicketJoinsItsIndexesScoredByItsOpening) {
  auto cmd = RepairCommand(t0_);
  cmd.set_project_id("P-1");
  const v1::Ticket t = *OpenTicket(policy_, cmd);
  const auto ops = IndexOps({}, t);
  EXPECT_EQ(Keys(ops, Op::kZAdd),
            (std::vector<std::string>{"kind:repair", "open:repair", "project:P-1", "status:NEW"}));
  for (const auto& op : ops) EXPECT_EQ(op.n, ToUnixMillis(t0_)) << op.key;
  EXPECT_TRUE(Keys(ops, Op::kZRem).empty());
}

TEST_F(TicketIndexTest, AChangeLeavesWhatItNoLongerIsAndADefectsResolutionIsTimed) {
  auto cmd = RepairCommand(t0_);
  cmd.set_project_id("P-1");
  cmd.set_unit_id("U-1");
  cmd.set_defect_code("SJ01");
  const v1::Ticket t = *OpenTicket(policy_, cmd);
  auto opened = IndexOps({}, t);
  EXPECT_EQ(Keys(opened, Op::kHIncrBy), (std::vector<std::string>{"defects", "defects"}))
      << "P-1|SJ01|tickets and |open";
  EXPECT_EQ(Keys(opened, Op::kSAdd), (std::vector<std::string>{"defect_units:P-1|SJ01"}));
  bool replayed = false;
  const v1::Ticket acked =
      *Transition(t, {v1::TICKET_STATUS_ACKNOWLEDGED, "a", "", "r1"}, t0_ + hours(1), &replayed);
  v1::Ticket resolved = *Transition(acked, {v1::TICKET_STATUS_RESOLVED, "a", "done", "r2"},
                                    t0_ + hours(10), &replayed);
  resolved.add_alerts()->set_kind(v1::SLA_ALERT_KIND_BREACHED);
  const auto ops = IndexOps(acked, resolved);
  EXPECT_EQ(Keys(ops, Op::kZRem), (std::vector<std::string>{"open:repair", "status:ACKNOWLEDGED"}));
  EXPECT_EQ(Keys(ops, Op::kZAdd), (std::vector<std::string>{"breached", "status:RESOLVED"}));
  std::map<std::string, int64_t> moved;
  for (const auto& op : ops) {
    if (op.kind == Op::kHIncrBy) moved[op.member] += op.n;
  }
  EXPECT_EQ(moved["P-1|SJ01|open"], -1);
  EXPECT_EQ(moved["P-1|SJ01|resolved"], 1);
  EXPECT_EQ(moved["P-1|SJ01|resolve_ms"], 10 * 3'600'000);
  EXPECT_EQ(moved.count("P-1|SJ01|tickets"), 0u) << "still one ticket";
}

}  // namespace
}  // namespace mot::ticketing
