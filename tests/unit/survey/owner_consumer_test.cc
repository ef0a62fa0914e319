// customer_forgotten consumed: every survey of the owner erased (free text, links),
// open ones withdrawn, the page's link refused, the scores and the retention kept;
// other events, undecodable ones and a missing customer_id.
#include "survey/app/owner_consumer.h"

#include <functional>
#include <utility>

#include "metric_value.h"
#include "mot/lifecycle/v1/event.pb.h"
#include "owner_surveys.h"
#include "prometheus/registry.h"
#include "survey/app/owner_eraser.h"
#include "survey/domain/erasure.h"
#include "survey/domain/retention.h"
#include "survey_command.h"

namespace mot::survey {
namespace {

Incoming Lifecycle(const std::string& type, const std::string& customer) {
  lifecycle::v1::LifecycleEvent e;
  e.set_event_id("e-" + type);
  e.set_type(type);
  e.set_customer_id(customer);
  return testkit::Message(kLifecycleTopic, e.SerializeAsString());
}

// The numbers a response adds to the running tallies.
std::vector<std::pair<std::string, int64_t>> Counted(const SurveyCatalogue& catalogue,
                                                     const v1::SurveyResponse& r) {
  Tally t;
  t.Add(catalogue.Find("stage_satisfaction_prospect_1")->questions, AnswersOf(r.answers()));
  return FieldsOf(t);
}

class SurveyForgetOwner : public OwnerSurveys {
 protected:
  double Erasures() { return MetricValue(registry_, "mot_survey_erasures_total", {}).value_or(-1); }
  prometheus::Registry registry_;
  SurveyMetrics metrics_{registry_};
  OwnerEraser eraser_{{store_, catalogue_, clock_, retention_, 100}};
  OwnerHandler handler_{eraser_, metrics_};
};

TEST_F(SurveyForgetOwner, EveryPlantedStringIsErasedTheLinksRefusedTheScoresKept) {
  // Answered, with a comment; open (repair, 40 days on); not sent for fatigue.
  const auto answered = Send("tp-1", "stage_satisfaction_prospect_1");
  clock_.Advance(24h);
  const std::string comment = "漏水三次了，请打 13800138000 找王女士";
  const auto response = Answer(answered, comment);
  const TimePoint answered_at = clock_.Now();
  clock_.Advance(24h * 40);
  const auto open = Send("tp-2", "repair_satisfaction");
  clock_.Advance(1h);
  const auto unsent = Send("tp-3", "stage_satisfaction_prospect_2");
  ASSERT_EQ(unsent.status(), v1::SURVEY_STATUS_SUPPRESSED) << "fatigue: the repair survey's window";
  const auto neighbour = Send("tp-4", "stage_satisfaction_prospect_1", "C-2");
  const std::vector<std::string> planted = {comment, answered.link(), LinkToken(answered.link()),
                                            open.link(), LinkToken(open.link())};
  for (const auto& s : planted) ASSERT_FALSE(s.empty());
  ASSERT_TRUE(LinkedInstance(store_, LinkToken(answered.link()))->has_value());
  ASSERT_TRUE(LinkedInstance(store_, LinkToken(open.link()))->has_value());

  clock_.Advance(1h);
  const TimePoint forgotten_at = clock_.Now();
  ASSERT_TRUE(handler_.Handle(Lifecycle("customer_forgotten", "C-1")).ok());

  for (const auto& record : store_.Everything()) {
    for (const auto& s : planted) EXPECT_EQ(record.find(s), std::string::npos) << s;
  }
  // The page: the links open nothing (as a link nobody was given); the neighbour's does.
  EXPECT_FALSE(LinkedInstance(store_, LinkToken(answered.link()))->has_value());
  EXPECT_FALSE(LinkedInstance(store_, LinkToken(open.link()))->has_value());
  EXPECT_TRUE(LinkedInstance(store_, LinkToken(neighbour.link()))->has_value());
  EXPECT_EQ(Stored(neighbour.id()).link(), neighbour.link());

  const auto a = Stored(answered.id());
  EXPECT_EQ(a.status(), v1::SURVEY_STATUS_COMPLETED);
  EXPECT_EQ(a.link(), kErased);
  EXPECT_EQ(FromProto(a.erased_at()), forgotten_at);
  const auto r = StoredResponse(answered.id());
  EXPECT_EQ(r.answers().at("comment").text(), kErased);
  EXPECT_EQ(Counted(catalogue_, r), Counted(catalogue_, response)) << "the scores stay";
  EXPECT_EQ(r.answers().at("recommend").score(), 9);
  EXPECT_EQ(a.stage(), answered.stage());
  EXPECT_EQ(r.detractor_reasons_size(), 1);

  const auto o = Stored(open.id());
  EXPECT_EQ(o.status(), v1::SURVEY_STATUS_SUPPRESSED) << "withdrawn";
  EXPECT_EQ(o.reason(), kForgotten);
  EXPECT_EQ(o.link(), kErased);
  const auto u = Stored(unsent.id());
  EXPECT_EQ(u.reason(), unsent.reason()) << "its own reason stays";
  EXPECT_TRUE(IsErased(u));

  // Retention from each final state: answered, withdrawn now, not sent.
  const int64_t r5 = retention_.count();
  EXPECT_EQ(store_.ExpiresAt(answered.id()), ToUnixMillis(answered_at) + r5);
  EXPECT_EQ(store_.ExpiresAt(ResponseKey(answered.id())), ToUnixMillis(answered_at) + r5);
  EXPECT_EQ(store_.ExpiresAt(open.id()), ToUnixMillis(forgotten_at) + r5);
  EXPECT_EQ(store_.ExpiresAt(unsent.id()), ToUnixMillis(FromProto(unsent.created_at())) + r5);
  EXPECT_EQ(Erasures(), 3);

  // Again (a redelivery): the same bytes, nothing counted.
  const auto before = store_.Everything();
  clock_.Advance(1h);
  ASSERT_TRUE(handler_.Handle(Lifecycle("customer_forgotten", "C-1")).ok());
  EXPECT_EQ(store_.Everything(), before);
  EXPECT_EQ(Erasures(), 3);
}

TEST_F(SurveyForgetOwner, OtherEventsPassUndecodableOnesPassAMissingCustomerIsRefused) {
  const auto open = Send("tp-1", "stage_satisfaction_prospect_1");
  const auto before = store_.Everything();
  EXPECT_TRUE(handler_.Handle(Lifecycle("handover", "C-1")).ok());
  EXPECT_TRUE(handler_.Handle(testkit::Message(kLifecycleTopic, "\xff\x01not an event")).ok())
      << "the scheduler dead-letters what does not decode";
  const auto nameless = handler_.Handle(Lifecycle("customer_forgotten", ""));
  EXPECT_TRUE(absl::IsInvalidArgument(nameless));
  EXPECT_EQ(nameless.message(), "customer_id is required");
  EXPECT_EQ(store_.Everything(), before);
  EXPECT_EQ(Erasures(), 0);
  ASSERT_TRUE(handler_.Handle(Lifecycle("customer_forgotten", "C-404")).ok()) << "nobody: done";
}

// A store where an answer lands between the eraser's read and its write.
class AnsweredMeanwhile : public RememberingStore {
 public:
  absl::StatusOr<bool> Replace(const std::string& id, const std::string& expected,
                               const std::string& bytes) override {
    if (answer) std::exchange(answer, nullptr)();
    return RememberingStore::Replace(id, expected, bytes);
  }
  std::function<void()> answer;
};

TEST_F(SurveyForgetOwner, AnAnswerArrivingMeanwhileIsErasedToo) {
  AnsweredMeanwhile store;
  CommandHandler commands(catalogue_, store, clock_, "https://survey.example.com", retention_);
  ASSERT_TRUE(
      commands
          .Handle(testkit::Message(kSurveyCommandsTopic, Command(clock_.Now()).SerializeAsString()),
                  out_)
          .ok());
  v1::SurveyEvent created;
  ASSERT_TRUE(created.ParseFromString(out_.sent.back().payload));
  const v1::SurveyInstance open = created.instance();
  store.answer = [&] {
    v1::SurveyInstance done = open;
    done.set_status(v1::SURVEY_STATUS_COMPLETED);
    *done.mutable_answered_at() = ToProto(clock_.Now());
    v1::SurveyResponse r;
    r.set_instance_id(open.id());
    (*r.mutable_answers())["comment"].set_text("就在这时写下的意见");
    (*r.mutable_answers())["recommend"].set_score(3);
    ASSERT_TRUE(store.Put(open.id(), done.SerializeAsString()).ok());
    ASSERT_TRUE(store.Put(ResponseKey(open.id()), r.SerializeAsString()).ok());
  };
  OwnerEraser eraser({store, catalogue_, clock_, retention_, 100});
  ASSERT_EQ(*eraser.Forget("C-1"), 1);
  for (const auto& record : store.Everything()) {
    EXPECT_EQ(record.find("就在这时写下的意见"), std::string::npos);
    EXPECT_EQ(record.find(LinkToken(open.link())), std::string::npos);
  }
  v1::SurveyInstance i;
  ASSERT_TRUE(i.ParseFromString(**store.Get(open.id())));
  EXPECT_EQ(i.status(), v1::SURVEY_STATUS_COMPLETED) << "answered first: kept answered, erased";
  v1::SurveyResponse r;
  ASSERT_TRUE(r.ParseFromString(**store.Get(ResponseKey(open.id()))));
  EXPECT_EQ(r.answers().at("recommend").score(), 3);
}

}  // namespace
}  // namespace mot::survey
