#pragma once

#include <cstddef>
#include <string>

#include "mot/common/config.h"
#include "survey/domain/catalogue.h"

namespace mot::survey {

// Every MOT_* the survey service reads (the common ones in `common`).
struct SurveyConfig {
  CommonConfig common;
  SurveyCatalogue catalogue;  // MOT_SURVEYS
  int max_page_size = 100;    // MOT_LIST_PAGE_SIZE_MAX
  // Where owners open their survey links (the web page's public address, e.g. the
  // ingress; no trailing '/'), and where the page listens.
  std::string link_base;       // MOT_SURVEY_LINK_BASE
  std::string http_addr;       // MOT_SURVEY_HTTP_ADDR
  size_t max_form_bytes = 0;   // MOT_SURVEY_FORM_MAX_BYTES
  size_t max_text = 0;         // MOT_SURVEY_TEXT_MAX_BYTES
  int metrics_projects = 500;  // MOT_SURVEY_METRICS_PROJECTS_MAX

  // Throws ConfigError naming the variable that is wrong.
  static SurveyConfig FromEnv(const Env& env);
};

}  // namespace mot::survey
