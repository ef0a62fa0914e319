#include "survey/config.h"

#include "absl/strings/str_cat.h"

namespace mot::survey {

SurveyConfig SurveyConfig::FromEnv(const Env& env) {
  SurveyConfig c;
  c.common = CommonConfig::FromEnv(env);
  c.catalogue = ConfigFile<SurveyCatalogue>(env, "MOT_SURVEYS", SurveyCatalogue::FromYaml);
  c.max_page_size = env.Int("MOT_LIST_PAGE_SIZE_MAX", 100, 1, 10000);
  c.link_base = env.HttpUrl("MOT_SURVEY_LINK_BASE");
  while (!c.link_base.empty() && c.link_base.back() == '/') c.link_base.pop_back();
  c.http_addr = env.Optional("MOT_SURVEY_HTTP_ADDR", "0.0.0.0:8080");
  c.max_form_bytes = env.Int("MOT_SURVEY_FORM_MAX_BYTES", 64 * 1024, 1024, 16 * 1024 * 1024);
  c.max_text = env.Int("MOT_SURVEY_TEXT_MAX_BYTES", 6000, 30, 1024 * 1024);
  c.metrics_projects = env.Int("MOT_SURVEY_METRICS_PROJECTS_MAX", 500, 1, 100000);
  c.retention = env.Duration("MOT_SURVEY_RETENTION", "5y");
  if (c.retention <= std::chrono::milliseconds::zero() ||
      c.retention > std::chrono::hours(24 * 365 * 100)) {
    throw ConfigError(absl::StrCat("MOT_SURVEY_RETENTION='",
                                   env.Optional("MOT_SURVEY_RETENTION", ""),
                                   "' is invalid; expected a duration from 1ms to 100y, e.g. 5y"));
  }
  c.owner_surveys_max = env.Int("MOT_SURVEY_OWNER_SURVEYS_MAX", 1000, 1, 100000);
  return c;
}

}  // namespace mot::survey
