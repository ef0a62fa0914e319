#include "survey/domain/scores.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace mot::survey {
namespace {

absl::Status Bad(const Question& q, const std::string& rule) {
  return absl::InvalidArgumentError(absl::StrCat("answers.", q.id, ": ", rule));
}

bool Within(const std::optional<int>& v, int low, int high) { return v && *v >= low && *v <= high; }

}  // namespace

std::string Problem(const Question& q, const Answer* a) {
  if (a == nullptr) return q.required ? "an answer is required" : "";
  switch (q.kind) {
    case QuestionKind::kNps:
      if (!Within(a->score, 0, 10)) return "expected a score from 0 to 10";
      break;
    case QuestionKind::kCsat:
      if (!Within(a->score, 1, 5)) return "expected a score from 1 to 5";
      break;
    case QuestionKind::kServqual:
      if (!Within(a->expectation, 1, 7) || !Within(a->perception, 1, 7)) {
        return "expected an expectation and a perception, each from 1 to 7";
      }
      break;
    case QuestionKind::kChoice:
      if (std::find(q.options.begin(), q.options.end(), a->text) == q.options.end()) {
        return "expected one of the question's options";
      }
      break;
    case QuestionKind::kText:
      if (q.required && a->text.empty()) return "an answer is required";
      break;
  }
  return "";
}

absl::Status Validate(const std::vector<Question>& questions,
                      const std::map<std::string, Answer>& answers) {
  for (const auto& [id, _] : answers) {
    if (std::none_of(questions.begin(), questions.end(),
                     [&](const Question& q) { return q.id == id; })) {
      // The key is the caller's: not echoed (it could hold anything).
      return absl::InvalidArgumentError("answers: a key is not a question of the survey");
    }
  }
  for (const auto& q : questions) {
    auto it = answers.find(q.id);
    if (auto rule = Problem(q, it == answers.end() ? nullptr : &it->second); !rule.empty())
      return Bad(q, rule);
  }
  return absl::OkStatus();
}

void Tally::Add(const std::vector<Question>& questions,
                const std::map<std::string, Answer>& answers) {
  ++responses;
  for (const auto& q : questions) {
    auto it = answers.find(q.id);
    if (it == answers.end()) continue;
    const Answer& a = it->second;
    if (q.kind == QuestionKind::kCsat && a.score) {
      ++csat_answers;
      csat_sum += *a.score;
      csat_satisfied += *a.score >= 4;
    } else if (q.kind == QuestionKind::kNps && a.score) {
      ++nps_answers;
      promoters += *a.score >= 9;
      detractors += *a.score <= 6;
    } else if (q.kind == QuestionKind::kServqual && a.expectation && a.perception) {
      Pairs& p = servqual[q.dimension];
      ++p.n;
      p.expectation_sum += *a.expectation;
      p.perception_sum += *a.perception;
    }
  }
}

void Tally::Merge(const Tally& o) {
  responses += o.responses;
  csat_answers += o.csat_answers;
  csat_sum += o.csat_sum;
  csat_satisfied += o.csat_satisfied;
  nps_answers += o.nps_answers;
  promoters += o.promoters;
  detractors += o.detractors;
  for (const auto& [d, p] : o.servqual) {
    Pairs& mine = servqual[d];
    mine.n += p.n;
    mine.expectation_sum += p.expectation_sum;
    mine.perception_sum += p.perception_sum;
  }
}

std::vector<std::pair<std::string, int64_t>> FieldsOf(const Tally& t) {
  std::vector<std::pair<std::string, int64_t>> out = {
      {"responses", t.responses},     {"csat_answers", t.csat_answers},
      {"csat_sum", t.csat_sum},       {"csat_satisfied", t.csat_satisfied},
      {"nps_answers", t.nps_answers}, {"promoters", t.promoters},
      {"detractors", t.detractors}};
  for (const auto& [d, p] : t.servqual) {
    out.emplace_back("sq:" + d + ":n", p.n);
    out.emplace_back("sq:" + d + ":e", p.expectation_sum);
    out.emplace_back("sq:" + d + ":p", p.perception_sum);
  }
  return out;
}

Tally TallyOf(const std::map<std::string, int64_t>& f) {
  Tally t;
  auto get = [&](const std::string& k) {
    auto it = f.find(k);
    return it == f.end() ? int64_t{0} : it->second;
  };
  t.responses = get("responses");
  t.csat_answers = get("csat_answers");
  t.csat_sum = get("csat_sum");
  t.csat_satisfied = get("csat_satisfied");
  t.nps_answers = get("nps_answers");
  t.promoters = get("promoters");
  t.detractors = get("detractors");
  for (const auto& [k, v] : f) {
    if (k.rfind("sq:", 0) != 0 || k.size() < 6) continue;
    const std::string dimension = k.substr(3, k.size() - 5);
    Tally::Pairs& p = t.servqual[dimension];
    switch (k.back()) {
      case 'n':
        p.n = v;
        break;
      case 'e':
        p.expectation_sum = v;
        break;
      case 'p':
        p.perception_sum = v;
        break;
    }
  }
  return t;
}

Scores ScoresOf(const Tally& t) {
  Scores s;
  s.responses = t.responses;
  if (t.csat_answers > 0) {
    s.csat_mean = static_cast<double>(t.csat_sum) / t.csat_answers;
    s.csat_satisfied = 100.0 * t.csat_satisfied / t.csat_answers;
  }
  if (t.nps_answers > 0) s.nps = 100.0 * (t.promoters - t.detractors) / t.nps_answers;
  double sum = 0;
  for (const auto& [d, p] : t.servqual) {
    if (p.n == 0) continue;
    s.gap[d] = static_cast<double>(p.perception_sum - p.expectation_sum) / p.n;
    sum += s.gap[d];
  }
  if (!s.gap.empty()) s.overall_gap = sum / s.gap.size();
  return s;
}

std::vector<std::string> DetractorReasons(const DetractorRule& rule,
                                          const std::vector<Question>& questions,
                                          const std::map<std::string, Answer>& answers) {
  std::vector<std::string> out;
  Tally mine;
  for (const auto& q : questions) {
    auto it = answers.find(q.id);
    if (it == answers.end() || !it->second.score) continue;
    const int v = *it->second.score;
    if (q.kind == QuestionKind::kNps && v <= rule.nps_at_most) out.push_back("nps:" + q.id);
    if (q.kind == QuestionKind::kCsat && v <= rule.csat_at_most) out.push_back("csat:" + q.id);
  }
  mine.Add(questions, answers);
  for (const auto& [dimension, gap] : ScoresOf(mine).gap) {
    if (gap < rule.gap_below) out.push_back("gap:" + dimension);
  }
  return out;
}

size_t FatigueRules::Rank(const std::string& family) const {
  auto it = std::find(priority.begin(), priority.end(), family);
  return static_cast<size_t>(it - priority.begin());  // not listed: priority.size()
}

FatigueVerdict Fatigue(const FatigueRules& rules, const std::vector<Issued>& sent,
                       const std::string& family, TimePoint now) {
  FatigueVerdict v;
  const size_t rank = rules.Rank(family);
  const Issued* blocker = nullptr;
  for (const auto& s : sent) {
    if (s.at > now || now - s.at >= rules.window) continue;  // outside the window
    if (s.open && rank < rules.Rank(s.family)) {
      v.withdraw.push_back(s.instance_id);
    } else if (blocker == nullptr) {
      blocker = &s;
    }
  }
  if (blocker != nullptr) {
    v.issue = false;
    v.withdraw.clear();
    v.reason = absl::StrCat("fatigue: ", blocker->family, " survey ", blocker->instance_id,
                            " was sent within the window");
  }
  return v;
}

std::optional<double> Kpi(const KpiWeights& w, const KpiInputs& in) {
  double sum = 0, weights = 0;
  for (const auto& [weight, value] :
       {std::pair{w.satisfaction, in.satisfaction}, std::pair{w.repurchase, in.repurchase},
        std::pair{w.complaint_resolution, in.complaint_resolution},
        std::pair{w.community_activity, in.community_activity}}) {
    if (!value) continue;
    sum += weight * *value;
    weights += weight;
  }
  if (weights <= 0) return std::nullopt;
  return sum / weights;
}

}  // namespace mot::survey
