#include "survey/domain/catalogue.h"

#include <algorithm>
#include <cmath>
#include <set>

#include "absl/strings/str_cat.h"
#include "mot/common/clock.h"
#include "mot/common/config.h"
#include "mot/common/ids.h"
#include "mot/common/validate.h"
#include "mot/common/yaml.h"

namespace mot::survey {

std::map<std::string, Answer> AnswersOf(const google::protobuf::Map<std::string, v1::Answer>& in) {
  std::map<std::string, Answer> out;
  for (const auto& [id, a] : in) {
    Answer x;
    if (a.has_score()) x.score = a.score();
    if (a.has_expectation()) x.expectation = a.expectation();
    if (a.has_perception()) x.perception = a.perception();
    x.text = a.text();
    out[id] = x;
  }
  return out;
}

google::protobuf::Map<std::string, v1::Answer> AnswersToProto(
    const std::map<std::string, Answer>& in) {
  google::protobuf::Map<std::string, v1::Answer> out;
  for (const auto& [id, a] : in) {
    v1::Answer& x = out[id];
    if (a.score) x.set_score(*a.score);
    if (a.expectation) x.set_expectation(*a.expectation);
    if (a.perception) x.set_perception(*a.perception);
    x.set_text(a.text);
  }
  return out;
}

namespace {

// The question kinds by their names in surveys.yaml, read both ways.
const std::map<std::string, QuestionKind>& Kinds() {
  static const std::map<std::string, QuestionKind> kinds = {{"nps", QuestionKind::kNps},
                                                            {"csat", QuestionKind::kCsat},
                                                            {"servqual", QuestionKind::kServqual},
                                                            {"choice", QuestionKind::kChoice},
                                                            {"text", QuestionKind::kText}};
  return kinds;
}

absl::StatusOr<QuestionKind> KindOf(const std::string& name) {
  auto it = Kinds().find(name);
  if (it == Kinds().end())
    return absl::InvalidArgumentError("expected one of nps, csat, servqual, choice, text");
  return it->second;
}

std::string KindName(QuestionKind kind) {
  for (const auto& [name, k] : Kinds()) {
    if (k == kind) return name;
  }
  return "text";
}

absl::StatusOr<Question> QuestionOf(const YAML::Node& n, const std::string& where) {
  if (!n.IsMap()) return Fail(where, "expected {id, kind, text, ...}");
  static const std::set<std::string> kFields = {"id",        "kind",    "text",
                                                "dimension", "options", "required"};
  for (const auto& f : n) {
    const std::string k = f.first.as<std::string>();
    if (!kFields.count(k)) return Fail(where, absl::StrCat("unknown field '", k, "'"));
  }
  if (auto s = RequireKeys(n, where, {"id", "kind", "text"}); !s.ok()) return s;
  Question q;
  q.id = n["id"].as<std::string>();
  auto kind = KindOf(n["kind"].as<std::string>());
  if (!kind.ok()) return Fail(where + ".kind", std::string(kind.status().message()));
  q.kind = *kind;
  q.text = n["text"].as<std::string>();
  q.required = q.kind != QuestionKind::kText;
  if (n["required"]) {
    const std::string r = n["required"].as<std::string>();
    if (r != "true" && r != "false") return Fail(where + ".required", "expected true or false");
    q.required = r == "true";
  }
  if (q.kind == QuestionKind::kServqual) {
    q.dimension = n["dimension"] ? n["dimension"].as<std::string>() : "";
    if (std::find(kDimensions.begin(), kDimensions.end(), q.dimension) == kDimensions.end()) {
      return Fail(where + ".dimension",
                  "expected one of tangibles, reliability, responsiveness, assurance, empathy");
    }
  } else if (n["dimension"]) {
    return Fail(where + ".dimension", "only a servqual question has one");
  }
  if (q.kind == QuestionKind::kChoice) {
    if (!n["options"] || !n["options"].IsSequence() || n["options"].size() < 2) {
      return Fail(where + ".options", "expected a list of at least two options");
    }
    for (const auto& o : n["options"]) q.options.push_back(o.as<std::string>());
  } else if (n["options"]) {
    return Fail(where + ".options", "only a choice question has them");
  }
  return q;
}

absl::StatusOr<double> Number(const YAML::Node& n, const std::string& where) {
  double v = 0;
  if (!n || !YAML::convert<double>::decode(n, v)) return Fail(where, "expected a number");
  return v;
}

// Every top-level key is a setting this catalogue knows.
absl::Status CheckSettings(const YAML::Node& root) {
  if (!root.IsMap()) return absl::InvalidArgumentError("expected a map of settings");
  for (const auto& entry : root) {
    static const std::set<std::string> kKeys = {"surveys",     "fatigue",   "detractor",
                                                "kpi_weights", "time_zone", "kpi_complaint_kinds"};
    const std::string key = entry.first.as<std::string>();
    if (!kKeys.count(key))
      return absl::InvalidArgumentError(absl::StrCat("unknown setting '", key, "'"));
  }
  return absl::OkStatus();
}

absl::Status ReadFatigue(const YAML::Node& f, FatigueRules& fatigue) {
  if (auto s = RequireKeys(f, "fatigue", {"window", "priority"}); !s.ok()) return s;
  auto window = ParseDuration(f["window"].as<std::string>());
  if (!window.ok() || window->count() <= 0)
    return Fail("fatigue.window", "expected a duration such as 30d");
  fatigue.window = *window;
  if (!f["priority"].IsSequence()) return Fail("fatigue.priority", "expected a list of families");
  fatigue.priority.clear();
  for (const auto& p : f["priority"]) fatigue.priority.push_back(p.as<std::string>());
  return absl::OkStatus();
}

absl::Status ReadDetractor(const YAML::Node& d, DetractorRule& detractor) {
  for (const char* k : {"nps_at_most", "csat_at_most", "gap_below"}) {
    if (!d[k]) continue;
    auto v = Number(d[k], absl::StrCat("detractor.", k));
    if (!v.ok()) return v.status();
    // Within the scales (NPS 0-10, CSAT 1-5), and a finite gap.
    const bool nps = std::string(k) == "nps_at_most", csat = std::string(k) == "csat_at_most";
    if (!std::isfinite(*v) || (nps && (*v < 0 || *v > 10)) || (csat && (*v < 1 || *v > 5))) {
      return Fail(absl::StrCat("detractor.", k), nps    ? "expected 0 to 10"
                                                 : csat ? "expected 1 to 5"
                                                        : "expected a finite number");
    }
    if (nps) detractor.nps_at_most = static_cast<int>(*v);
    if (csat) detractor.csat_at_most = static_cast<int>(*v);
    if (std::string(k) == "gap_below") detractor.gap_below = *v;
  }
  return absl::OkStatus();
}

absl::StatusOr<KpiWeights> KpiWeightsOf(const YAML::Node& w) {
  if (auto s =
          RequireKeys(w, "kpi_weights",
                      {"satisfaction", "repurchase", "complaint_resolution", "community_activity"});
      !s.ok()) {
    return s;
  }
  KpiWeights k;
  double* fields[] = {&k.satisfaction, &k.repurchase, &k.complaint_resolution,
                      &k.community_activity};
  const char* names[] = {"satisfaction", "repurchase", "complaint_resolution",
                         "community_activity"};
  double total = 0;
  for (int i = 0; i < 4; ++i) {
    auto v = Number(w[names[i]], absl::StrCat("kpi_weights.", names[i]));
    if (!v.ok()) return v.status();
    if (*v < 0) return Fail(absl::StrCat("kpi_weights.", names[i]), "expected 0 or more");
    *fields[i] = *v;
    total += *v;
  }
  if (std::abs(total - 100) > 1e-9) return Fail("kpi_weights", "the weights must add up to 100");
  return k;
}

absl::Status ReadComplaintKinds(const YAML::Node& kinds, std::set<std::string>& complaint_kinds) {
  if (!kinds.IsSequence() || kinds.size() == 0) {
    return Fail("kpi_complaint_kinds", "expected a list of ticket kinds");
  }
  complaint_kinds.clear();
  for (const auto& k : kinds) complaint_kinds.insert(k.as<std::string>());
  return absl::OkStatus();
}

absl::StatusOr<SurveyDefinition> SurveyOf(const std::string& id, const YAML::Node& n) {
  SurveyDefinition d;
  d.id = id;
  const std::string where = absl::StrCat("survey '", d.id, "'");
  if (auto s = RequireKeys(n, where, {"stage", "family", "title", "valid_for", "questions"});
      !s.ok()) {
    return s;
  }
  d.stage = n["stage"].as<std::string>();
  d.family = n["family"].as<std::string>();
  d.title = n["title"].as<std::string>();
  auto valid = ParseDuration(n["valid_for"].as<std::string>());
  if (!valid.ok()) return Fail(where, absl::StrCat("valid_for: ", valid.status().message()));
  d.valid_for = *valid;
  if (!n["questions"].IsSequence() || n["questions"].size() == 0)
    return Fail(where, "no questions");
  std::set<std::string> ids;
  int i = 0;
  for (const auto& qn : n["questions"]) {
    auto q = QuestionOf(qn, absl::StrCat(where, ": questions[", i++, "]"));
    if (!q.ok()) return q.status();
    if (!ids.insert(q->id).second)
      return Fail(where, absl::StrCat("question id '", q->id, "' twice"));
    d.questions.push_back(*std::move(q));
  }
  return d;
}

}  // namespace

absl::StatusOr<SurveyCatalogue> SurveyCatalogue::FromYaml(const std::string& yaml) {
  return GuardYaml([&]() -> absl::StatusOr<SurveyCatalogue> {
    SurveyCatalogue catalogue;
    auto root = ParseYaml(yaml);
    if (!root.ok()) return root.status();
    if (auto s = CheckSettings(*root); !s.ok()) return s;
    const std::string zone =
        (*root)["time_zone"] ? (*root)["time_zone"].as<std::string>() : "Asia/Shanghai";
    if (!absl::LoadTimeZone(zone, &catalogue.zone_)) {
      return Fail("time_zone", absl::StrCat("unknown zone '", zone, "'"));
    }
    if (const YAML::Node f = (*root)["fatigue"]) {
      if (auto s = ReadFatigue(f, catalogue.fatigue_); !s.ok()) return s;
    }
    if (const YAML::Node d = (*root)["detractor"]) {
      if (auto s = ReadDetractor(d, catalogue.detractor_); !s.ok()) return s;
    }
    if (const YAML::Node w = (*root)["kpi_weights"]) {
      auto k = KpiWeightsOf(w);
      if (!k.ok()) return k.status();
      catalogue.kpi_ = *k;
    }
    if (const YAML::Node kinds = (*root)["kpi_complaint_kinds"]) {
      if (auto s = ReadComplaintKinds(kinds, catalogue.complaint_kinds_); !s.ok()) return s;
    }
    auto surveys = YamlSection(yaml, "surveys", "a map of each survey id to its definition");
    if (!surveys.ok()) return surveys.status();
    for (const auto& entry : *surveys) {
      auto d = SurveyOf(entry.first.as<std::string>(), entry.second);
      if (!d.ok()) return d.status();
      const std::string id = d->id;
      catalogue.surveys_[id] = *std::move(d);
    }
    return catalogue;
  });
}

std::set<std::string> SurveyCatalogue::Stages() const {
  std::set<std::string> out;
  for (const auto& [_, d] : surveys_) out.insert(d.stage);
  return out;
}

std::string MonthOf(TimePoint t, const absl::TimeZone& zone) {
  return absl::FormatTime("%Y-%m", absl::FromUnixMillis(ToUnixMillis(t)), zone);
}

const SurveyDefinition* SurveyCatalogue::Find(const std::string& id) const {
  auto it = surveys_.find(id);
  return it == surveys_.end() ? nullptr : &it->second;
}

std::string SurveyCatalogue::IdList() const {
  std::string out;
  for (const auto& [id, _] : surveys_) absl::StrAppend(&out, out.empty() ? "" : ", ", id);
  return out;
}

absl::StatusOr<v1::SurveyInstance> CreateInstance(const SurveyCatalogue& catalogue,
                                                  const v1::CreateSurveyCommand& cmd,
                                                  TimePoint now) {
  if (auto s = RequireFields({{"command_id", &cmd.command_id()},
                              {"customer_id", &cmd.customer_id()},
                              {"survey_id", &cmd.survey_id()}});
      !s.ok()) {
    return s;
  }
  if (!cmd.has_requested_at()) return absl::InvalidArgumentError("requested_at is required");
  const SurveyDefinition* def = catalogue.Find(cmd.survey_id());
  if (def == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat("survey_id is unknown; known: ", catalogue.IdList()));
  }
  v1::SurveyInstance s;
  s.set_id(DeterministicId("sv", {cmd.command_id()}));
  s.set_survey_id(def->id);
  s.set_customer_id(cmd.customer_id());
  // A stage survey measures its stage; a repair or delivery survey the owner's, when the
  // scheduler knows it (else the catalogue's).
  const bool owners = def->family != "stage" && catalogue.Stages().count(cmd.owner_stage()) > 0;
  s.set_stage(owners ? cmd.owner_stage() : def->stage);
  s.set_title(def->title);
  s.set_status(v1::SURVEY_STATUS_OPEN);
  s.set_touchpoint_id(cmd.touchpoint_id());
  s.set_project_id(cmd.project_id());
  *s.mutable_requested_at() = cmd.requested_at();
  s.set_unit_id(cmd.unit_id());
  const TimePoint created = std::max(now, FromProto(cmd.requested_at()));
  *s.mutable_created_at() = ToProto(created);
  *s.mutable_expires_at() = ToProto(created + def->valid_for);
  for (const auto& q : def->questions) s.add_questions(q.text);
  return s;
}

v1::SurveyQuestion QuestionToProto(const Question& q) {
  v1::SurveyQuestion out;
  out.set_id(q.id);
  out.set_kind(KindName(q.kind));
  out.set_text(q.text);
  out.set_dimension(q.dimension);
  for (const auto& o : q.options) out.add_options(o);
  out.set_required(q.required);
  return out;
}

}  // namespace mot::survey
