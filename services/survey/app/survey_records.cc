#include "survey/app/survey_records.h"

#include <map>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace mot::survey {

std::string LinkKey(const std::string& token) { return "link:" + token; }

Tally TallyOfReply(const RedisReply& reply) {
  std::map<std::string, int64_t> fields;
  for (size_t i = 0; i + 1 < reply.elements.size(); i += 2) {
    int64_t v = 0;
    if (absl::SimpleAtoi(reply.elements[i + 1].str, &v)) fields[reply.elements[i].str] = v;
  }
  return TallyOf(fields);
}

std::string TallyKey(const std::string& project, const std::string& stage,
                     const std::string& month) {
  return absl::StrCat("mot:survey:tally:", project, "|", stage, "|", month);
}

namespace {

// Completes the instance (while it is still `expected`), keeps the response and adds
// to the tally, atomically: 1 when done, 0 when the instance changed meanwhile.
constexpr char kComplete[] = R"lua(
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[2], 'KEEPTTL')
redis.call('SET', KEYS[2], ARGV[3])
for i = 4, #ARGV, 2 do redis.call('HINCRBY', KEYS[3], ARGV[i], ARGV[i + 1]) end
return 1
)lua";

}  // namespace

std::string ResponseKey(const std::string& instance_id) { return "response:" + instance_id; }

std::vector<std::string> CompleteCommand(const RedisRecordStore& store, const std::string& expected,
                                         const v1::SurveyInstance& done,
                                         const v1::SurveyResponse& response,
                                         const std::string& tally_key, const Tally& delta) {
  std::vector<std::string> cmd = {"EVAL",
                                  kComplete,
                                  "3",
                                  store.Key(done.id()),
                                  store.Key(ResponseKey(done.id())),
                                  tally_key,
                                  expected,
                                  done.SerializeAsString(),
                                  response.SerializeAsString()};
  for (const auto& [field, n] : FieldsOf(delta)) {
    if (n == 0 && field != "responses") continue;
    cmd.push_back(field);
    cmd.push_back(std::to_string(n));
  }
  return cmd;
}

}  // namespace mot::survey
