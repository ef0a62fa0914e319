#pragma once

#include <chrono>
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
  // How long an owner's instance, response and link are kept after the instance was
  // answered, withdrawn or expired (then Redis deletes them; the scores stay): 5 years.
  std::chrono::milliseconds retention{};  // MOT_SURVEY_RETENTION
  // The most instances of one owner that forgetting the owner and ExportCustomer cover
  // (an owner is sent a few dozen in a lifetime).
  int owner_surveys_max = 1000;  // MOT_SURVEY_OWNER_SURVEYS_MAX

  // Throws ConfigError naming the variable that is wrong.
  static SurveyConfig FromEnv(const Env& env);
};

}  // namespace mot::survey
