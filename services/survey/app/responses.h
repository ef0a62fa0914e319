#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "mot/common/group_commit.h"
#include "mot/common/kafka.h"
#include "mot/common/record_store.h"
#include "mot/common/redis.h"
#include "mot/survey/v1/survey.pb.h"
#include "survey/domain/catalogue.h"

namespace mot::survey {

// An answered survey.
struct Submitted {
  v1::SurveyInstance instance;
  v1::SurveyResponse response;
};

// Taking answers, for the gRPC API and the web page alike: checked, once (the instance
// completed, the response kept and the running tally of the project, stage and month
// counted in one Redis script, so a response counts exactly once), announced.
class Responses {
 public:
  struct Parts {
    RedisRecordStore& store;
    RedisClient& redis;
    const SurveyCatalogue& catalogue;
    Publisher& out;
    const Clock& clock;
    // How long an answered instance and its response are kept (MOT_SURVEY_RETENTION).
    std::chrono::milliseconds retention;
    // Answers taken together at most (a group commit: the answers that arrive while one
    // batch is stored or awaits the broker go together in the next).
    size_t batch = 64;
  };
  explicit Responses(Parts parts);
  ~Responses();
  // NotFound (no such instance); FailedPrecondition (suppressed, expired, or answered
  // before with other answers: the same answers again answer as the first time);
  // InvalidArgument naming the question.
  absl::StatusOr<Submitted> Submit(const std::string& instance_id,
                                   const google::protobuf::Map<std::string, v1::Answer>& answers,
                                   const std::string& actor, const std::string& caller = "");
  // The instance a link's token opens; nullopt for a token nobody was given, or whose
  // owner was forgotten.
  absl::StatusOr<std::optional<v1::SurveyInstance>> ByToken(const std::string& token);
  // The response an answered instance keeps; nullopt when there is none.
  absl::StatusOr<std::optional<v1::SurveyResponse>> ResponseOf(const std::string& instance_id);

 private:
  // One answer on its way through the group commit.
  struct Answering {
    std::string instance_id;
    const google::protobuf::Map<std::string, v1::Answer>* answers = nullptr;
    std::string actor;
    std::string caller;  // the gRPC caller (token subject); "" on the web page
    absl::StatusOr<Submitted> result = absl::UnknownError("not committed");
    std::vector<std::string> write;  // the completion to write; empty: nothing to write
    bool announce = false;           // publish COMPLETED (and DETRACTOR)
  };
  // Decides an answer against the instance as stored (`raw`): its result (a refusal,
  // or the first answer again), or the completion to write.
  void Prepare(Answering& a, const std::optional<std::string>& raw, TimePoint now);
  // The batch's instances read and their completions written, each in one round trip.
  void StoreAll(std::vector<Answering*>& batch);
  // The batch's events published together, awaited once.
  void AnnounceAll(std::vector<Answering*>& batch);
  Parts parts_;
  std::unique_ptr<GroupCommit<Answering>> commits_;
};

}  // namespace mot::survey
