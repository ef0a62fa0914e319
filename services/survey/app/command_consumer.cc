#include "survey/app/command_consumer.h"

#include <openssl/rand.h>

#include <map>
#include <stdexcept>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "mot/common/clock.h"
#include "mot/common/codec.h"
#include "mot/common/log.h"
#include "mot/common/topics.h"
#include "survey/app/survey_records.h"

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
  if (*existing) {  // again: the event again (and its retention, in case it was not set)
    if (auto s = store_.ExpireAt(RetentionOf(**existing, retention_)); !s.ok()) return s;
    event((*existing)->status() == v1::SURVEY_STATUS_SUPPRESSED ? v1::SURVEY_EVENT_TYPE_SUPPRESSED
                                                                : v1::SURVEY_EVENT_TYPE_CREATED,
          **existing);
  } else {
    std::vector<Issued> sent;
    std::map<std::string, v1::SurveyInstance> by_id;
    if (auto s = SentTo(instance->customer_id(), now, sent, by_id); !s.ok()) return s;
    const SurveyDefinition* def = catalogue_.Find(instance->survey_id());
    const auto verdict =
        Fatigue(catalogue_.fatigue(), sent, def->family, FromProto(instance->requested_at()));
    if (!verdict.issue) {
      instance->set_status(v1::SURVEY_STATUS_SUPPRESSED);
      instance->set_reason(verdict.reason);
      *instance->mutable_withdrawn_at() = ToProto(now);
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
    auto expiries = RetentionOf(*instance, retention_);
    for (const auto& id : verdict.withdraw) {
      v1::SurveyInstance w = by_id.at(id);
      w.set_status(v1::SURVEY_STATUS_SUPPRESSED);
      w.set_reason(
          absl::StrCat("fatigue: withdrawn for the ", def->family, " survey ", instance->id()));
      *w.mutable_withdrawn_at() = ToProto(now);
      if (auto s = instances_.Put(w.id(), w); !s.ok()) return s;
      for (auto& e : RetentionOf(w, retention_)) expiries.push_back(std::move(e));
      event(v1::SURVEY_EVENT_TYPE_SUPPRESSED, w);
    }
    if (auto s = store_.ExpireAt(expiries); !s.ok()) return s;
    Log().info(
        "survey instance {} {} survey={} stage={}{}", instance->id(),
        verdict.issue ? "created" : "suppressed", instance->survey_id(), instance->stage(),
        verdict.withdraw.empty() ? "" : absl::StrCat(" (withdrew ", verdict.withdraw.size(), ")"));
    event(verdict.issue ? v1::SURVEY_EVENT_TYPE_CREATED : v1::SURVEY_EVENT_TYPE_SUPPRESSED,
          *instance);
  }
  for (const auto& s : out.PublishAll(events)) {
    if (!s.ok()) return s;
  }
  return absl::OkStatus();
}

absl::Status CommandHandler::SentTo(const std::string& customer_id, TimePoint now,
                                    std::vector<Issued>& sent,
                                    std::map<std::string, v1::SurveyInstance>& by_id) {
  auto mine = instances_.ListByCustomer(customer_id, 1000);
  if (!mine.ok()) return mine.status();
  for (const auto& i : *mine) {
    if (i.status() != v1::SURVEY_STATUS_OPEN && i.status() != v1::SURVEY_STATUS_COMPLETED) continue;
    const SurveyDefinition* d = catalogue_.Find(i.survey_id());
    sent.push_back({i.id(), d != nullptr ? d->family : "",
                    FromProto(i.has_requested_at() ? i.requested_at() : i.created_at()),
                    i.status() == v1::SURVEY_STATUS_OPEN && FromProto(i.expires_at()) > now});
    by_id[i.id()] = i;
  }
  return absl::OkStatus();
}

std::string NewLinkToken() {
  unsigned char bytes[16];
  if (RAND_bytes(bytes, sizeof bytes) != 1)
    throw std::runtime_error("no random bytes for a survey link");
  return absl::WebSafeBase64Escape(std::string(reinterpret_cast<const char*>(bytes), sizeof bytes));
}

}  // namespace mot::survey
