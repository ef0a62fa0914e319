#pragma once

#include <chrono>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "mot/common/clock.h"
#include "mot/common/local_hours.h"

namespace mot::notification {

// What a message's category allows (deploy/config/channels.yaml).
struct CategoryRule {
  // Safety, legal and transactional messages: the owner's opt-outs do not apply and
  // the frequency cap does not count them.
  bool mandatory = false;
  // Care and marketing: at most frequency_cap.messages within frequency_cap.within.
  bool capped = false;
  // Held during the owner's quiet hours until they end (false: goes out at once).
  bool quiet_hours = true;
};

// How a message that a provider did not take is tried again (channels.yaml `delivery`).
struct RetryPolicy {
  // Attempts per channel on timeouts, 429 and 5xx before the next channel.
  int attempts = 3;
  // The wait before the second attempt, doubled for each one after, at most backoff_max.
  std::chrono::milliseconds backoff = std::chrono::seconds(30);
  std::chrono::milliseconds backoff_max = std::chrono::minutes(10);
  // Each wait is moved by up to this share of it, at random, either way (0 to 1).
  double jitter = 0.5;
  // Messages per second each replica hands a channel's provider (a token bucket holding
  // one second's worth); a channel not listed takes `default_rate`.
  double default_rate = 200;
  std::map<std::string, double> rates;
  double RateOf(const std::string& channel) const {
    auto it = rates.find(channel);
    return it == rates.end() ? default_rate : it->second;
  }
};

// When attempt `failed` + 1 is made after `failed` attempts failed (1 or more), at
// `now`; `random` in [0, 1) places the jitter.
TimePoint NextAttempt(const RetryPolicy& policy, int failed, TimePoint now, double random);

// How notification decides what goes out to an owner: which channels in which
// order, what the owner's preferences allow, when (quiet hours in the owner's zone)
// and how often (a cap per owner across all journeys). Every number is configuration
// with the defaults of deploy/config/channels.yaml.
class Routing {
 public:
  // InvalidArgument naming the section and field that are wrong.
  static absl::StatusOr<Routing> FromYaml(const std::string& yaml);

  const std::set<std::string>& channels() const { return channels_; }
  const absl::TimeZone& zone() const { return zone_; }
  const ContactWindow& quiet_hours() const { return quiet_; }
  int cap_messages() const { return cap_messages_; }
  const RetryPolicy& retry() const { return retry_; }
  std::chrono::milliseconds cap_within() const { return cap_within_; }
  // nullptr for a category the file does not name.
  const CategoryRule* Category(const std::string& name) const;
  // The category of a message that names none.
  const std::string& default_category() const { return default_category_; }
  // The rule of a message's category (empty: the default one); nullptr when unknown.
  const CategoryRule* RuleFor(const std::string& category) const {
    return Category(category.empty() ? default_category_ : category);
  }

  // The channels to try, in order: the segment's, then the owner's preferred ones,
  // then the step's hint, then the defaults (each once).
  std::vector<std::string> Candidates(const std::string& segment,
                                      const std::vector<std::string>& preferred,
                                      const std::string& hint) const;

 private:
  std::set<std::string> channels_;
  std::vector<std::string> defaults_;
  std::map<std::string, std::vector<std::string>> segments_;
  std::map<std::string, CategoryRule> categories_;
  std::string default_category_;
  absl::TimeZone zone_;
  ContactWindow quiet_{21 * 60, 8 * 60};
  int cap_messages_ = 3;
  std::chrono::milliseconds cap_within_ = std::chrono::hours(24 * 7);
  RetryPolicy retry_;
};

// What is known of the owner when a message is decided.
struct Owner {
  std::string segment;
  // Empty: Routing::zone().
  std::string time_zone;
  std::vector<std::string> preferred_channels;
  std::set<std::string> opted_out_channels;
  std::set<std::string> opted_out_categories;
  // Channels the owner has a contact point for (a mobile for sms and hotline ...).
  std::set<std::string> reachable;
  // When the owner's capped messages (care, marketing) went out, any order.
  std::vector<TimePoint> capped_sent;
};

struct Decision {
  enum Kind { kSend, kDefer, kSuppress };
  Kind kind = kSend;
  // kSend: the channels to try in order (the next after one fails for good).
  std::vector<std::string> channels;
  // kDefer: when to decide again (the end of the owner's quiet hours).
  TimePoint at{};
  // kSuppress: why, a word for the record and the metric label: opted_out,
  // frequency_cap, unreachable.
  std::string reason;
};

// Decides a message of `category` (empty: the default) for `owner` at `now`, with
// the step's channel `hint` (may be empty). InvalidArgument naming the category when
// the configuration does not know it.
absl::StatusOr<Decision> Decide(const Routing& routing, const Owner& owner,
                                const std::string& category, const std::string& hint,
                                TimePoint now);

}  // namespace mot::notification
