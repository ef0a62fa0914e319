#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "mot/common/record_store.h"
#include "mot/common/redis.h"
#include "mot/survey/v1/survey.pb.h"
#include "survey/domain/scores.h"

namespace mot::survey {

// What the survey keeps in Redis beside its instances: the links, the responses and
// the running tallies, and the script that completes an instance.

// The record that maps a link's token to its instance.
std::string LinkKey(const std::string& token);

// The token of an instance's link (what follows its last '/'); "" for none.
std::string LinkToken(const std::string& link);

// The instance a link's token opens; nullopt for a token nobody was given, or whose
// owner was forgotten (erased: the link answers as one nobody was given).
absl::StatusOr<std::optional<v1::SurveyInstance>> LinkedInstance(RecordStore& store,
                                                                 const std::string& token);

// The record that keeps an answered instance's response.
std::string ResponseKey(const std::string& instance_id);

// When the store deletes the instance's records (its own, its response's and its
// link's), as RecordStore::ExpireAt takes them: RetainedUntil(instance, retention).
std::vector<std::pair<std::string, int64_t>> RetentionOf(const v1::SurveyInstance& instance,
                                                         std::chrono::milliseconds retention);

// The Redis command (a script) that completes `done` while its stored bytes are still
// `expected`, keeps `response` and adds `delta` to the tally at `tally_key`, atomically:
// it replies 1 when done, 0 when the instance changed meanwhile. The instance and the
// response expire at `retain_until_ms` (unix ms; 0: kept). SubmitResponse's write; the
// benchmark loads its million responses with it too.
std::vector<std::string> CompleteCommand(const RedisRecordStore& store, const std::string& expected,
                                         const v1::SurveyInstance& done,
                                         const v1::SurveyResponse& response,
                                         const std::string& tally_key, const Tally& delta,
                                         int64_t retain_until_ms = 0);

// A tally as HGETALL of its hash answers it (fields that are not numbers ignored).
Tally TallyOfReply(const RedisReply& reply);

// The Redis hash of the running tally of a project, stage and month.
std::string TallyKey(const std::string& project, const std::string& stage,
                     const std::string& month);

}  // namespace mot::survey
