#pragma once

// The shipped playbook in force, an in-memory journey store and a manual clock, for
// the handlers' tests.
#include <map>
#include <memory>
#include <string>

#include "fake_journey_store.h"
#include "fakes.h"
#include "gtest/gtest.h"
#include "mot/common/codec.h"
#include "mot/common/topics.h"
#include "mot/notification/v1/notification.pb.h"
#include "mot/survey/v1/survey.pb.h"
#include "mot/ticketing/v1/ticketing.pb.h"
#include "prometheus/registry.h"
#include "touchpoint-scheduler/app/lifecycle_consumer.h"
#include "touchpoint-scheduler/app/live_playbook.h"
#include "touchpoint-scheduler/app/metrics.h"
#include "touchpoint-scheduler/domain/playbook.h"

namespace mot::scheduler {

inline const TimePoint kNow = FromUnixMillis(1'793'520'000'000);

class SchedulerAppTest : public ::testing::Test {
 protected:
  Incoming EventMessage(const std::string& type, TimePoint at, size_t note_bytes = 0) {
    lifecycle::v1::LifecycleEvent e;
    e.set_event_id("ev-" + type);
    e.set_type(type);
    e.set_customer_id("C-1");
    e.set_project_id("P-1");
    e.set_unit_id("U-1");
    *e.mutable_occurred_at() = ToProto(at);
    if (note_bytes > 0) (*e.mutable_attributes())["note"] = std::string(note_bytes, 'x');
    auto& attributes = *e.mutable_attributes();
    attributes["planned_handover_date"] = "2027-06-30";
    attributes["warranty_end_date"] = "2031-11-01";
    attributes["tier"] = "A";
    return testkit::Message(kLifecycleTopic, e.SerializeAsString());
  }
  std::map<std::string, v1::Touchpoint> ByStep() {
    std::map<std::string, v1::Touchpoint> out;
    const auto journey = store_.Journey("C-1");
    for (const auto& tp : *journey) out[tp.step_id()] = tp;
    return out;
  }

  Playbook playbook_ = *Playbook::FromYaml(testkit::ShippedConfig("playbook.yaml"));
  LivePlaybook live_{playbook_};
  testkit::FakeJourneyStore store_;
  testkit::ManualClock clock_{kNow};
  prometheus::Registry registry_;
  std::unique_ptr<SchedulerMetrics> metrics_ = MakeSchedulerMetrics(registry_, playbook_);
  LifecycleHandler handler_{live_, store_, clock_, PlanningLimits{}, *metrics_, [](TimePoint) {}};
  testkit::FakePublisher publisher_;
};

}  // namespace mot::scheduler
