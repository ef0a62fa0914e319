#include "survey/app/owner_eraser.h"

#include "google/protobuf/util/message_differencer.h"
#include "mot/common/log.h"
#include "survey/app/survey_records.h"
#include "survey/domain/erasure.h"

namespace mot::survey {

absl::StatusOr<int> OwnerEraser::Forget(const std::string& customer_id) {
  auto raws = parts_.store.ListByCustomer(customer_id, parts_.max_instances);
  if (!raws.ok()) return raws.status();
  if (raws->size() >= parts_.max_instances) {
    Log().warn("forgetting an owner: {} survey instances or more, only the first {} erased",
               raws->size(), parts_.max_instances);
  }
  int erased = 0;
  for (auto& raw : *raws) {
    v1::SurveyInstance instance;
    if (!instance.ParseFromString(raw))
      return absl::DataLossError("a stored instance does not parse");
    auto now_erased = EraseOne(std::move(raw), std::move(instance));
    if (!now_erased.ok()) return now_erased.status();
    erased += *now_erased ? 1 : 0;
  }
  return erased;
}

absl::StatusOr<bool> OwnerEraser::EraseOne(std::string raw, v1::SurveyInstance instance) {
  const bool before = IsErased(instance);
  for (int round = 0; round < 3; ++round) {
    const v1::SurveyInstance erased = EraseInstance(instance, parts_.clock.Now());
    const std::string bytes = erased.SerializeAsString();
    if (bytes != instance.SerializeAsString()) {
      // The link's record first: a crash after it leaves the link in the instance, to be
      // found again when the event is redelivered.
      if (const std::string token = LinkToken(instance.link()); !token.empty()) {
        if (auto s = parts_.store.Erase({LinkKey(token)}); !s.ok()) return s;
      }
      auto replaced = parts_.store.Replace(erased.id(), raw, bytes);
      if (!replaced.ok()) return replaced.status();
      if (!*replaced) {  // answered (or expired away) meanwhile: look again
        auto again = parts_.store.Get(instance.id());
        if (!again.ok()) return again.status();
        if (!*again) return false;
        raw = std::move(**again);
        if (!instance.ParseFromString(raw))
          return absl::DataLossError("a stored instance does not parse");
        continue;
      }
    }
    if (auto s = EraseResponseOf(erased); !s.ok()) return s;
    if (auto s = parts_.store.ExpireAt(RetentionOf(erased, parts_.retention)); !s.ok()) return s;
    return !before;
  }
  return absl::AbortedError("a survey instance kept changing while its owner was forgotten");
}

absl::Status OwnerEraser::EraseResponseOf(const v1::SurveyInstance& instance) {
  auto raw = parts_.store.Get(ResponseKey(instance.id()));
  if (!raw.ok()) return raw.status();
  if (!*raw) return absl::OkStatus();
  v1::SurveyResponse response;
  if (!response.ParseFromString(**raw))
    return absl::DataLossError("a stored response does not parse");
  const auto erased = EraseResponse(response, parts_.catalogue.Find(instance.survey_id()));
  if (google::protobuf::util::MessageDifferencer::Equals(erased, response)) return absl::OkStatus();
  return parts_.store.Put(ResponseKey(instance.id()), erased.SerializeAsString());
}

}  // namespace mot::survey
