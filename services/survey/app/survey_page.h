#pragma once

#include <atomic>
#include <map>
#include <memory>
#include <string>

#include "mot/common/clock.h"
#include "survey/app/metrics.h"
#include "survey/app/responses.h"
#include "survey/domain/catalogue.h"

namespace httplib {
class Server;
}

namespace mot::survey {

// The survey's web page (zh-CN, for a phone): GET /s/<token> shows the survey the
// link opens, or says plainly that it expired, was answered or was withdrawn;
// POST /s/<token> takes the form (application/x-www-form-urlencoded) through
// Responses::Submit and answers with a redirect to the page (which then thanks the
// owner), or the form again with what is missing. The token is the authorisation: an
// unknown one is a 404 that says nothing about any survey.
class SurveyWeb {
 public:
  struct Parts {
    Responses& responses;
    const SurveyCatalogue& catalogue;
    const Clock& clock;
    SurveyMetrics& metrics;
    size_t max_form_bytes;  // a larger post is refused (413)
    size_t max_text;        // a text answer's longest, in bytes
  };
  explicit SurveyWeb(Parts parts);
  ~SurveyWeb();
  // Binds `addr` ("host:port"); false when it cannot.
  bool Bind(const std::string& addr);
  // Serves until `stop`.
  void Run(const std::atomic<bool>& stop);

 private:
  struct Page {
    int status = 200;
    std::string html;
    std::string redirect;  // a 303 to this instead
  };
  Page Show(const std::string& token);
  Page Take(const std::string& token, const std::multimap<std::string, std::string>& fields);
  Page Form(const SurveyDefinition& def, const v1::SurveyInstance& instance,
            const std::string& token, const std::map<std::string, Answer>& given,
            const std::string& error);
  // The page for an instance that takes no answer (nullopt: it does).
  std::optional<Page> Closed(const v1::SurveyInstance& instance);
  void Count(const char* outcome);

  Parts parts_;
  std::unique_ptr<httplib::Server> server_;
};

// Text made safe inside HTML (element content and quoted attribute values).
std::string EscapeHtml(const std::string& text);

}  // namespace mot::survey
