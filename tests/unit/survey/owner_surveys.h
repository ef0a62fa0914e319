// An owner's surveys as the survey service stores them, for the tests of forgetting and
// exporting an owner: made through the command consumer (with their links), answered as
// the completion script writes an answer (the instance COMPLETED and the response kept,
// the numbers the tallies count untouched); and a store that remembers every record it
// was given, so a test can look through all of the stored bytes.
#pragma once

#include <chrono>
#include <set>
#include <string>
#include <vector>

#include "fakes.h"
#include "gtest/gtest.h"
#include "memory_record_store.h"
#include "mot/common/clock.h"
#include "mot/common/codec.h"
#include "mot/common/topics.h"
#include "survey/app/command_consumer.h"
#include "survey/app/survey_records.h"
#include "survey/domain/catalogue.h"

namespace mot::survey {

using namespace std::chrono_literals;

// A MemoryRecordStore that keeps the ids of every record ever written.
class RememberingStore : public testkit::MemoryRecordStore {
 public:
  absl::StatusOr<bool> Insert(const std::string& id, const std::string& customer_id, int64_t order,
                              const std::string& bytes) override {
    ids.insert(id);
    return MemoryRecordStore::Insert(id, customer_id, order, bytes);
  }
  absl::Status Put(const std::string& id, const std::string& bytes) override {
    ids.insert(id);
    return MemoryRecordStore::Put(id, bytes);
  }
  // Every record still stored, as "<id> <bytes>".
  std::vector<std::string> Everything() {
    std::vector<std::string> out;
    for (const auto& id : ids) {
      auto bytes = Get(id);
      if (bytes.ok() && *bytes) out.push_back(id + " " + **bytes);
    }
    return out;
  }
  std::set<std::string> ids;
};

class OwnerSurveys : public ::testing::Test {
 protected:
  // The survey's id, for the owner, due at the clock's now: the instance made.
  v1::SurveyInstance Send(const std::string& touchpoint, const std::string& survey_id,
                          const std::string& customer = "C-1") {
    v1::CreateSurveyCommand cmd;
    cmd.set_command_id(touchpoint);
    cmd.set_touchpoint_id(touchpoint);
    cmd.set_customer_id(customer);
    cmd.set_survey_id(survey_id);
    cmd.set_project_id("P-1");
    *cmd.mutable_requested_at() = ToProto(clock_.Now());
    const size_t before = out_.sent.size();
    EXPECT_TRUE(
        commands_.Handle(testkit::Message(kSurveyCommandsTopic, cmd.SerializeAsString()), out_)
            .ok());
    v1::SurveyEvent e;
    EXPECT_GT(out_.sent.size(), before);
    EXPECT_TRUE(e.ParseFromString(out_.sent.back().payload));
    return e.instance();
  }
  // Answers `open` at the clock's now as the completion script stores it: the response
  // of stage_satisfaction_prospect_1 with a comment.
  v1::SurveyResponse Answer(const v1::SurveyInstance& open, const std::string& comment) {
    v1::SurveyResponse r;
    r.set_instance_id(open.id());
    (*r.mutable_answers())["consultant"].set_score(4);
    (*r.mutable_answers())["signing"].set_score(2);
    (*r.mutable_answers())["disclosure_e"].set_expectation(6);
    (*r.mutable_answers())["disclosure_e"].set_perception(3);
    (*r.mutable_answers())["recommend"].set_score(9);
    (*r.mutable_answers())["comment"].set_text(comment);
    *r.mutable_submitted_at() = ToProto(clock_.Now());
    r.set_actor("web");
    r.add_detractor_reasons("csat:signing");
    v1::SurveyInstance done = open;
    done.set_status(v1::SURVEY_STATUS_COMPLETED);
    *done.mutable_answered_at() = ToProto(clock_.Now());
    EXPECT_TRUE(store_.Put(done.id(), done.SerializeAsString()).ok());
    EXPECT_TRUE(store_.Put(ResponseKey(done.id()), r.SerializeAsString()).ok());
    return r;
  }
  v1::SurveyInstance Stored(const std::string& id) {
    v1::SurveyInstance i;
    EXPECT_TRUE(i.ParseFromString(store_.Get(id)->value_or(""))) << id;
    return i;
  }
  v1::SurveyResponse StoredResponse(const std::string& id) {
    v1::SurveyResponse r;
    EXPECT_TRUE(r.ParseFromString(store_.Get(ResponseKey(id))->value_or(""))) << id;
    return r;
  }

  const std::chrono::milliseconds retention_ = 24h * 365 * 5;
  SurveyCatalogue catalogue_ = *SurveyCatalogue::FromYaml(testkit::ShippedConfig("surveys.yaml"));
  RememberingStore store_;
  testkit::FakePublisher out_;
  testkit::ManualClock clock_{FromUnixMillis(1'793'520'000'000)};
  CommandHandler commands_{catalogue_, store_, clock_, "https://survey.example.com", retention_};
};

}  // namespace mot::survey
