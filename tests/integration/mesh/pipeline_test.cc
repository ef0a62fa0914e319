// Events through the mesh: a lifecycle event reaches every service it plans for,
// once, on the shared simulated clock; keys land on the Java client's partitions.
#include <cstdint>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "mesh/fixture.h"
#include "mot/common/topics.h"

namespace mot {
namespace {

// The partition Kafka's Java client picks for a key: murmur2 (Utils.murmur2),
// made positive, modulo the partition count.
int32_t JavaMurmur2(const std::string& key) {
  const auto* data = reinterpret_cast<const uint8_t*>(key.data());
  const int32_t length = static_cast<int32_t>(key.size());
  const uint32_t m = 0x5bd1e995;
  uint32_t h = 0x9747b28c ^ static_cast<uint32_t>(length);
  for (int32_t i = 0; i < length / 4; ++i) {
    uint32_t k = data[i * 4] | (data[i * 4 + 1] << 8) | (data[i * 4 + 2] << 16) |
                 (static_cast<uint32_t>(data[i * 4 + 3]) << 24);
    k *= m;
    k ^= k >> 24;
    k *= m;
    h *= m;
    h ^= k;
  }
  const int32_t tail = length & ~3;
  switch (length % 4) {
    case 3:
      h ^= data[tail + 2] << 16;
      [[fallthrough]];
    case 2:
      h ^= data[tail + 1] << 8;
      [[fallthrough]];
    case 1:
      h ^= data[tail];
      h *= m;
  }
  h ^= h >> 13;
  h *= m;
  h ^= h >> 15;
  return static_cast<int32_t>(h);
}

TEST_F(MeshTest, LifecycleEventsReachAllFourServices) {
  const std::string customer = Unique("C-");
  const TimePoint now = Now();
  // Signed 8 days ago and published only now: the welcome, 8 days late, is past its
  // lateness (3 days) and skipped; the 7-day survey is due. A signing-progress notice
  // now reaches notification.
  auto signed_event = Event("contract_signed", customer, now - hours(24 * 8));
  Publish(signed_event);
  auto repair = Event("repair_requested", customer, now);
  (*repair.mutable_attributes())["problem"] = "卫生间墙面渗水";
  Publish(repair);
  auto progress = Event("signing_progress", customer, now);
  (*progress.mutable_attributes())["node"] = "loan_approval";
  Publish(progress);

  auto journey =
      WaitForSteps(customer, {"signing_progress_notice", "sales_stage_survey", "repair_ticket"});
  EXPECT_EQ(journey.stage(), "PROSPECT_1");
  EXPECT_EQ(Step(journey, "signing_progress_notice").service(), "notification");
  EXPECT_EQ(Step(journey, "sales_stage_survey").service(), "survey");
  EXPECT_EQ(Step(journey, "repair_ticket").service(), "ticketing");
  const auto welcome = Step(journey, "welcome_after_signing");
  EXPECT_EQ(welcome.status(), sv1::TOUCHPOINT_STATUS_SKIPPED);
  EXPECT_NE(welcome.outcome().find(", 8 days before the mesh heard of it"), std::string::npos)
      << welcome.outcome();

  // The webhook receiver got the rendered zh-CN message, and no stale welcome.
  EXPECT_EQ(WebhookMessagesMentioning("您在" + progress.project_id() + "项目U-0801单元的签约进度"),
            1);
  EXPECT_EQ(WebhookMessagesMentioning("签约" + signed_event.project_id() + "项目U-0801单元"), 0);

  // The survey instance exists.
  const auto sresp = Surveys(customer);
  ASSERT_EQ(sresp.instances_size(), 1);
  EXPECT_EQ(sresp.instances(0).stage(), "PROSPECT_1");
  EXPECT_EQ(sresp.instances(0).id(), Step(journey, "sales_stage_survey").result_ref());

  // The repair ticket has its three deadlines, counted from the request.
  const auto t = Ticket(Step(journey, "repair_ticket").result_ref());
  ASSERT_FALSE(t.id().empty());
  EXPECT_EQ(t.summary(), "卫生间墙面渗水");
  ASSERT_EQ(t.deadlines_size(), 3);
  const TimePoint requested = FromProto(repair.occurred_at());
  EXPECT_EQ(FromProto(t.deadlines(0).due_at()) - requested, hours(2));
  EXPECT_EQ(FromProto(t.deadlines(1).due_at()) - requested, hours(24));
  EXPECT_EQ(FromProto(t.deadlines(2).due_at()) - requested, hours(72));
}

TEST_F(MeshTest, RedeliveredEventHasOneEffect) {
  const std::string customer = Unique("C-");
  auto e = Event("contract_signed", customer, Now() - hours(24 * 8));
  Publish(e);
  Publish(e);  // the same event id again, as an at-least-once publisher may
  // The signing's steps (the welcome, 8 days late, skipped), and the issued survey's
  // invitation (this owner has no contact point: not sent) and reminder.
  const int planned =
      WaitUntil(
          customer,
          [](const sv1::GetJourneyResponse& j) {
            return Step(j, "welcome_after_signing").status() == sv1::TOUCHPOINT_STATUS_SKIPPED &&
                   Step(j, "sales_stage_survey").status() == sv1::TOUCHPOINT_STATUS_DONE &&
                   Step(j, "survey_invitation").status() == sv1::TOUCHPOINT_STATUS_CANCELLED &&
                   Step(j, "survey_reminder").status() == sv1::TOUCHPOINT_STATUS_SCHEDULED;
          },
          "welcomed and surveyed")
          .touchpoints_size();
  // Give a duplicate time to show up if it were going to. A fixed wait, not a move of the
  // simulated clock: a duplicate would come from the scheduler's consumer handling the
  // second copy, which no time of the clock brings about or rules out (and a move would
  // fire the scheduled reminder, which is not what is counted).
  std::this_thread::sleep_for(seconds(2));
  EXPECT_EQ(Journey(customer).touchpoints_size(), planned);
  EXPECT_EQ(planned, 9) << "the signing's steps, the survey's invitation and reminder";
  EXPECT_EQ(Surveys(customer).instances_size(), 1) << "one survey for the two copies";
  EXPECT_EQ(WebhookMessagesMentioning(e.project_id()), 0) << "the stale welcome, never sent";
}

TEST_F(MeshTest, FutureTouchpointStaysScheduled) {
  const std::string customer = Unique("C-");
  Publish(Event("contract_signed", customer, Now()));
  auto j = WaitForWelcome(customer);
  EXPECT_EQ(Step(j, "sales_stage_survey").status(), sv1::TOUCHPOINT_STATUS_SCHEDULED);
  EXPECT_EQ(Step(j, "site_open_day").status(), sv1::TOUCHPOINT_STATUS_SCHEDULED);
}

// The years after a handover in seconds: each advance of the simulated clock fires
// what fell due, in due order, and nothing later.
TEST_F(MeshTest, HandoverYearsFireAsTheClockMoves) {
  const std::string customer = Unique("C-");
  Publish(Event("handover", customer, Now()));
  auto status_of = [](const sv1::GetJourneyResponse& j, const std::string& step) {
    for (const auto& tp : j.touchpoints()) {
      if (tp.step_id() == step) return tp.status();
    }
    return sv1::TOUCHPOINT_STATUS_UNSPECIFIED;
  };
  auto done_count = [](const sv1::GetJourneyResponse& j) {
    int done = 0;
    for (const auto& tp : j.touchpoints()) done += tp.status() == sv1::TOUCHPOINT_STATUS_DONE;
    return done;
  };
  auto j = WaitUntil(
      customer,
      [&](const sv1::GetJourneyResponse& j) {
        return j.touchpoints_size() == 15 && done_count(j) == 1;
      },
      "congratulated");
  EXPECT_EQ(j.stage(), "RUNIN_1");
  // +100 d: the delivery survey (1 d), the move-in cleaning (3 d), the key-period visits
  // (7, 30, 60 d), the stage
  // survey (45 d), the revisit (90 d) and the key period's close (100 d); +370 d: the
  // first-year survey and the quality check; +1465 d: the stable and veteran surveys and
  // the review. (Each survey's invitation and reminder reach no one here: no contact
  // point, so they are cancelled, not done.)
  const struct {
    std::chrono::hours advance;
    const char* step;
    int done;
    const char* stage;
  } years[] = {{hours(24 * 100), "key_period_close", 9, "RUNIN_1"},
               {hours(24 * 270), "one_year_quality_check", 11, "STABLE"},
               {hours(24 * 365 * 3), "four_year_appointment", 14, "VETERAN"}};
  for (const auto& y : years) {
    Advance(y.advance);
    // Everything due by then is done (the services answer in their own time).
    j = WaitUntil(
        customer,
        [&](const sv1::GetJourneyResponse& j) {
          return status_of(j, y.step) == sv1::TOUCHPOINT_STATUS_DONE && done_count(j) >= y.done;
        },
        std::string(y.step) + " done");
    EXPECT_EQ(done_count(j), y.done) << y.step << ": something later fired too";
    EXPECT_EQ(j.stage(), y.stage) << y.step;
  }
  EXPECT_NE(Step(j, "four_year_appointment").outcome().find("common_area_review ticket opened"),
            std::string::npos)
      << Step(j, "four_year_appointment").outcome();
  EXPECT_EQ(Step(j, "warranty_ending_notice").status(), sv1::TOUCHPOINT_STATUS_SCHEDULED)
      << "30 days before the warranty's end, in a year";
}

// Every service reads the one shared clock: the scheduler's stage, the
// notification's delivery time and the survey's creation time are simulated times.
TEST_F(MeshTest, EveryServiceSeesTheSimulatedTime) {
  const std::string customer = Unique("C-");
  Publish(Event("contract_signed", customer, Now()));
  WaitForWelcome(customer);
  const TimePoint later = Advance(hours(24 * 8));  // the 7-day survey falls due
  auto j = WaitForSteps(customer, {"sales_stage_survey"});
  EXPECT_EQ(j.stage(), "PROSPECT_1");

  const auto sresp = Surveys(customer);
  ASSERT_EQ(sresp.instances_size(), 1);
  EXPECT_EQ(FromProto(sresp.instances(0).created_at()), later)
      << "survey is not on the shared clock";

  Publish(Event("contract_signed", customer, later));  // a second signing: a new welcome
  WaitUntil(
      customer,
      [](const sv1::GetJourneyResponse& j) {
        int welcomed = 0;
        for (const auto& tp : j.touchpoints()) {
          welcomed +=
              tp.step_id() == "welcome_after_signing" && tp.status() == sv1::TOUCHPOINT_STATUS_DONE;
        }
        return welcomed == 2;
      },
      "welcomed again");
  const auto nresp = Deliveries(customer);  // newest first
  std::vector<notification::v1::Delivery> welcomes;
  for (const auto& d : nresp.deliveries()) {
    if (d.template_id() == "welcome_signed") welcomes.push_back(d);
  }
  ASSERT_EQ(welcomes.size(), 2u);
  EXPECT_EQ(FromProto(welcomes[0].delivered_at()), later)
      << "notification is not on the shared clock";

  Advance(hours(24 * 200));
  WaitUntil(
      customer, [](const sv1::GetJourneyResponse& j) { return j.stage() == "PROSPECT_2"; },
      "in the waiting stage");
}

TEST_F(MeshTest, IngestPublishesOntoTheLifecycleTopic) {
  const std::string customer = Unique("C-");
  grpc::ClientContext ctx;
  sv1::IngestEventRequest req;
  *req.mutable_event() = Event("repair_requested", customer, Now());
  sv1::IngestEventResponse resp;
  ASSERT_TRUE(scheduler_->IngestEvent(&ctx, req, &resp).ok());
  EXPECT_EQ(resp.event_id(), req.event().event_id());
  auto j = WaitForSteps(customer, {"repair_ticket"});
  EXPECT_EQ(j.touchpoints(0).service(), "ticketing");
}

// Kafka's own test vectors for murmur2, then: a key lands on the partition the Java
// client would pick (librdkafka's default partitioner picks another for most keys).
TEST_F(MeshTest, CustomersLandOnTheJavaClientsPartition) {
  EXPECT_EQ(JavaMurmur2("21"), -973932308);
  EXPECT_EQ(JavaMurmur2("foobar"), -790332482);
  EXPECT_EQ(JavaMurmur2("a-little-bit-long-string"), -985981536);
  EXPECT_EQ(JavaMurmur2("a-little-bit-longer-string"), -1486304829);
  EXPECT_EQ(JavaMurmur2("lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8"), -58897971);
  EXPECT_EQ(JavaMurmur2("abc"), 479470107);

  const std::string topic = std::string(kSurveyEventsTopic) + ".dlq";  // nothing consumes it
  const std::string run = Unique("part-");
  std::vector<OutMessage> out;
  for (int i = 0; i < 30; ++i) out.push_back({topic, run + "-C-" + std::to_string(i), run, {}});
  for (const auto& s : producer_->PublishAll(out)) ASSERT_TRUE(s.ok()) << s;

  auto consumer = ReadFromStart(topic);
  ASSERT_TRUE(consumer);
  std::map<std::string, int32_t> landed;
  ReadUntil(
      *consumer, seconds(30),
      [&](RdKafka::Message& m) {
        if (m.key() != nullptr && Payload(m) == run) landed[*m.key()] = m.partition();
        return landed.size() == out.size();
      },
      "every key read back");
  consumer->close();
  ASSERT_EQ(landed.size(), out.size());
  constexpr int kPartitions = 3;  // deploy/local/mesh makes every topic with 3
  for (const auto& [key, partition] : landed) {
    EXPECT_EQ(partition, (JavaMurmur2(key) & 0x7fffffff) % kPartitions) << key;
  }
}

}  // namespace
}  // namespace mot
