#pragma once

#include <chrono>
#include <map>
#include <string>
#include <vector>

#include "mot/common/clock.h"
#include "mot/common/kafka.h"
#include "mot/common/record_store.h"
#include "mot/survey/v1/survey.pb.h"
#include "survey/domain/catalogue.h"

namespace mot::survey {

// Consumes CreateSurveyCommand: creates the instance once (idempotent by command
// id), then publishes SurveyEvent CREATED on mot.survey.v1. Survey fatigue first
// (the catalogue's `fatigue`, over the owner's instances): a survey within the window
// of another is recorded SUPPRESSED with the reason (event SUPPRESSED), unless it ranks
// higher than open ones there, which are then SUPPRESSED (withdrawn) for it.
//
// An issued instance gets its link: `link_base` + "/s/" + an unguessable token (128
// random bits), kept as "link:<token>" -> instance id; the link travels in the
// CREATED event (the playbook's invitation and reminder carry it to the owner).
//
// Every instance it records (and withdraws) is set to expire with its response and
// its link `retention` after its final state (retention.h).
class CommandHandler {
 public:
  // A command whose requested_at lies outside `times` around now is refused.
  CommandHandler(const SurveyCatalogue& catalogue, RecordStore& store, const Clock& clock,
                 std::string link_base, std::chrono::milliseconds retention, TimeWindow times = {})
      : catalogue_(catalogue),
        store_(store),
        instances_(store),
        clock_(clock),
        link_base_(std::move(link_base)),
        retention_(retention),
        times_(times) {}
  // Publishes the event through `out`.
  absl::Status Handle(const Incoming& in, Publisher& out);

 private:
  // Fatigue's input: the owner's instances that were sent (open or answered), and
  // those by id.
  absl::Status SentTo(const std::string& customer_id, TimePoint now, std::vector<Issued>& sent,
                      std::map<std::string, v1::SurveyInstance>& by_id);
  const SurveyCatalogue& catalogue_;
  RecordStore& store_;
  ProtoStore<v1::SurveyInstance> instances_;
  const Clock& clock_;
  const std::string link_base_;
  const std::chrono::milliseconds retention_;
  const TimeWindow times_;
};

// A new link token: 128 random bits, URL-safe base64 (22 characters).
std::string NewLinkToken();

}  // namespace mot::survey
