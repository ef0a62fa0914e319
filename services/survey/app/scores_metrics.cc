#include "survey/app/scores_metrics.h"

#include <algorithm>

#include "mot/common/log.h"
#include "prometheus/metric_family.h"
#include "survey/app/survey_records.h"

namespace mot::survey {
namespace {

prometheus::MetricFamily Family(const std::string& name, const std::string& help) {
  prometheus::MetricFamily f;
  f.name = name;
  f.help = help;
  f.type = prometheus::MetricType::Gauge;
  return f;
}

void Add(prometheus::MetricFamily& f, std::vector<prometheus::ClientMetric::Label> labels,
         double v) {
  prometheus::ClientMetric m;
  m.label = std::move(labels);
  m.gauge.value = v;
  f.metric.push_back(std::move(m));
}

}  // namespace

std::vector<prometheus::MetricFamily> ScoresMetrics::Collect() const {
  auto responses =
      Family("mot_survey_responses",
             "Survey responses this month (the catalogue's zone), by project and stage.");
  auto csat_mean =
      Family("mot_survey_csat_mean", "Mean CSAT answer (1-5) this month, by project and stage.");
  auto satisfied = Family("mot_survey_csat_satisfied_ratio",
                          "Share of CSAT answers 4 or 5 this month (0-1), by project and stage.");
  auto nps =
      Family("mot_survey_nps",
             "NPS this month (% promoters - % detractors, -100..100), by project and stage.");
  auto gap = Family(
      "mot_survey_servqual_gap",
      "SERVQUAL gap (mean perception - mean expectation, 1-7 scale) this month, by project, stage "
      "and dimension.");
  auto kpi = Family("mot_survey_kpi",
                    "The team KPI this month (0-100, surveys.yaml kpi_weights), by project.");
  auto input =
      Family("mot_survey_kpi_input",
             "The KPI's inputs this month (0-100): satisfaction, repurchase, complaint_resolution, "
             "community_activity, by project.");
  auto out = [&] {
    return std::vector<prometheus::MetricFamily>{responses, csat_mean, satisfied, nps,
                                                 gap,       kpi,       input};
  };
  auto projects =
      redis_.Command({"ZREVRANGE", ProjectsKey(), "0", std::to_string(max_projects_ - 1)});
  if (!projects.ok()) {
    Log().warn("survey metrics: {}", projects.status().message());
    return out();
  }
  const std::string month = MonthOf(clock_.Now(), catalogue_.zone());
  const auto stages = catalogue_.Stages();
  std::vector<std::string> names;
  for (const auto& e : projects->elements) names.push_back(e.str);
  std::sort(names.begin(), names.end());
  std::vector<std::vector<std::string>> cmds;
  for (const auto& p : names) {
    for (const auto& s : stages) cmds.push_back({"HGETALL", TallyKey(p, s, month)});
  }
  auto tallies = redis_.Pipeline(cmds);
  if (!tallies.ok()) {
    Log().warn("survey metrics: {}", tallies.status().message());
    return out();
  }
  auto counts = kpi_.CountsOfAll(names, month);
  if (!counts.ok()) Log().warn("survey metrics: {}", counts.status().message());
  size_t at = 0;
  for (size_t k = 0; k < names.size(); ++k) {
    const std::string& p = names[k];
    Tally all;
    for (const auto& s : stages) {
      const Tally t = TallyOfReply((*tallies)[at++]);
      all.Merge(t);
      if (t.responses == 0) continue;
      const Scores sc = ScoresOf(t);
      Add(responses, {{"project", p}, {"stage", s}}, static_cast<double>(sc.responses));
      if (sc.csat_mean) Add(csat_mean, {{"project", p}, {"stage", s}}, *sc.csat_mean);
      if (sc.csat_satisfied)
        Add(satisfied, {{"project", p}, {"stage", s}}, *sc.csat_satisfied / 100);
      if (sc.nps) Add(nps, {{"project", p}, {"stage", s}}, *sc.nps);
      for (const auto& [d, g] : sc.gap)
        Add(gap, {{"project", p}, {"stage", s}, {"dimension", d}}, g);
    }
    if (!counts.ok()) continue;
    const KpiInputs in = KpiInputsOf((*counts)[k], ScoresOf(all).csat_satisfied);
    if (auto k = Kpi(catalogue_.kpi_weights(), in)) Add(kpi, {{"project", p}}, *k);
    const std::pair<const char*, std::optional<double>> inputs[] = {
        {"satisfaction", in.satisfaction},
        {"repurchase", in.repurchase},
        {"complaint_resolution", in.complaint_resolution},
        {"community_activity", in.community_activity}};
    for (const auto& [name, v] : inputs) {
      if (v) Add(input, {{"project", p}, {"input", name}}, *v);
    }
  }
  return out();
}

}  // namespace mot::survey
