#include "notification/domain/routing.h"

#include <algorithm>
#include <tuple>
#include <utility>

#include "absl/strings/str_cat.h"
#include "mot/common/config.h"
#include "mot/common/yaml.h"

namespace mot::notification {
namespace {

// A list of known channels at `where`.
absl::StatusOr<std::vector<std::string>> ChannelList(const YAML::Node& n, const std::string& where,
                                                     const std::set<std::string>& known) {
  if (!n || !n.IsSequence() || n.size() == 0) return Fail(where, "expected a list of channels");
  std::vector<std::string> out;
  for (const auto& c : n) {
    const std::string name = c.as<std::string>();
    if (!known.count(name))
      return Fail(where, absl::StrCat("channel '", name, "' is not in 'channels'"));
    out.push_back(name);
  }
  return out;
}

absl::StatusOr<bool> Flag(const YAML::Node& n, const char* key, bool fallback,
                          const std::string& where) {
  if (!n[key]) return fallback;
  const std::string v = n[key].as<std::string>();
  if (v != "true" && v != "false")
    return Fail(where, absl::StrCat(key, ": expected true or false"));
  return v == "true";
}

absl::StatusOr<std::chrono::milliseconds> PositiveDuration(const YAML::Node& n,
                                                           const std::string& where) {
  auto d = ParseDuration(n.as<std::string>());
  if (!d.ok() || d->count() <= 0) return Fail(where, "expected a duration such as 30s");
  return *d;
}

absl::StatusOr<double> PositiveNumber(const YAML::Node& n, const std::string& where) {
  double v = 0;
  if (!YAML::convert<double>::decode(n, v) || !(v > 0))
    return Fail(where, "expected a number above 0");
  return v;
}

absl::StatusOr<RetryPolicy> RetryPolicyOf(const YAML::Node& n,
                                          const std::set<std::string>& channels) {
  if (!n.IsMap())
    return Fail("delivery", "expected {attempts, backoff, backoff_max, jitter, rate_per_second}");
  RetryPolicy p;
  for (const auto& f : n) {
    const std::string k = f.first.as<std::string>();
    const std::string where = "delivery." + k;
    if (k == "attempts") {
      if (!YAML::convert<int>::decode(f.second, p.attempts) || p.attempts < 1) {
        return Fail(where, "expected a whole number, 1 or more");
      }
    } else if (k == "backoff" || k == "backoff_max") {
      auto d = PositiveDuration(f.second, where);
      if (!d.ok()) return d.status();
      (k == "backoff" ? p.backoff : p.backoff_max) = *d;
    } else if (k == "jitter") {
      if (!YAML::convert<double>::decode(f.second, p.jitter) || p.jitter < 0 || p.jitter > 1) {
        return Fail(where, "expected a share from 0 to 1");
      }
    } else if (k == "rate_per_second") {
      if (!f.second.IsMap())
        return Fail(where, "expected a map of channel (or default) to messages per second");
      for (const auto& r : f.second) {
        const std::string channel = r.first.as<std::string>();
        auto v = PositiveNumber(r.second, absl::StrCat(where, ".", channel));
        if (!v.ok()) return v.status();
        if (channel == "default") {
          p.default_rate = *v;
        } else if (!channels.count(channel)) {
          return Fail(where, absl::StrCat("channel '", channel, "' is not in 'channels'"));
        } else {
          p.rates[channel] = *v;
        }
      }
    } else {
      return Fail("delivery", absl::StrCat("unknown field '", k, "'"));
    }
  }
  if (p.backoff_max < p.backoff)
    return Fail("delivery.backoff_max", "shorter than delivery.backoff");
  return p;
}

}  // namespace

TimePoint NextAttempt(const RetryPolicy& policy, int failed, TimePoint now, double random) {
  auto wait = policy.backoff;
  for (int i = 1; i < failed && wait < policy.backoff_max; ++i) wait *= 2;
  wait = std::min(wait, policy.backoff_max);
  const double spread = policy.jitter * (2 * random - 1);  // -jitter .. +jitter
  const auto moved = std::chrono::milliseconds(static_cast<int64_t>(wait.count() * (1 + spread)));
  return now + std::max(moved, std::chrono::milliseconds(1));
}

namespace {

// Only known settings, and the required ones there.
absl::Status CheckSettings(const YAML::Node& doc) {
  static const std::set<std::string> kKeys = {"time_zone",  "quiet_hours",      "frequency_cap",
                                              "channels",   "segments",         "default",
                                              "categories", "default_category", "delivery"};
  for (const auto& entry : doc) {
    const std::string key = entry.first.as<std::string>();
    if (!kKeys.count(key))
      return absl::InvalidArgumentError(absl::StrCat("unknown setting '", key, "'"));
  }
  return RequireKeys(doc, "channels.yaml",
                     {"time_zone", "channels", "default", "categories", "default_category"});
}

absl::StatusOr<std::set<std::string>> ChannelsOf(const YAML::Node& channels) {
  if (!channels.IsSequence() || channels.size() == 0)
    return Fail("channels", "expected a list of channel names");
  std::set<std::string> out;
  for (const auto& c : channels) out.insert(c.as<std::string>());
  return out;
}

absl::StatusOr<std::map<std::string, std::vector<std::string>>> SegmentsOf(
    const YAML::Node& segments, const std::set<std::string>& channels) {
  std::map<std::string, std::vector<std::string>> out;
  if (!segments.IsMap()) return Fail("segments", "expected a map of segment to channels");
  for (const auto& s : segments) {
    const std::string name = s.first.as<std::string>();
    auto list = ChannelList(s.second, absl::StrCat("segments.", name), channels);
    if (!list.ok()) return list.status();
    out[name] = *std::move(list);
  }
  return out;
}

absl::StatusOr<ContactWindow> QuietHoursOf(const YAML::Node& q) {
  if (auto s = RequireKeys(q, "quiet_hours", {"from", "to"}); !s.ok()) return s;
  auto from = ParseLocalTime(q["from"].as<std::string>());
  if (!from.ok()) return Fail("quiet_hours.from", std::string(from.status().message()));
  auto to = ParseLocalTime(q["to"].as<std::string>());
  if (!to.ok()) return Fail("quiet_hours.to", std::string(to.status().message()));
  return ContactWindow{*from, *to};
}

// frequency_cap: (messages, within).
absl::StatusOr<std::pair<int, std::chrono::milliseconds>> FrequencyCapOf(const YAML::Node& cap) {
  if (auto s = RequireKeys(cap, "frequency_cap", {"messages", "within"}); !s.ok()) return s;
  int n = -1;
  if (!YAML::convert<int>::decode(cap["messages"], n) || n < 0) {
    return Fail("frequency_cap.messages", "expected a whole number, 0 or more");
  }
  auto within = ParseDuration(cap["within"].as<std::string>());
  if (!within.ok() || within->count() <= 0)
    return Fail("frequency_cap.within", "expected a duration such as 7d");
  return std::make_pair(n, *within);
}

absl::StatusOr<CategoryRule> CategoryRuleOf(const YAML::Node& n, const std::string& where) {
  if (n.IsNull()) return CategoryRule{};
  if (!n.IsMap()) return Fail(where, "expected {mandatory, capped, quiet_hours}");
  for (const auto& f : n) {
    const std::string k = f.first.as<std::string>();
    if (k != "mandatory" && k != "capped" && k != "quiet_hours") {
      return Fail(where, absl::StrCat("unknown field '", k, "'"));
    }
  }
  CategoryRule rule;
  auto mandatory = Flag(n, "mandatory", false, where);
  if (!mandatory.ok()) return mandatory.status();
  auto capped = Flag(n, "capped", false, where);
  if (!capped.ok()) return capped.status();
  auto quiet = Flag(n, "quiet_hours", true, where);
  if (!quiet.ok()) return quiet.status();
  if (*mandatory && *capped) return Fail(where, "a mandatory category cannot be capped");
  rule.mandatory = *mandatory;
  rule.capped = *capped;
  rule.quiet_hours = *quiet;
  return rule;
}

absl::StatusOr<std::map<std::string, CategoryRule>> CategoriesOf(const YAML::Node& cats) {
  if (!cats.IsMap() || cats.size() == 0)
    return Fail("categories", "expected a map of category to its rules");
  std::map<std::string, CategoryRule> out;
  for (const auto& c : cats) {
    const std::string name = c.first.as<std::string>();
    auto rule = CategoryRuleOf(c.second, absl::StrCat("categories.", name));
    if (!rule.ok()) return rule.status();
    out[name] = *rule;
  }
  return out;
}

}  // namespace

absl::StatusOr<Routing> Routing::FromYaml(const std::string& yaml) {
  return GuardYaml([&]() -> absl::StatusOr<Routing> {
    auto root = ParseYaml(yaml);
    if (!root.ok()) return root.status();
    if (!root->IsMap()) return absl::InvalidArgumentError("expected a map of settings");
    Routing r;
    const YAML::Node& doc = *root;
    if (auto s = CheckSettings(doc); !s.ok()) return s;
    const std::string zone = doc["time_zone"].as<std::string>();
    if (!absl::LoadTimeZone(zone, &r.zone_))
      return Fail("time_zone", absl::StrCat("unknown zone '", zone, "'"));
    auto channels = ChannelsOf(doc["channels"]);
    if (!channels.ok()) return channels.status();
    r.channels_ = *std::move(channels);
    auto defaults = ChannelList(doc["default"], "default", r.channels_);
    if (!defaults.ok()) return defaults.status();
    r.defaults_ = *std::move(defaults);
    if (const YAML::Node segments = doc["segments"]) {
      auto parsed = SegmentsOf(segments, r.channels_);
      if (!parsed.ok()) return parsed.status();
      r.segments_ = *std::move(parsed);
    }
    if (const YAML::Node q = doc["quiet_hours"]) {
      auto quiet = QuietHoursOf(q);
      if (!quiet.ok()) return quiet.status();
      r.quiet_ = *quiet;
    }
    if (const YAML::Node cap = doc["frequency_cap"]) {
      auto parsed = FrequencyCapOf(cap);
      if (!parsed.ok()) return parsed.status();
      std::tie(r.cap_messages_, r.cap_within_) = *parsed;
    }
    if (const YAML::Node delivery = doc["delivery"]) {
      auto policy = RetryPolicyOf(delivery, r.channels_);
      if (!policy.ok()) return policy.status();
      r.retry_ = *std::move(policy);
    }
    auto categories = CategoriesOf(doc["categories"]);
    if (!categories.ok()) return categories.status();
    r.categories_ = *std::move(categories);
    r.default_category_ = doc["default_category"].as<std::string>();
    if (!r.categories_.count(r.default_category_)) {
      return Fail("default_category",
                  absl::StrCat("'", r.default_category_, "' is not in 'categories'"));
    }
    return r;
  });
}

const CategoryRule* Routing::Category(const std::string& name) const {
  auto it = categories_.find(name);
  return it == categories_.end() ? nullptr : &it->second;
}

std::vector<std::string> Routing::Candidates(const std::string& segment,
                                             const std::vector<std::string>& preferred,
                                             const std::string& hint) const {
  std::vector<std::string> out;
  auto add = [&](const std::string& c) {
    if (channels_.count(c) && std::find(out.begin(), out.end(), c) == out.end()) out.push_back(c);
  };
  if (auto it = segments_.find(segment); it != segments_.end()) {
    for (const auto& c : it->second) add(c);
  }
  for (const auto& c : preferred) add(c);
  if (!hint.empty()) add(hint);
  for (const auto& c : defaults_) add(c);
  return out;
}

absl::StatusOr<Decision> Decide(const Routing& routing, const Owner& owner,
                                const std::string& category, const std::string& hint,
                                TimePoint now) {
  const std::string& name = category.empty() ? routing.default_category() : category;
  const CategoryRule* rule = routing.RuleFor(category);
  if (rule == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat("category '", name, "' is not configured (channels.yaml)"));
  }
  Decision d;
  if (!rule->mandatory && owner.opted_out_categories.count(name)) {
    d.kind = Decision::kSuppress;
    d.reason = "opted_out";
    return d;
  }
  for (const auto& c : routing.Candidates(owner.segment, owner.preferred_channels, hint)) {
    if (!owner.reachable.count(c)) continue;
    if (!rule->mandatory && owner.opted_out_channels.count(c)) continue;
    d.channels.push_back(c);
  }
  if (d.channels.empty()) {
    d.kind = Decision::kSuppress;
    // Every reachable channel refused by the owner is their choice, not a gap.
    bool any_reachable = false;
    for (const auto& c : routing.Candidates(owner.segment, owner.preferred_channels, hint)) {
      any_reachable |= owner.reachable.count(c) > 0;
    }
    d.reason = any_reachable ? "opted_out" : "unreachable";
    return d;
  }
  if (rule->capped) {
    const auto since = now - routing.cap_within();
    const auto recent = std::count_if(owner.capped_sent.begin(), owner.capped_sent.end(),
                                      [&](TimePoint t) { return t > since && t <= now; });
    if (recent >= routing.cap_messages()) {
      d.kind = Decision::kSuppress;
      d.reason = "frequency_cap";
      d.channels.clear();
      return d;
    }
  }
  if (rule->quiet_hours) {
    absl::TimeZone zone = routing.zone();
    if (!owner.time_zone.empty() && !absl::LoadTimeZone(owner.time_zone, &zone))
      zone = routing.zone();
    const TimePoint after = AfterHours(now, zone, routing.quiet_hours());
    if (after != now) {
      d.kind = Decision::kDefer;
      d.at = after;
    }
  }
  return d;
}

}  // namespace mot::notification
