#pragma once

#include <optional>

#include "app/kpi.h"
#include "domain/catalogue.h"
#include "mot/common/group_commit.h"
#include "mot/common/kafka.h"
#include "mot/common/record_store.h"
#include "mot/common/redis.h"
#include "mot/survey/v1/survey.grpc.pb.h"

namespace mot::survey {

// Consumes CreateSurveyCommand: creates the instance once (idempotent by command
// id), then publishes SurveyEvent CREATED on mot.survey.v1. Survey fatigue first
// (the catalogue's `fatigue`, over the owner's instances): a survey within the window
// of another is recorded SUPPRESSED with the reason (event SUPPRESSED), unless it ranks
// higher than open ones there, which are then SUPPRESSED (withdrawn) for it.
//
// An issued instance gets its link: `link_base` + "/s/" + an unguessable token (128
// random bits), kept as "link:<token>" -> instance id; the link travels in the
// CREATED event (the playbook's invitation and reminder carry it to the owner).
class CommandHandler {
 public:
  // A command whose requested_at lies outside `times` around now is refused.
  CommandHandler(const SurveyCatalogue& catalogue, RecordStore& store, const Clock& clock,
                 std::string link_base, TimeWindow times = {})
      : catalogue_(catalogue), store_(store), instances_(store), clock_(clock),
        link_base_(std::move(link_base)), times_(times) {}
  // Publishes the event through `out`.
  absl::Status Handle(const Incoming& in, Publisher& out);

 private:
  const SurveyCatalogue& catalogue_;
  RecordStore& store_;
  ProtoStore<v1::SurveyInstance> instances_;
  const Clock& clock_;
  const std::string link_base_;
  const TimeWindow times_;
};

// A new link token: 128 random bits, URL-safe base64 (22 characters).
std::string NewLinkToken();
// The record that maps a link's token to its instance.
std::string LinkKey(const std::string& token);

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
  // The instance a link's token opens; nullopt for a token nobody was given.
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
  ProtoStore<v1::SurveyInstance> instances_;
  std::unique_ptr<GroupCommit<Answering>> commits_;
};

// The gRPC API: instances by owner; responses (SubmitResponse: checked, once, counted
// into the running tallies of the project, stage and month in the same Redis script
// that completes the instance, so a response counts exactly once); scores.
class SurveyGrpc final : public v1::SurveyService::Service {
 public:
  struct Parts {
    RedisRecordStore& store;
    RedisClient& redis;
    const SurveyCatalogue& catalogue;
    Publisher& out;
    const Clock& clock;
    int max_page_size;
    // The KPI's event counts; nullptr: GetKpi is not served.
    KpiCounter* kpi = nullptr;
  };
  explicit SurveyGrpc(Parts parts)
      : parts_(parts),
        instances_(parts.store),
        responses_({parts.store, parts.redis, parts.catalogue, parts.out, parts.clock}) {}
  grpc::Status ListSurveyInstances(grpc::ServerContext*, const v1::ListSurveyInstancesRequest* req,
                                   v1::ListSurveyInstancesResponse* resp) override;
  grpc::Status GetSurveyInstance(grpc::ServerContext*, const v1::GetSurveyInstanceRequest* req,
                                 v1::GetSurveyInstanceResponse* resp) override;
  grpc::Status SubmitResponse(grpc::ServerContext*, const v1::SubmitResponseRequest* req,
                              v1::SubmitResponseResponse* resp) override;
  // The instance as this caller may see it: the link (which lets its holder answer as
  // the owner) only for callers with the agent scope.
  static v1::SurveyInstance Shown(const grpc::ServerContextBase* ctx, v1::SurveyInstance instance);
  grpc::Status GetScores(grpc::ServerContext*, const v1::GetScoresRequest* req,
                         v1::GetScoresResponse* resp) override;
  grpc::Status GetKpi(grpc::ServerContext*, const v1::GetKpiRequest* req, v1::GetKpiResponse* resp) override;

 private:
  // The tallies of `project` for `month` (YYYY-MM), every stage or one, merged.
  absl::StatusOr<Tally> TallyFor(const std::string& project, const std::string& month, const std::string& stage);
  Parts parts_;
  ProtoStore<v1::SurveyInstance> instances_;
  Responses responses_;
};

// The Redis command (a script) that completes `done` while its stored bytes are still
// `expected`, keeps `response` and adds `delta` to the tally at `tally_key`, atomically:
// it replies 1 when done, 0 when the instance changed meanwhile. SubmitResponse's
// write; the benchmark loads its million responses with it too.
std::vector<std::string> CompleteCommand(const RedisRecordStore& store, const std::string& expected,
                                         const v1::SurveyInstance& done, const v1::SurveyResponse& response,
                                         const std::string& tally_key, const Tally& delta);

// A tally as HGETALL of its hash answers it (fields that are not numbers ignored).
Tally TallyOfReply(const RedisReply& reply);

// The Redis hash of the running tally of a project, stage and month.
std::string TallyKey(const std::string& project, const std::string& stage, const std::string& month);

}  // namespace mot::survey
