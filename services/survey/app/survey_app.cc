#include "app/survey_app.h"

#include "mot/common/clock.h"
#include <openssl/rand.h>

#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "mot/common/codec.h"
#include "mot/common/topics.h"
#include "mot/common/gate.h"
#include "mot/common/log.h"
#include "mot/common/runtime.h"

namespace mot::survey {

absl::Status CommandHandler::Handle(const Incoming& in, Publisher& out) {
  v1::CreateSurveyCommand cmd;
  if (auto s = DecodeMessage(in, &cmd); !s.ok()) return s;
  const TimePoint now = clock_.Now();
  if (cmd.has_requested_at()) {
    if (auto s = CheckWithin(cmd.requested_at(), "requested_at", now, times_); !s.ok()) return s;
  }
  auto instance = CreateInstance(catalogue_, cmd, now);
  if (!instance.ok()) return instance.status();
  std::vector<OutMessage> events;
  auto event = [&](v1::SurveyEventType type, const v1::SurveyInstance& i) {
    v1::SurveyEvent e;
    e.set_type(type);
    *e.mutable_instance() = i;
    events.push_back({kSurveyEventsTopic, i.customer_id(), e.SerializeAsString(), {}});
  };
  auto existing = instances_.Get(instance->id());
  if (!existing.ok()) return existing.status();
  if (*existing) {  // again: the event again
    event((*existing)->status() == v1::SURVEY_STATUS_SUPPRESSED ? v1::SURVEY_EVENT_TYPE_SUPPRESSED
                                                                 : v1::SURVEY_EVENT_TYPE_CREATED,
          **existing);
  } else {
    // Fatigue: what the owner was sent.
    auto mine = instances_.ListByCustomer(instance->customer_id(), 1000);
    if (!mine.ok()) return mine.status();
    std::vector<Issued> sent;
    std::map<std::string, v1::SurveyInstance> by_id;
    for (const auto& i : *mine) {
      if (i.status() != v1::SURVEY_STATUS_OPEN && i.status() != v1::SURVEY_STATUS_COMPLETED) continue;
      const SurveyDefinition* d = catalogue_.Find(i.survey_id());
      sent.push_back({i.id(), d != nullptr ? d->family : "",
                      FromProto(i.has_requested_at() ? i.requested_at() : i.created_at()),
                      i.status() == v1::SURVEY_STATUS_OPEN && FromProto(i.expires_at()) > now});
      by_id[i.id()] = i;
    }
    const SurveyDefinition* def = catalogue_.Find(instance->survey_id());
    const auto verdict = Fatigue(catalogue_.fatigue(), sent, def->family, FromProto(instance->requested_at()));
    if (!verdict.issue) {
      instance->set_status(v1::SURVEY_STATUS_SUPPRESSED);
      instance->set_reason(verdict.reason);
    } else {
      // The link before the instance: a crash between them leaves an unused token, never
      // an instance without its link.
      const std::string token = NewLinkToken();
      if (auto s = store_.Put(LinkKey(token), instance->id()); !s.ok()) return s;
      instance->set_link(absl::StrCat(link_base_, "/s/", token));
    }
    auto inserted = instances_.Insert(instance->id(), instance->customer_id(),
                                      ToUnixMillis(FromProto(instance->created_at())), *instance);
    if (!inserted.ok()) return inserted.status();
    for (const auto& id : verdict.withdraw) {
      v1::SurveyInstance w = by_id.at(id);
      w.set_status(v1::SURVEY_STATUS_SUPPRESSED);
      w.set_reason(absl::StrCat("fatigue: withdrawn for the ", def->family, " survey ", instance->id()));
      if (auto s = instances_.Put(w.id(), w); !s.ok()) return s;
      event(v1::SURVEY_EVENT_TYPE_SUPPRESSED, w);
    }
    Log().info("survey instance {} {} survey={} stage={}{}", instance->id(),
               verdict.issue ? "created" : "suppressed", instance->survey_id(), instance->stage(),
               verdict.withdraw.empty() ? "" : absl::StrCat(" (withdrew ", verdict.withdraw.size(), ")"));
    event(verdict.issue ? v1::SURVEY_EVENT_TYPE_CREATED : v1::SURVEY_EVENT_TYPE_SUPPRESSED, *instance);
  }
  for (const auto& s : out.PublishAll(events)) {
    if (!s.ok()) return s;
  }
  return absl::OkStatus();
}

std::string NewLinkToken() {
  unsigned char bytes[16];
  if (RAND_bytes(bytes, sizeof bytes) != 1) throw std::runtime_error("no random bytes for a survey link");
  return absl::WebSafeBase64Escape(std::string(reinterpret_cast<const char*>(bytes), sizeof bytes));
}

std::string LinkKey(const std::string& token) { return "link:" + token; }

Tally TallyOfReply(const RedisReply& reply) {
  std::map<std::string, int64_t> fields;
  for (size_t i = 0; i + 1 < reply.elements.size(); i += 2) {
    int64_t v = 0;
    if (absl::SimpleAtoi(reply.elements[i + 1].str, &v)) fields[reply.elements[i].str] = v;
  }
  return TallyOf(fields);
}

std::string TallyKey(const std::string& project, const std::string& stage, const std::string& month) {
  return absl::StrCat("mot:survey:tally:", project, "|", stage, "|", month);
}

namespace {

grpc::Status Refuse(grpc::StatusCode code, const std::string& what) { return grpc::Status(code, what); }


bool SameAnswers(const google::protobuf::Map<std::string, v1::Answer>& a,
                 const google::protobuf::Map<std::string, v1::Answer>& b) {
  if (a.size() != b.size()) return false;
  for (const auto& [id, x] : a) {
    auto it = b.find(id);
    if (it == b.end() || it->second.SerializeAsString() != x.SerializeAsString()) return false;
  }
  return true;
}

// Completes the instance (while it is still `expected`), keeps the response and adds
// to the tally, atomically: 1 when done, 0 when the instance changed meanwhile.
constexpr char kComplete[] = R"lua(
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[2], 'KEEPTTL')
redis.call('SET', KEYS[2], ARGV[3])
for i = 4, #ARGV, 2 do redis.call('HINCRBY', KEYS[3], ARGV[i], ARGV[i + 1]) end
return 1
)lua";

std::string ResponseKey(const std::string& instance_id) { return "response:" + instance_id; }

}  // namespace

std::vector<std::string> CompleteCommand(const RedisRecordStore& store, const std::string& expected,
                                         const v1::SurveyInstance& done, const v1::SurveyResponse& response,
                                         const std::string& tally_key, const Tally& delta) {
  std::vector<std::string> cmd = {"EVAL", kComplete, "3", store.Key(done.id()),
                                  store.Key(ResponseKey(done.id())), tally_key,
                                  expected, done.SerializeAsString(), response.SerializeAsString()};
  for (const auto& [field, n] : FieldsOf(delta)) {
    if (n == 0 && field != "responses") continue;
    cmd.push_back(field);
    cmd.push_back(std::to_string(n));
  }
  return cmd;
}

absl::StatusOr<std::optional<v1::SurveyInstance>> Responses::ByToken(const std::string& token) {
  auto id = parts_.store.Get(LinkKey(token));
  if (!id.ok()) return id.status();
  if (!*id) return std::optional<v1::SurveyInstance>();
  return instances_.Get(**id);
}

absl::StatusOr<std::optional<v1::SurveyResponse>> Responses::ResponseOf(const std::string& instance_id) {
  auto stored = parts_.store.Get(ResponseKey(instance_id));
  if (!stored.ok()) return stored.status();
  std::optional<v1::SurveyResponse> out;
  if (!*stored) return out;
  out.emplace();
  if (!out->ParseFromString(**stored)) return absl::DataLossError("a stored response does not parse");
  return out;
}

Responses::Responses(Parts parts) : parts_(parts), instances_(parts.store) {
  // Stored while the batch before is still awaiting the broker.
  commits_ = std::make_unique<GroupCommit<Answering>>(
      std::vector<GroupCommit<Answering>::Stage>{[this](std::vector<Answering*>& b) { StoreAll(b); },
                                                 [this](std::vector<Answering*>& b) { AnnounceAll(b); }},
      parts_.batch);
}

Responses::~Responses() = default;

absl::StatusOr<Submitted> Responses::Submit(const std::string& instance_id,
                                            const google::protobuf::Map<std::string, v1::Answer>& answers,
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
    a.result = absl::FailedPreconditionError("survey '" + instance.survey_id() + "' is no longer in the catalogue");
    return;
  }
  if (instance.status() == v1::SURVEY_STATUS_SUPPRESSED) {
    a.result = absl::FailedPreconditionError("survey " + instance.id() +
                                             " was not sent or was withdrawn (survey fatigue)");
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
  a.write = CompleteCommand(parts_.store, *raw, done, response,
                            TallyKey(instance.project_id(), instance.stage(), MonthOf(now, parts_.catalogue.zone())),
                            delta);
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
      if (!project.empty()) cmds.push_back({"ZADD", ProjectsKey(), std::to_string(ToUnixMillis(now)), project});
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
        Log().info("survey instance {} answered by {}{}", a->result->instance.id(), a->result->response.actor(),
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
      if (type == v1::SURVEY_EVENT_TYPE_DETRACTOR && a->result->response.detractor_reasons().empty()) continue;
      v1::SurveyEvent e;
      e.set_type(type);
      *e.mutable_instance() = a->result->instance;
      *e.mutable_response() = a->result->response;
      out.push_back({kSurveyEventsTopic, a->result->instance.customer_id(), e.SerializeAsString(), {}});
      sent_by.emplace_back(a, out.size() - 1);
    }
  }
  if (out.empty()) return;
  const auto sent = parts_.out.PublishAll(out);
  for (const auto& [a, k] : sent_by) {
    if (a->result.ok() && !sent[k].ok()) a->result = sent[k];
  }
}

v1::SurveyInstance SurveyGrpc::Shown(const grpc::ServerContextBase* ctx, v1::SurveyInstance instance) {
  if (!CallerHas(ctx, Scope::kAgent)) instance.clear_link();
  return instance;
}

grpc::Status SurveyGrpc::SubmitResponse(grpc::ServerContext* ctx, const v1::SubmitResponseRequest* req,
                                        v1::SubmitResponseResponse* resp) {
  if (auto s = Expired(ctx, "SubmitResponse"); !s.ok()) return s;
  auto done = responses_.Submit(req->instance_id(), req->answers(), req->actor(), CallerOf(ctx));
  if (!done.ok()) return ToGrpc(done.status());
  *resp->mutable_instance() = Shown(ctx, std::move(done->instance));
  *resp->mutable_response() = std::move(done->response);
  return grpc::Status::OK;
}


grpc::Status SurveyGrpc::GetSurveyInstance(grpc::ServerContext* ctx, const v1::GetSurveyInstanceRequest* req,
                                           v1::GetSurveyInstanceResponse* resp) {
  if (auto s = Expired(ctx, "GetSurveyInstance"); !s.ok()) return s;
  if (req->instance_id().empty()) return Refuse(grpc::StatusCode::INVALID_ARGUMENT, "instance_id is required");
  auto instance = instances_.Get(req->instance_id());
  if (!instance.ok()) return ToGrpc(instance.status());
  if (!*instance) return Refuse(grpc::StatusCode::NOT_FOUND, "no survey instance " + req->instance_id());
  auto response = responses_.ResponseOf(req->instance_id());
  if (!response.ok()) return ToGrpc(response.status());
  *resp->mutable_instance() = Shown(ctx, std::move(**instance));
  if (*response) *resp->mutable_response() = std::move(**response);
  return grpc::Status::OK;
}

absl::StatusOr<Tally> SurveyGrpc::TallyFor(const std::string& project, const std::string& month,
                                          const std::string& stage) {
  std::vector<std::vector<std::string>> cmds;
  for (const auto& s : parts_.catalogue.Stages()) {
    if (!stage.empty() && s != stage) continue;
    cmds.push_back({"HGETALL", TallyKey(project, s, month)});
  }
  auto replies = parts_.redis.Pipeline(cmds);
  if (!replies.ok()) return replies.status();
  Tally all;
  for (const auto& reply : *replies) all.Merge(TallyOfReply(reply));
  return all;
}

namespace {

// INVALID_ARGUMENT naming the field, or OK.
grpc::Status CheckProjectMonth(const std::string& project, const std::string& month) {
  if (project.empty()) return Refuse(grpc::StatusCode::INVALID_ARGUMENT, "project_id is required");
  absl::CivilMonth m;
  if (!absl::ParseCivilTime(month, &m)) {
    return Refuse(grpc::StatusCode::INVALID_ARGUMENT, "month: expected YYYY-MM, e.g. 2026-11");
  }
  return grpc::Status::OK;
}

}  // namespace

grpc::Status SurveyGrpc::GetScores(grpc::ServerContext* ctx, const v1::GetScoresRequest* req,
                                   v1::GetScoresResponse* resp) {
  if (auto s = Expired(ctx, "GetScores"); !s.ok()) return s;
  if (auto s = CheckProjectMonth(req->project_id(), req->month()); !s.ok()) return s;
  if (!req->stage().empty() && !parts_.catalogue.Stages().count(req->stage())) {
    return Refuse(grpc::StatusCode::INVALID_ARGUMENT, "stage: no survey's stage");
  }
  auto all = TallyFor(req->project_id(), req->month(), req->stage());
  if (!all.ok()) return ToGrpc(all.status());
  const Scores s = ScoresOf(*all);
  resp->set_responses(s.responses);
  if (s.csat_mean) resp->set_csat_mean(*s.csat_mean);
  if (s.csat_satisfied) resp->set_csat_satisfied(*s.csat_satisfied);
  if (s.nps) resp->set_nps(*s.nps);
  for (const auto& [d, g] : s.gap) (*resp->mutable_gap())[d] = g;
  if (s.overall_gap) resp->set_overall_gap(*s.overall_gap);
  return grpc::Status::OK;
}

grpc::Status SurveyGrpc::GetKpi(grpc::ServerContext* ctx, const v1::GetKpiRequest* req, v1::GetKpiResponse* resp) {
  if (auto s = Expired(ctx, "GetKpi"); !s.ok()) return s;
  if (parts_.kpi == nullptr) return Refuse(grpc::StatusCode::UNIMPLEMENTED, "the KPI is not served here");
  if (auto s = CheckProjectMonth(req->project_id(), req->month()); !s.ok()) return s;
  auto all = TallyFor(req->project_id(), req->month(), "");
  if (!all.ok()) return ToGrpc(all.status());
  auto counts = parts_.kpi->CountsOf(req->project_id(), req->month());
  if (!counts.ok()) return ToGrpc(counts.status());
  const Scores scores = ScoresOf(*all);
  const KpiInputs in = KpiInputsOf(*counts, scores.csat_satisfied);
  if (auto k = Kpi(parts_.catalogue.kpi_weights(), in)) resp->set_kpi(*k);
  if (in.satisfaction) resp->set_satisfaction(*in.satisfaction);
  if (in.repurchase) resp->set_repurchase(*in.repurchase);
  if (in.complaint_resolution) resp->set_complaint_resolution(*in.complaint_resolution);
  if (in.community_activity) resp->set_community_activity(*in.community_activity);
  resp->set_responses(scores.responses);
  resp->set_owners(counts->owners);
  resp->set_bought_again(counts->bought_again);
  resp->set_active_owners(counts->active);
  resp->set_complaints_opened(counts->complaints_opened);
  resp->set_complaints_resolved(counts->complaints_resolved);
  return grpc::Status::OK;
}

grpc::Status SurveyGrpc::ListSurveyInstances(grpc::ServerContext* ctx,
                                             const v1::ListSurveyInstancesRequest* req,
                                             v1::ListSurveyInstancesResponse* resp) {
  if (auto s = Expired(ctx, "ListSurveyInstances"); !s.ok()) return s;
  if (req->customer_id().empty()) {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "customer_id is required");
  }
  auto list = instances_.ListByCustomer(req->customer_id(), parts_.max_page_size);
  if (!list.ok()) return ToGrpc(list.status());
  for (auto& s : *list) *resp->add_instances() = Shown(ctx, std::move(s));
  return grpc::Status::OK;
}

}  // namespace mot::survey
