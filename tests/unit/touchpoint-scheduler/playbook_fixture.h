#pragma once

// The shipped playbook and a customer's events in Shanghai, for the domain's tests.
#include <map>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "fakes.h"
#include "gtest/gtest.h"
#include "mot/common/codec.h"
#include "mot/notification/v1/notification.pb.h"
#include "mot/survey/v1/survey.pb.h"
#include "mot/ticketing/v1/ticketing.pb.h"
#include "touchpoint-scheduler/domain/dates.h"
#include "touchpoint-scheduler/domain/planner.h"
#include "touchpoint-scheduler/domain/playbook.h"

namespace mot::scheduler {

inline lifecycle::v1::LifecycleEvent Event(const std::string& type, TimePoint at) {
  lifecycle::v1::LifecycleEvent e;
  e.set_event_id("ev-1");
  e.set_type(type);
  e.set_customer_id("C-1");
  e.set_unit_id("U-0801");
  e.set_project_id("P-SH01");
  *e.mutable_occurred_at() = ToProto(at);
  return e;
}

class PlaybookTest : public ::testing::Test {
 protected:
  Playbook playbook_ = *Playbook::FromYaml(testkit::ShippedConfig("playbook.yaml"));
  // 2026-11-01 08:00 UTC, 16:00 in Shanghai.
  TimePoint t0_ = FromUnixMillis(1'793'520'000'000);
  const absl::TimeZone shanghai_ = *LoadZone("Asia/Shanghai");

  // The local time in Shanghai, "YYYY-MM-DD HH:MM".
  std::string Local(TimePoint t) const {
    return absl::FormatTime("%Y-%m-%d %H:%M", absl::FromUnixMillis(ToUnixMillis(t)), shanghai_);
  }
  TimePoint At(const std::string& local) const {
    absl::Time t;
    std::string err;
    EXPECT_TRUE(absl::ParseTime("%Y-%m-%d %H:%M", local, shanghai_, &t, &err)) << err;
    return FromUnixMillis(absl::ToUnixMillis(t));
  }
  std::vector<PlannedTouchpoint> PlanOk(const lifecycle::v1::LifecycleEvent& e,
                                        const CustomerFacts& facts = {}) {
    auto planned = Plan(playbook_, e, facts);
    EXPECT_TRUE(planned.ok()) << planned.status();
    return planned.ok() ? *planned : std::vector<PlannedTouchpoint>{};
  }
  // The due times by step (several for a recurring step).
  static std::map<std::string, std::vector<TimePoint>> ByStep(
      const std::vector<PlannedTouchpoint>& planned) {
    std::map<std::string, std::vector<TimePoint>> out;
    for (const auto& p : planned)
      out[p.touchpoint.step_id()].push_back(FromProto(p.touchpoint.due_at()));
    return out;
  }
  lifecycle::v1::LifecycleEvent Signed(TimePoint at,
                                       const std::string& handover_date = "2027-06-30") {
    auto e = Event("contract_signed", at);
    (*e.mutable_attributes())["planned_handover_date"] = handover_date;
    return e;
  }
  lifecycle::v1::LifecycleEvent Handover(TimePoint at,
                                         const std::string& warranty_end = "2031-11-01") {
    auto e = Event("handover", at);
    (*e.mutable_attributes())["warranty_end_date"] = warranty_end;
    return e;
  }
};

inline auto Days(int n) { return std::chrono::hours(24 * n); }

}  // namespace mot::scheduler
