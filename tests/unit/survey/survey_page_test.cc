// The survey page escapes what it prints.
#include "survey/app/survey_page.h"

#include "gtest/gtest.h"

namespace mot::survey {
namespace {

TEST(SurveyForm, ThePageEscapesWhatItPrints) {
  EXPECT_EQ(EscapeHtml(R"(<script>alert("x")</script> & 'y')"),
            "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;y&#39;");
  EXPECT_EQ(EscapeHtml("漏水 3 处"), "漏水 3 处");
}

}  // namespace
}  // namespace mot::survey
