#include "survey/app/responses.h"

#include "absl/strings/str_cat.h"
#include "mot/common/clock.h"
#include "mot/common/log.h"
#include "mot/common/topics.h"
#include "survey/app/kpi.h"
#include "survey/app/survey_records.h"
#include "survey/domain/erasure.h"
#include "survey/domain/retention.h"

namespace mot::survey {

namespace {

bool SameAnswers(const google::protobuf::Map<std::string, v1::Answer>& a,
                 const google::protobuf::Map<std::string, v1::Answer>& b) {
  if (a.size() != b.size()) return false;
  for (const auto& [id, x] : a) {
    auto it = b.find(id);
    if (it == b.end() || it->second.SerializeAsString() != x.SerializeAsString()) return false;
  }
  return true;
}

}  // namespace

absl::StatusOr<std::optional<v1::SurveyInstance>> Responses::ByToken(const std::string& token) {
  return LinkedInstance(parts_.store, token);
}

absl::StatusOr<std::optional<v1::SurveyResponse>> Responses::ResponseOf(
    const std::string& instance_id) {
  auto stored = parts_.store.Get(ResponseKey(instance_id));
  if (!stored.ok()) return stored.status();
  std::optional<v1::SurveyResponse> out;
  if (!*stored) return out;
  out.emplace();
  if (!out->ParseFromString(**stored))
    return absl::DataLossError("a stored response does not parse");
  return out;
}

Responses::Responses(Parts parts) : parts_(parts) {
  // Stored while the batch before is still awaiting the broker.
  commits_ = std::make_unique<GroupCommit<Answering>>(
      std::vector<GroupCommit<Answering>::Stage>{
          [this](std::vector<Answering*>& b) { StoreAll(b); },
          [this](std::vector<Answering*>& b) { AnnounceAll(b); }},
      parts_.batch);
}

Responses::~Responses() = default;

absl::StatusOr<Submitted> Responses::Submit(
    const std::string& instance_id, const google::protobuf::Map<std::string, v1::Answer>& answers,
    const std::string& actor, const std::string& caller) {
  if (instance_id.empty()) return absl::InvalidArgumentError("instance_id is required");
  Answering a;
  a.instance_id = instance_id;
  a.answers = &answers;
  a.actor = actor;
  a.caller = caller;
  commits_->Submit(&a);
  return std::move(a.result);
}

void Responses::Prepare(Answering& a, const std::optional<std::string>& raw, TimePoint now) {
  a.write.clear();
  a.announce = false;
  if (!raw) {
    a.result = absl::NotFoundError("no survey instance " + a.instance_id);
    return;
  }
  v1::SurveyInstance instance;
  if (!instance.ParseFromString(*raw)) {
    a.result = absl::DataLossError("a stored instance does not parse");
    return;
  }
  const SurveyDefinition* def = parts_.catalogue.Find(instance.survey_id());
  if (def == nullptr) {
    a.result = absl::FailedPreconditionError("survey '" + instance.survey_id() +
                                             "' is no longer in the catalogue");
    return;
  }
  if (instance.status() == v1::SURVEY_STATUS_SUPPRESSED) {
    a.result = absl::FailedPreconditionError(
        "survey " + instance.id() +
        (instance.reason() == kForgotten ? " was withdrawn: its owner was forgotten"
                                         : " was not sent or was withdrawn (survey fatigue)"));
    return;
  }
  if (instance.status() == v1::SURVEY_STATUS_COMPLETED) {
    auto stored = ResponseOf(instance.id());
    if (!stored.ok()) {
      a.result = stored.status();
    } else if (!*stored) {
      a.result = absl::DataLossError("a completed instance without its response");
    } else if (!SameAnswers((*stored)->answers(), *a.answers)) {
      a.result = absl::FailedPreconditionError("survey " + instance.id() + " was already answered");
    } else {
      // The same answers again (a retry): the first answer, and its events again.
      a.result = Submitted{instance, **stored};
      a.announce = true;
    }
    return;
  }
  if (now > FromProto(instance.expires_at())) {
    a.result = absl::FailedPreconditionError("survey " + instance.id() + " expired at " +
                                             FormatTime(FromProto(instance.expires_at())));
    return;
  }
  const auto given = AnswersOf(*a.answers);
  if (auto s = Validate(def->questions, given); !s.ok()) {
    a.result = s;
    return;
  }
  v1::SurveyResponse response;
  response.set_instance_id(instance.id());
  *response.mutable_answers() = *a.answers;
  *response.mutable_submitted_at() = ToProto(now);
  response.set_actor(!a.actor.empty() ? a.actor : !a.caller.empty() ? a.caller : "web");
  response.set_caller(a.caller);
  for (auto& r : DetractorReasons(parts_.catalogue.detractor(), def->questions, given)) {
    response.add_detractor_reasons(r);
  }
  v1::SurveyInstance done = instance;
  done.set_status(v1::SURVEY_STATUS_COMPLETED);
  *done.mutable_answered_at() = ToProto(now);
  Tally delta;
  delta.Add(def->questions, given);
  a.write = CompleteCommand(
      parts_.store, *raw, done, response,
      TallyKey(instance.project_id(), instance.stage(), MonthOf(now, parts_.catalogue.zone())),
      delta, ToUnixMillis(RetainedUntil(done, parts_.retention)));
  a.result = Submitted{std::move(done), std::move(response)};
}

void Responses::StoreAll(std::vector<Answering*>& batch) {
  std::vector<Answering*> open(batch.begin(), batch.end());
  for (int round = 0; round < 3 && !open.empty(); ++round) {
    std::vector<std::string> ids;
    for (Answering* a : open) ids.push_back(a->instance_id);
    auto raws = parts_.store.GetAll(ids);
    if (!raws.ok()) {
      for (Answering* a : open) a->result = raws.status();
      return;
    }
    const TimePoint now = parts_.clock.Now();
    std::vector<Answering*> writing;
    std::vector<std::vector<std::string>> cmds;
    for (size_t i = 0; i < open.size(); ++i) {
      Prepare(*open[i], (*raws)[i], now);
      if (!open[i]->write.empty()) {
        writing.push_back(open[i]);
        cmds.push_back(std::move(open[i]->write));
      }
    }
    open.clear();
    if (cmds.empty()) return;
    // The projects answered in, by when, for the scores on /metrics (after the
    // completions: the replies of those come first).
    for (Answering* a : writing) {
      const std::string& project = a->result->instance.project_id();
      if (!project.empty())
        cmds.push_back({"ZADD", ProjectsKey(), std::to_string(ToUnixMillis(now)), project});
    }
    auto replies = parts_.redis.Pipeline(cmds);
    for (size_t i = 0; i < writing.size(); ++i) {
      Answering* a = writing[i];
      if (!replies.ok()) {
        a->result = replies.status();
      } else if ((*replies)[i].integer == 0) {
        open.push_back(a);  // changed meanwhile (answered twice at once): look again
      } else {
        a->announce = true;
        Log().info("survey instance {} answered by {}{}", a->result->instance.id(),
                   a->result->response.actor(),
                   a->result->response.detractor_reasons().empty() ? "" : " (detractor)");
      }
    }
  }
  for (Answering* a : open) a->result = absl::AbortedError("the instance kept changing; try again");
}

void Responses::AnnounceAll(std::vector<Answering*>& batch) {
  std::vector<OutMessage> out;
  std::vector<std::pair<Answering*, size_t>> sent_by;  // who sent each message
  for (Answering* a : batch) {
    if (!a->announce || !a->result.ok()) continue;
    for (auto type : {v1::SURVEY_EVENT_TYPE_COMPLETED, v1::SURVEY_EVENT_TYPE_DETRACTOR}) {
      if (type == v1::SURVEY_EVENT_TYPE_DETRACTOR &&
          a->result->response.detractor_reasons().empty())
        continue;
      v1::SurveyEvent e;
      e.set_type(type);
      *e.mutable_instance() = a->result->instance;
      *e.mutable_response() = a->result->response;
      out.push_back(
          {kSurveyEventsTopic, a->result->instance.customer_id(), e.SerializeAsString(), {}});
      sent_by.emplace_back(a, out.size() - 1);
    }
  }
  if (out.empty()) return;
  const auto sent = parts_.out.PublishAll(out);
  for (const auto& [a, k] : sent_by) {
    if (a->result.ok() && !sent[k].ok()) a->result = sent[k];
  }
}

}  // namespace mot::survey
