#include "survey/app/survey_page.h"

#include <httplib.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/time.h"
#include "mot/common/https_server.h"
#include "mot/common/log.h"
#include "prometheus/counter.h"
#include "survey/domain/form.h"

namespace mot::survey {

std::string EscapeHtml(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

namespace {

constexpr char kStyle[] = R"css(
*{box-sizing:border-box}
body{margin:0;font:16px/1.5 -apple-system,"PingFang SC","Noto Sans CJK SC","Microsoft YaHei","WenQuanYi Micro Hei",sans-serif;
background:#f4f5f7;color:#1f2329}
main{max-width:640px;margin:0 auto;padding:16px}
header{background:#fff;border-radius:12px;padding:16px;margin-bottom:12px}
h1{font-size:20px;margin:0 0 4px}
.sub{color:#646a73;font-size:14px;margin:0}
.q{background:#fff;border-radius:12px;padding:16px;margin-bottom:12px;border:0}
.q legend{font-weight:600;padding:0;margin-bottom:10px;float:left;width:100%}
.q .n{color:#3370ff;margin-right:6px}
.opt{font-size:13px;color:#8f959e;font-weight:400}
.row{clear:both;display:grid;gap:6px;margin:6px 0}
.row label{position:relative}
.row input{position:absolute;opacity:0}
.row span{display:block;text-align:center;padding:10px 0;border:1px solid #d0d3d6;border-radius:8px;
background:#fff;min-height:44px}
.row input:checked+span{background:#3370ff;border-color:#3370ff;color:#fff}
.row input:focus-visible+span{outline:2px solid #3370ff;outline-offset:2px}
.ends{display:flex;justify-content:space-between;color:#8f959e;font-size:12px}
.part{clear:both;font-size:14px;color:#646a73;margin-top:8px}
.choice{clear:both}
.choice label{display:flex;align-items:center;gap:8px;padding:10px 0;border-bottom:1px solid #eff0f1;min-height:44px}
textarea{clear:both;display:block;width:100%;min-height:96px;font:inherit;padding:8px;border:1px solid #d0d3d6;border-radius:8px}
button{display:block;width:100%;padding:14px;font-size:17px;color:#fff;background:#3370ff;border:0;border-radius:10px}
.error{background:#fff0f0;color:#d83931;border-radius:12px;padding:12px 16px;margin:0 0 12px}
.notice{background:#fff;border-radius:12px;padding:32px 16px;text-align:center}
.notice h1{margin-bottom:8px}
)css";

std::string Document(const std::string& title, const std::string& body) {
  return absl::StrCat("<!DOCTYPE html>\n<html lang=\"zh-CN\"><head><meta charset=\"utf-8\">",
                      "<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">",
                      "<title>", EscapeHtml(title), "</title><style>", kStyle,
                      "</style></head><body><main>", body, "</main></body></html>\n");
}

std::string Notice(const std::string& title, const std::string& text) {
  return Document(title, absl::StrCat("<section class=\"notice\"><h1>", EscapeHtml(title),
                                      "</h1><p>", EscapeHtml(text), "</p></section>"));
}

// A link nobody was given, or no page at all: nothing said about any survey.
std::string UnknownLink() {
  return Notice("链接无效", "没有找到这份问卷，请核对短信或消息中的链接。");
}

// A row of buttons from `low` to `high` for the field `name`, `checked` selected.
std::string Scale(const std::string& name, int low, int high, std::optional<int> checked,
                  bool required, const std::string& low_label, const std::string& high_label) {
  // One row of up to 7 buttons; 0-10 in two rows of 6 and 5.
  const int n = high - low + 1;
  std::string out = absl::StrCat("<div class=\"row\" style=\"grid-template-columns:repeat(",
                                 n > 7 ? (n + 1) / 2 : n, ",1fr)\">");
  for (int v = low; v <= high; ++v) {
    absl::StrAppend(&out, "<label><input type=\"radio\" name=\"", EscapeHtml(name), "\" value=\"",
                    v, "\"", checked == v ? " checked" : "", required ? " required" : "", "><span>",
                    v, "</span></label>");
  }
  absl::StrAppend(&out, "</div><div class=\"ends\"><span>", low_label, "</span><span>", high_label,
                  "</span></div>");
  return out;
}

std::string LocalTime(const google::protobuf::Timestamp& t, const absl::TimeZone& zone) {
  return absl::FormatTime("%Y年%m月%d日 %H:%M", absl::FromUnixMillis(ToUnixMillis(FromProto(t))),
                          zone);
}

// The rule a question's answer broke, for the owner.
std::string Hint(const Question& q, const Answer* a) {
  if (a == nullptr || (q.kind == QuestionKind::kText && a->text.empty())) return "请作答";
  if (q.kind == QuestionKind::kServqual && (!a->expectation || !a->perception))
    return "请选择期望与实际感受两项";
  return "请在给出的选项中选择";
}

}  // namespace

SurveyWeb::SurveyWeb(Parts parts) : parts_(parts), server_(std::make_unique<httplib::Server>()) {
  server_->set_payload_max_length(parts_.max_form_bytes);
  // On every answer, the library's own (404, 413) too. The token is in the address:
  // it must not leak to another site.
  server_->set_default_headers({{"Cache-Control", "no-store"},
                                {"Referrer-Policy", "no-referrer"},
                                {"X-Content-Type-Options", "nosniff"},
                                {"Content-Security-Policy",
                                 "default-src 'none'; style-src 'unsafe-inline'; form-action "
                                 "'self'; frame-ancestors 'none'"}});
  const auto reply = [](httplib::Response& res, const Page& page) {
    if (!page.redirect.empty()) {
      res.set_redirect(page.redirect, 303);
      return;
    }
    res.status = page.status;
    res.set_content(page.html, "text/html; charset=utf-8");
  };
  const char* path = "/s/([A-Za-z0-9_-]{1,64})";
  server_->Get(path, [this, reply](const httplib::Request& req, httplib::Response& res) {
    reply(res, Show(req.matches[1]));
  });
  server_->Post(path, [this, reply](const httplib::Request& req, httplib::Response& res) {
    if (req.get_header_value("Content-Type").rfind("application/x-www-form-urlencoded", 0) != 0) {
      Count("refused");
      reply(res, {415, Notice("无法提交", "提交的内容格式不正确，请返回问卷页面重新提交。"), ""});
      return;
    }
    reply(res, Take(req.matches[1], req.params));
  });
  server_->set_error_handler([this](const httplib::Request&, httplib::Response& res) {
    if (!res.body.empty()) return;  // a page of ours (an unknown link, a closed survey ...)
    if (res.status == 404) {
      Count("unknown");
      res.set_content(UnknownLink(), "text/html; charset=utf-8");
    } else if (res.status == 413) {
      Count("refused");
      res.set_content(Notice("无法提交", "提交的内容过长，请精简后重新提交。"),
                      "text/html; charset=utf-8");
    }
  });
}

SurveyWeb::~SurveyWeb() = default;

void SurveyWeb::Count(const char* outcome) { parts_.metrics.pages.at(outcome)->Increment(); }

bool SurveyWeb::Bind(const std::string& addr) { return BindHttp(*server_, addr); }

void SurveyWeb::Run(const std::atomic<bool>& stop) { ServeHttp(*server_, stop); }

std::optional<SurveyWeb::Page> SurveyWeb::Closed(const v1::SurveyInstance& instance) {
  const auto& zone = parts_.catalogue.zone();
  switch (instance.status()) {
    case v1::SURVEY_STATUS_COMPLETED:
      return Page{
          200,
          Notice("感谢您的反馈", absl::StrCat("您已于 ", LocalTime(instance.answered_at(), zone),
                                              " 完成本次问卷，我们会认真对待您的每一条意见。")),
          ""};
    case v1::SURVEY_STATUS_SUPPRESSED:
      return Page{410, Notice("问卷已撤回", "这份问卷已撤回，无需作答。感谢您的支持！"), ""};
    default:
      break;
  }
  if (instance.status() == v1::SURVEY_STATUS_EXPIRED ||
      parts_.clock.Now() > FromProto(instance.expires_at())) {
    return Page{
        410,
        Notice("问卷已结束", absl::StrCat("这份问卷已于 ", LocalTime(instance.expires_at(), zone),
                                          " 截止，感谢您的关注。")),
        ""};
  }
  return std::nullopt;
}

SurveyWeb::Page SurveyWeb::Show(const std::string& token) {
  auto instance = parts_.responses.ByToken(token);
  if (!instance.ok()) {
    Log().warn("survey page: {}", instance.status().message());
    Count("error");
    return {503, Notice("暂时无法打开", "系统繁忙，请稍后再试。"), ""};
  }
  if (!*instance) {
    Count("unknown");
    return {404, UnknownLink(), ""};
  }
  if (auto closed = Closed(**instance)) {
    Count("closed");
    return *closed;
  }
  const SurveyDefinition* def = parts_.catalogue.Find((*instance)->survey_id());
  if (def == nullptr) {
    Count("closed");
    return {410, Notice("问卷已结束", "这份问卷已停止收集，感谢您的关注。"), ""};
  }
  Count("shown");
  return Form(*def, **instance, token, {}, "");
}

SurveyWeb::Page SurveyWeb::Take(const std::string& token,
                                const std::multimap<std::string, std::string>& fields) {
  auto instance = parts_.responses.ByToken(token);
  if (!instance.ok() || !*instance) return Show(token);
  if (Closed(**instance)) return Show(token);  // says why
  const SurveyDefinition* def = parts_.catalogue.Find((*instance)->survey_id());
  if (def == nullptr) return Show(token);
  auto answers = AnswersFromForm(def->questions, fields, parts_.max_text);
  if (!answers.ok()) {
    Count("refused");
    Log().info("survey page: a post refused: {}", answers.status().message());
    return {400, Notice("无法提交", "提交的内容无法识别，请返回问卷页面重新填写。"), ""};
  }
  for (size_t i = 0; i < def->questions.size(); ++i) {
    const Question& q = def->questions[i];
    auto it = answers->find(q.id);
    const Answer* a = it == answers->end() ? nullptr : &it->second;
    if (!Problem(q, a).empty()) {
      Count("incomplete");
      Page page = Form(*def, **instance, token, *answers,
                       absl::StrCat("第 ", i + 1, " 题「", q.text, "」：", Hint(q, a)));
      page.status = 422;
      return page;
    }
  }
  auto done = parts_.responses.Submit((*instance)->id(), AnswersToProto(*answers), "");
  if (!done.ok()) {
    if (done.status().code() == absl::StatusCode::kFailedPrecondition)
      return Show(token);  // changed meanwhile
    Log().warn("survey page: {}", done.status().message());
    Count("error");
    return {503, Notice("暂时无法提交", "系统繁忙，您的回答尚未保存，请稍后再试。"), ""};
  }
  Count("answered");
  return {303, "", "/s/" + token};
}

SurveyWeb::Page SurveyWeb::Form(const SurveyDefinition& def, const v1::SurveyInstance& instance,
                                const std::string& token,
                                const std::map<std::string, Answer>& given,
                                const std::string& error) {
  std::string body = absl::StrCat("<header><h1>", EscapeHtml(def.title), "</h1><p class=\"sub\">",
                                  "您的意见帮助我们把服务做得更好。问卷 ",
                                  LocalTime(instance.expires_at(), parts_.catalogue.zone()),
                                  " 前有效。</p></header>");
  if (!error.empty())
    absl::StrAppend(&body, "<p class=\"error\" role=\"alert\">", EscapeHtml(error), "</p>");
  absl::StrAppend(&body, "<form method=\"post\" action=\"/s/", token,
                  "\" accept-charset=\"utf-8\">");
  for (size_t i = 0; i < def.questions.size(); ++i) {
    const Question& q = def.questions[i];
    const std::string id = EscapeHtml(q.id);
    auto it = given.find(q.id);
    const Answer* a = it == given.end() ? nullptr : &it->second;
    absl::StrAppend(&body, "<fieldset class=\"q\" id=\"q-", id, "\"><legend><span class=\"n\">",
                    i + 1, ".</span>", EscapeHtml(q.text),
                    q.required ? "" : " <span class=\"opt\">（选填）</span>", "</legend>");
    switch (q.kind) {
      case QuestionKind::kNps:
        absl::StrAppend(&body, Scale(q.id, 0, 10, a ? a->score : std::nullopt, q.required,
                                     "0 完全不可能", "10 非常愿意"));
        break;
      case QuestionKind::kCsat:
        absl::StrAppend(&body, Scale(q.id, 1, 5, a ? a->score : std::nullopt, q.required,
                                     "1 非常不满意", "5 非常满意"));
        break;
      case QuestionKind::kServqual:
        absl::StrAppend(&body, "<div class=\"part\">您的期望</div>",
                        Scale(q.id + ".expectation", 1, 7, a ? a->expectation : std::nullopt,
                              q.required, "1 很低", "7 很高"),
                        "<div class=\"part\">实际感受</div>",
                        Scale(q.id + ".perception", 1, 7, a ? a->perception : std::nullopt,
                              q.required, "1 很差", "7 很好"));
        break;
      case QuestionKind::kChoice:
        absl::StrAppend(&body, "<div class=\"choice\">");
        for (const auto& option : q.options) {
          absl::StrAppend(&body, "<label><input type=\"radio\" name=\"", id, "\" value=\"",
                          EscapeHtml(option), "\"", a && a->text == option ? " checked" : "",
                          q.required ? " required" : "", ">", EscapeHtml(option), "</label>");
        }
        absl::StrAppend(&body, "</div>");
        break;
      case QuestionKind::kText:
        absl::StrAppend(&body, "<textarea name=\"", id, "\" maxlength=\"", parts_.max_text / 3,
                        "\"", q.required ? " required" : "", ">", a ? EscapeHtml(a->text) : "",
                        "</textarea>");
        break;
    }
    absl::StrAppend(&body, "</fieldset>");
  }
  absl::StrAppend(&body, "<button type=\"submit\">提交</button></form>");
  return {200, Document(def.title, body), ""};
}

}  // namespace mot::survey
