#include "survey/app/survey_records.h"

#include <map>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "survey/domain/erasure.h"
#include "survey/domain/retention.h"

namespace mot::survey {

std::string LinkKey(const std::string& token) { return "link:" + token; }

std::string LinkToken(const std::string& link) {
  if (link.empty() || link == kErased) return "";
  const auto slash = link.rfind('/');
  return slash == std::string::npos ? link : link.substr(slash + 1);
}

absl::StatusOr<std::optional<v1::SurveyInstance>> LinkedInstance(RecordStore& store,
                                                                 const std::string& token) {
  auto id = store.Get(LinkKey(token));
  if (!id.ok()) return id.status();
  if (!*id) return std::optional<v1::SurveyInstance>();
  auto instance = ProtoStore<v1::SurveyInstance>(store).Get(**id);
  if (!instance.ok() || !*instance || !IsErased(**instance)) return instance;
  return std::optional<v1::SurveyInstance>();
}

std::vector<std::pair<std::string, int64_t>> RetentionOf(const v1::SurveyInstance& instance,
                                                         std::chrono::milliseconds retention) {
  const int64_t at = ToUnixMillis(RetainedUntil(instance, retention));
  std::vector<std::pair<std::string, int64_t>> out = {{instance.id(), at},
                                                      {ResponseKey(instance.id()), at}};
  if (const std::string token = LinkToken(instance.link()); !token.empty())
    out.emplace_back(LinkKey(token), at);
  return out;
}

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

// Completes the instance (while it is still `expected`), keeps the response, sets both
// to expire at ARGV[4] (unix ms; '0': kept) and adds to the tally, atomically: 1 when
// done, 0 when the instance changed meanwhile.
constexpr char kComplete[] = R"lua(
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[2], 'KEEPTTL')
redis.call('SET', KEYS[2], ARGV[3])
if ARGV[4] ~= '0' then
  redis.call('PEXPIREAT', KEYS[1], ARGV[4])
  redis.call('PEXPIREAT', KEYS[2], ARGV[4])
end
for i = 5, #ARGV, 2 do redis.call('HINCRBY', KEYS[3], ARGV[i], ARGV[i + 1]) end
return 1
)lua";

}  // namespace

std::string ResponseKey(const std::string& instance_id) { return "response:" + instance_id; }

std::vector<std::string> CompleteCommand(const RedisRecordStore& store, const std::string& expected,
                                         const v1::SurveyInstance& done,
                                         const v1::SurveyResponse& response,
                                         const std::string& tally_key, const Tally& delta,
                                         int64_t retain_until_ms) {
  std::vector<std::string> cmd = {"EVAL",
                                  kComplete,
                                  "3",
                                  store.Key(done.id()),
                                  store.Key(ResponseKey(done.id())),
                                  tally_key,
                                  expected,
                                  done.SerializeAsString(),
                                  response.SerializeAsString(),
                                  std::to_string(retain_until_ms)};
  for (const auto& [field, n] : FieldsOf(delta)) {
    if (n == 0 && field != "responses") continue;
    cmd.push_back(field);
    cmd.push_back(std::to_string(n));
  }
  return cmd;
}

}  // namespace mot::survey
