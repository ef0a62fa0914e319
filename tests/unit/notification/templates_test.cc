// Templates: loading (what is refused and why) and an email's subject.
#include "notification/domain/templates.h"

#include <map>
#include <string>

#include "gtest/gtest.h"

namespace mot::notification {
namespace {

// Malformed text anywhere in a template, or in its subject, stops the load: fmt stops
// at the first placeholder, so the rest went unchecked until every send failed (found
// by fuzz_templates).
TEST(TemplateSet, MalformedTextOrSubjectIsRefusedAtLoad) {
  auto after =
      TemplateSet::FromYaml("templates: {t: {channel: sms, text: \"恭喜您于{event_date}收房{\"}}");
  ASSERT_FALSE(after.ok());
  EXPECT_EQ(std::string(after.status().message()).rfind("template 't': malformed text: ", 0), 0u)
      << after.status();
  auto subject = TemplateSet::FromYaml(
      "templates: {t: {channel: email, text: \"{survey_title}\", subject: \"{survey_title\"}}");
  ASSERT_FALSE(subject.ok());
  EXPECT_EQ(std::string(subject.status().message()).rfind("template 't': malformed subject: ", 0),
            0u)
      << subject.status();
  EXPECT_TRUE(
      TemplateSet::FromYaml("templates: {t: {channel: sms, text: \"{{literal}} {a} and {b:>3}\"}}")
          .ok());
  // Placeholders by position (found by fuzz_templates: "{1}" made fmt assert and
  // terminate the service at load).
  for (const char* text : {"{1} after {event_date}", "{} and {event_date}", "{1x}", "{a-b}"}) {
    auto positional = TemplateSet::FromYaml(std::string("templates: {t: {channel: sms, text: \"") +
                                            text + "\"}}");
    ASSERT_FALSE(positional.ok()) << text;
    EXPECT_NE(std::string(positional.status().message()).find(": expected a variable's name"),
              std::string::npos)
        << positional.status();
  }
}

TEST(TemplateSet, AnEmailSubjectIsTheTemplatesOrTheFirstSentence) {
  auto set = TemplateSet::FromYaml(
      "templates:\n"
      "  a: {channel: email, text: '您好，{p}项目已交付！请查收。', subject: '{p}交付通知'}\n"
      "  b: {channel: email, text: '您好，{p}项目已交付！请查收。'}\n"
      "  c: {channel: email, text: "
      "'一二三四五六七八九十一二三四五六七八九十一二三四五六七八九十一二三四五六七八九十一二三'}"
      "\n");
  ASSERT_TRUE(set.ok()) << set.status();
  const std::map<std::string, std::string> vars = {{"p", "P-1"}};
  auto subject = [&](const char* id) {
    const Template& t = *set->Find(id);
    return *Subject(t, *Render(t, vars), vars);
  };
  EXPECT_EQ(subject("a"), "P-1交付通知");
  EXPECT_EQ(subject("b"), "您好，P-1项目已交付！");
  EXPECT_EQ(subject("c"),
            "一二三四五六七八九十一二三四五六七八九十一二三四五六七八九十一二三四五六七八九十")
      << "at most 40 characters, cut between characters";
  EXPECT_EQ(
      TemplateSet::FromYaml("templates: {t: {channel: sms, text: x, sms: y}}").status().message(),
      "template 't': unknown field 'sms'");
}

TEST(TemplateSet, RejectsMalformedText) {
  auto s = TemplateSet::FromYaml("templates: {t: {channel: wecom, text: 'hello {'}}").status();
  EXPECT_TRUE(absl::IsInvalidArgument(s));
  EXPECT_NE(std::string(s.message()).find("template 't'"), std::string::npos);
}

}  // namespace
}  // namespace mot::notification
