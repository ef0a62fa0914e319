#include "touchpoint-scheduler/app/profile_consumer.h"

#include "scheduler_app_fixture.h"

namespace mot::scheduler {
namespace {

using std::chrono::hours;

TEST_F(SchedulerAppTest, ProfilesAreCheckedAndKeptForPlanning) {
  ProfileHandler profiles(store_, clock_, *metrics_);
  customer::v1::CustomerProfile p;
  p.set_customer_id("C-9");
  p.set_tier("B");
  p.set_segment("elderly");
  p.set_time_zone("Asia/Hong_Kong");
  p.set_birth_month(2);
  p.set_birth_day(29);
  p.mutable_contact()->set_mobile("13800138000");
  std::vector<Work> batch;
  NoPublisher none;
  batch.push_back({testkit::Message(kCustomerTopic, p.SerializeAsString()), &none, {}});
  p.set_time_zone("Moon/Base");
  batch.push_back({testkit::Message(kCustomerTopic, p.SerializeAsString()), &none, {}});
  p.set_time_zone("");
  p.set_birth_day(30);
  batch.push_back({testkit::Message(kCustomerTopic, p.SerializeAsString()), &none, {}});
  profiles.HandleBatch(batch);
  EXPECT_TRUE(batch[0].status.ok());
  EXPECT_EQ(batch[1].status.message(), "time_zone is not an IANA time zone name");
  EXPECT_EQ(batch[2].status.message(), "birth_day is not a day of birth_month");
  auto facts = store_.Facts({"C-9"}, playbook_.stages());
  const auto& f = facts->at("C-9");
  EXPECT_EQ(f.tier, "B");
  EXPECT_EQ(f.segment, "elderly");
  EXPECT_EQ(f.time_zone, "Asia/Hong_Kong");
  EXPECT_EQ(f.birth_month, 2);
  EXPECT_EQ(f.birth_day, 29);
  EXPECT_EQ(metrics_->profiles.Value(), 1);
}

}  // namespace
}  // namespace mot::scheduler
