#pragma once

#include <array>
#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "mot/common/clock.h"

namespace mot::survey {

// The kinds of question a survey asks (deploy/config/surveys.yaml).
enum class QuestionKind {
  kNps,       // 0-10: how likely to recommend us
  kCsat,      // 1-5: how satisfied
  kServqual,  // a pair, 1-7 each: what the owner expected and what they perceived
  kChoice,    // one of the question's options
  kText,      // free text
};

// The five SERVQUAL dimensions (PZB): quality = perception - expectation on each.
inline constexpr std::array<const char*, 5> kDimensions = {
    "tangibles", "reliability", "responsiveness", "assurance", "empathy"};

struct Question {
  std::string id;
  QuestionKind kind = QuestionKind::kCsat;
  std::string text;                  // zh-CN
  std::string dimension;             // kServqual: one of kDimensions
  std::vector<std::string> options;  // kChoice
  bool required = true;
};

// One answer: a score (nps, csat), a pair (servqual), an option (choice) or text.
struct Answer {
  std::optional<int> score;
  std::optional<int> expectation, perception;
  std::string text;  // kChoice: the option; kText: the text
};

// What is wrong with the answer to `q` (nullptr: none given), as the rule it breaks;
// empty when it is fine.
std::string Problem(const Question& q, const Answer* a);

// Every answer checked against its question: range, type, required. InvalidArgument
// naming the question ("answers.q2: ...") and the rule, never the value given.
absl::Status Validate(const std::vector<Question>& questions,
                      const std::map<std::string, Answer>& answers);

// Running totals of responses, from which every score is computed without a rescan;
// what is kept per project, stage and month.
struct Tally {
  int64_t responses = 0;
  int64_t csat_answers = 0, csat_sum = 0, csat_satisfied = 0;  // satisfied: 4 or 5
  int64_t nps_answers = 0, promoters = 0, detractors = 0;      // 9-10, 0-6
  // Per SERVQUAL dimension: complete pairs, and the sums of expectation and perception.
  struct Pairs {
    int64_t n = 0, expectation_sum = 0, perception_sum = 0;
  };
  std::map<std::string, Pairs> servqual;

  // Adds one (valid) response.
  void Add(const std::vector<Question>& questions, const std::map<std::string, Answer>& answers);
  // Adds another tally (months into a quarter, stages into a project).
  void Merge(const Tally& other);
};

// A tally as hash fields (responses, csat_answers ... sq:<dimension>:n|e|p), for
// HINCRBY, and back.
std::vector<std::pair<std::string, int64_t>> FieldsOf(const Tally& tally);
Tally TallyOf(const std::map<std::string, int64_t>& fields);

// What a tally says. Absent where there is nothing to say (no answer of that kind).
struct Scores {
  int64_t responses = 0;
  std::optional<double> csat_mean;       // 1-5
  std::optional<double> csat_satisfied;  // share answering 4 or 5, 0-100
  std::optional<double> nps;             // % promoters - % detractors, -100..100
  std::map<std::string, double> gap;     // per dimension: mean perception - mean expectation
  std::optional<double> overall_gap;     // the mean of the dimensions' gaps
};
Scores ScoresOf(const Tally& tally);

// Why a response is a detractor's: empty when it is not. NPS at most `nps_at_most`, a
// CSAT answer at most `csat_at_most`, or a dimension's gap (the response's mean
// perception - expectation) below `gap_below`.
struct DetractorRule {
  int nps_at_most = 6;
  int csat_at_most = 2;
  double gap_below = -2;
};
std::vector<std::string> DetractorReasons(const DetractorRule& rule,
                                          const std::vector<Question>& questions,
                                          const std::map<std::string, Answer>& answers);

// Survey fatigue: at most one survey per owner within `window`; when two compete, the
// family earlier in `priority` wins.
struct FatigueRules {
  std::chrono::milliseconds window = std::chrono::hours(24 * 30);
  std::vector<std::string> priority = {"repair", "delivery", "stage"};
  // The rank of a family (0 first); families not listed rank after all listed.
  size_t Rank(const std::string& family) const;
};

// A survey the owner was sent.
struct Issued {
  std::string instance_id;
  std::string family;
  TimePoint at;
  bool open = false;  // not answered and not expired: it may still be withdrawn
};

struct FatigueVerdict {
  bool issue = true;
  // Open surveys of lower priority within the window, withdrawn for this one.
  std::vector<std::string> withdraw;
  // Not issued: why (the survey that has the window), for the record.
  std::string reason;
};

// Whether a survey of `family` may go to an owner at `now`, given what they were sent.
// Within the window of another survey: a higher-priority family replaces open ones of
// lower priority (withdrawn); otherwise the new one is suppressed.
FatigueVerdict Fatigue(const FatigueRules& rules, const std::vector<Issued>& sent,
                       const std::string& family, TimePoint now);

// The team KPI (DOMAIN.md section 6): a weighted sum of shares, each 0-100.
struct KpiWeights {
  double satisfaction = 40, repurchase = 20, complaint_resolution = 20, community_activity = 20;
};
struct KpiInputs {
  std::optional<double> satisfaction;          // CSAT satisfied share, 0-100
  std::optional<double> repurchase;            // owners who bought again, 0-100
  std::optional<double> complaint_resolution;  // complaints resolved, 0-100
  std::optional<double> community_activity;    // owners active in the community, 0-100
};
// The weighted score, 0-100, over the inputs present (their weights rescaled to 100);
// absent when none is.
std::optional<double> Kpi(const KpiWeights& weights, const KpiInputs& inputs);

}  // namespace mot::survey
