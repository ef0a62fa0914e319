#include "domain/playbook.h"

#include <algorithm>
#include <cctype>

#include "absl/strings/numbers.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "mot/common/log.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "mot/common/config.h"
#include "mot/common/ids.h"
#include "mot/common/validate.h"
#include "mot/common/yaml.h"

namespace mot::scheduler {
namespace {

// The parameters each service's action needs.
const std::map<std::string, std::vector<std::string>>& RequiredParams() {
  static const std::map<std::string, std::vector<std::string>> kRequired = {
      {"notification", {"template"}}, {"survey", {"survey"}}, {"ticketing", {"kind"}}};
  return kRequired;
}

absl::StatusOr<std::chrono::milliseconds> DurationField(const YAML::Node& node,
                                                        const std::string& where) {
  auto d = ParseDuration(node.as<std::string>());
  if (!d.ok()) return absl::InvalidArgumentError(absl::StrCat(where, ": ", d.status().message()));
  return *d;
}

// A scalar or a list of scalars, as a list.
std::vector<std::string> Words(const YAML::Node& node) {
  std::vector<std::string> out;
  if (node.IsSequence()) {
    for (const auto& n : node) out.push_back(n.as<std::string>());
  } else if (node.IsScalar()) {
    out.push_back(node.as<std::string>());
  }
  return out;
}

bool Contains(const std::vector<std::string>& list, const std::string& value) {
  return std::find(list.begin(), list.end(), value) != list.end();
}

// The longest offset a step may name (after, every x times, a date's ± offset).
constexpr auto kMaxOffset = std::chrono::hours(24 * 365 * 100);

absl::StatusOr<absl::CivilDay> ParseDay(const std::string& text) { return ParseDate(text); }

const std::set<std::string>& StepFields() {
  static const std::set<std::string> fields = {
      "id", "title", "on", "calendar", "when", "after", "at", "every", "times",
      "contact_window", "requires", "exits", "category", "action"};
  return fields;
}

}  // namespace

std::vector<std::string> ActionServices() {
  std::vector<std::string> out;
  for (const auto& [service, _] : RequiredParams()) out.push_back(service);
  return out;
}

const std::vector<std::string>& LifecycleEventTypes() {
  static const std::vector<std::string> types = {
      "prospect_visit",     "contract_signed",  "signing_progress", "construction_progress",
      "design_change",      "policy_change",    "handover_rescheduled", "handover",
      "handover_refused",   "handover_defect_found", "repair_requested", "complaint_filed",
      "unit_resold",
      "customer_opt_out",   "repurchase",       "referral_made",    "community_activity",
      "customer_forgotten"};
  return types;
}

void MergeProfile(const customer::v1::CustomerProfile& p, CustomerFacts* f) {
  f->customer_id = p.customer_id();
  if (!p.tier().empty()) f->tier = p.tier();
  if (!p.segment().empty()) f->segment = p.segment();
  if (!p.profile_type().empty()) f->profile_type = p.profile_type();
  if (!p.time_zone().empty()) f->time_zone = p.time_zone();
  if (p.birth_month() >= 1 && p.birth_month() <= 12 && p.birth_day() >= 1 && p.birth_day() <= 31) {
    f->birth_month = p.birth_month();
    f->birth_day = p.birth_day();
  }
}

bool Playbook::Knows(const std::string& event_type) const {
  return Contains(LifecycleEventTypes(), event_type) || Triggers(event_type);
}

bool Playbook::Triggers(const std::string& event_type) const {
  return std::any_of(steps_.begin(), steps_.end(),
                     [&](const Step& s) { return s.on == event_type; });
}

bool Playbook::NeedsFacts(const std::string& event_type) const {
  if (!Reanchors(event_type).empty()) return true;
  return std::any_of(steps_.begin(), steps_.end(), [&](const Step& s) {
    return s.on == event_type && (s.contact_window || !s.anchor.empty() || !s.when.empty());
  });
}

const Step* Playbook::FindStep(const std::string& id) const {
  for (const auto& s : steps_) {
    if (s.id == id) return &s;
  }
  return nullptr;
}

std::vector<std::string> Playbook::ExitsFor(const Step& step) const {
  std::vector<std::string> out = step.exits;
  for (const auto& e : exits_) {
    if (!Contains(e.except, step.category) && !Contains(out, e.on)) out.push_back(e.on);
  }
  return out;
}

bool Playbook::Cancels(const std::string& event_type) const {
  if (IsJourneyExit(event_type)) return true;
  return std::any_of(steps_.begin(), steps_.end(),
                     [&](const Step& s) { return Contains(s.exits, event_type); });
}

bool Playbook::IsJourneyExit(const std::string& event_type) const {
  return std::any_of(exits_.begin(), exits_.end(),
                     [&](const JourneyExit& e) { return e.on == event_type; });
}

std::string Playbook::Reanchors(const std::string& event_type) const {
  auto it = reanchor_.find(event_type);
  return it == reanchor_.end() ? "" : it->second;
}

namespace {

std::string Param(const Step& step, const std::string& name) {
  auto it = step.action.params.find(name);
  return it == step.action.params.end() ? "" : it->second;
}

// One step; `pb` has everything but the steps.
absl::StatusOr<Step> ParseStep(const YAML::Node& n, size_t index, const Playbook& pb,
                               const std::map<std::string, AttributeRule>& attributes) {
  Step step;
  if (!n.IsMap()) return Fail(absl::StrCat("steps[", index, "]"), "must be a map");
  step.id = n["id"] ? n["id"].as<std::string>() : "";
  const std::string where =
      step.id.empty() ? absl::StrCat("steps[", index, "]") : absl::StrCat("step '", step.id, "'");
  for (const auto& kv : n) {
    const std::string key = kv.first.as<std::string>();
    if (!StepFields().count(key)) {
      return Fail(where, absl::StrCat("unknown field '", key, "'; expected one of ",
                                      absl::StrJoin(StepFields(), ", ")));
    }
  }
  if (auto s = RequireKeys(n, where, {"id", "title", "action"}); !s.ok()) return s;
  step.title = n["title"].as<std::string>();
  if (n["on"]) step.on = n["on"].as<std::string>();
  if (n["calendar"]) step.calendar = n["calendar"].as<std::string>();
  if (step.on.empty() == step.calendar.empty()) {
    return Fail(where, "exactly one of 'on' (an event type) and 'calendar' is required");
  }
  if (!step.calendar.empty() && step.calendar != "birthday" &&
      !pb.festivals().count(step.calendar)) {
    return Fail(where, absl::StrCat("calendar: '", step.calendar,
                                    "' is neither 'birthday' nor a festival under calendars.festivals"));
  }
  if (n["after"] && n["at"]) return Fail(where, "'after' and 'at' exclude each other");
  if (n["after"]) {
    auto d = DurationField(n["after"], where + ": after");
    if (!d.ok()) return d.status();
    step.after = *d;
  }
  if (n["at"]) {
    if (step.on.empty()) return Fail(where, "at: needs an event trigger ('on')");
    auto anchor = ParseAnchor(n["at"].as<std::string>());
    if (!anchor.ok()) return Fail(where, absl::StrCat("at: ", anchor.status().message()));
    auto rule = attributes.find(anchor->first);
    if (rule == attributes.end() || !rule->second.date) {
      return Fail(where, absl::StrCat("at: '", anchor->first,
                                      "' is not declared a date under 'attributes'"));
    }
    step.anchor = anchor->first;
    step.anchor_offset = anchor->second;
  }
  if (n["every"]) {
    auto d = DurationField(n["every"], where + ": every");
    if (!d.ok()) return d.status();
    if (d->count() <= 0) return Fail(where, "every: must be longer than 0");
    step.every = *d;
    if (!n["times"]) return Fail(where, "every: needs 'times', the most occurrences in all");
  }
  if (n["times"]) {
    if (step.every.count() == 0) return Fail(where, "times: needs 'every'");
    const std::string t = n["times"].as<std::string>();
    if (!absl::SimpleAtoi(t, &step.times) || step.times < 1 || step.times > 1000) {
      return Fail(where, "times: expected a whole number from 1 to 1000");
    }
  }
  if (step.after > kMaxOffset || step.every > kMaxOffset / std::max(1, step.times - 1) ||
      step.anchor_offset.months > 1200 || step.anchor_offset.rest > kMaxOffset) {
    return Fail(where, "timing: offsets beyond 100 years are refused");
  }
  if (n["when"]) {
    if (!n["when"].IsMap()) return Fail(where, "when: expected a map of key: value or [values]");
    for (const auto& kv : n["when"]) {
      Condition c{kv.first.as<std::string>(), Words(kv.second)};
      if (c.values.empty()) return Fail(where, absl::StrCat("when.", c.key, ": no value"));
      step.when.push_back(std::move(c));
    }
  }
  if (n["requires"]) step.required = Words(n["requires"]);
  if (n["exits"]) step.exits = Words(n["exits"]);
  for (const auto& e : step.exits) {
    if (e.empty()) return Fail(where, "exits: an empty event type");
  }
  if (n["category"]) step.category = n["category"].as<std::string>();
  if (!n["action"].IsMap()) return Fail(where, "action: expected a map with 'service'");
  for (const auto& kv : n["action"]) {
    step.action.params[kv.first.as<std::string>()] = kv.second.as<std::string>();
  }
  step.action.service = Param(step, "service");
  step.action.params.erase("service");
  auto required = RequiredParams().find(step.action.service);
  if (required == RequiredParams().end()) {
    return Fail(where, absl::StrCat("action.service '", step.action.service,
                                    "' is unknown; expected notification, survey or ticketing"));
  }
  for (const auto& p : required->second) {
    if (Param(step, p).empty()) {
      return Fail(where, absl::StrCat("action.", p, " is required for ", step.action.service));
    }
  }
  step.contact_window = step.action.service != "ticketing";
  if (n["contact_window"]) {
    const std::string w = n["contact_window"].as<std::string>();
    if (w != "true" && w != "false") return Fail(where, "contact_window: expected true or false");
    step.contact_window = w == "true";
  }
  return step;
}

}  // namespace

absl::StatusOr<Playbook> Playbook::FromYaml(const std::string& yaml, const std::string& source) {
  auto parsed = GuardYaml([&]() -> absl::StatusOr<Playbook> {
    Playbook pb;
    auto parsed = ParseYaml(yaml);
    if (!parsed.ok()) return parsed.status();
    const YAML::Node& root = *parsed;
    if (!root.IsMap()) return absl::InvalidArgumentError("expected a map with 'stages' and 'steps'");
    pb.version_ = root["version"] ? root["version"].as<std::string>()
                                  : absl::StrFormat("%012x", StableHash(yaml) >> 16);
    auto stages_section = YamlSection(root, "stages", "a map of the lifecycle stage windows");
    if (!stages_section.ok()) return stages_section.status();
    const YAML::Node& stages = *stages_section;
    if (auto s = RequireKeys(stages, "stages", {"prospect_1", "runin_1", "runin_2", "stable"});
        !s.ok()) {
      return s;
    }
    for (auto [field, target] :
         {std::pair{"prospect_1", &pb.stages_.prospect_1}, std::pair{"runin_1", &pb.stages_.runin_1},
          std::pair{"runin_2", &pb.stages_.runin_2}, std::pair{"stable", &pb.stages_.stable}}) {
      auto d = DurationField(stages[field], absl::StrCat("stages.", field));
      if (!d.ok()) return d.status();
      *target = *d;
    }
    auto zone = LoadZone(root["time_zone"] ? root["time_zone"].as<std::string>() : "Asia/Shanghai");
    if (!zone.ok()) return zone.status();
    pb.zone_ = *zone;
    for (const auto& kv : root["project_time_zones"]) {
      auto z = LoadZone(kv.second.as<std::string>());
      if (!z.ok()) {
        return Fail(absl::StrCat("project_time_zones.", kv.first.as<std::string>()),
                    std::string(z.status().message()));
      }
      pb.project_zones_[kv.first.as<std::string>()] = *z;
    }
    if (stages["signing_event"]) pb.stages_.signing_event = stages["signing_event"].as<std::string>();
    if (stages["handover_event"]) {
      pb.stages_.handover_event = stages["handover_event"].as<std::string>();
    }
    if (const YAML::Node w = root["contact_window"]) {
      for (auto [field, target] : {std::pair{"start", &pb.window_.start_minute},
                                   std::pair{"end", &pb.window_.end_minute}}) {
        if (!w[field]) return Fail("contact_window", absl::StrCat("'", field, "' is required"));
        auto m = ParseLocalTime(w[field].as<std::string>());
        if (!m.ok()) return Fail(absl::StrCat("contact_window.", field), std::string(m.status().message()));
        *target = *m;
      }
      if (pb.window_.start_minute == pb.window_.end_minute) {
        return Fail("contact_window", "start and end are the same time");
      }
    }
    for (const auto& kv : root["attributes"]) {
      const std::string name = kv.first.as<std::string>();
      AttributeRule rule;
      if (kv.second.IsScalar() && kv.second.as<std::string>() == "date") {
        rule.date = true;
      } else if (kv.second.IsSequence() && kv.second.size() > 0) {
        rule.values = Words(kv.second);
      } else if (!(kv.second.IsScalar() && kv.second.as<std::string>() == "text")) {
        return Fail(absl::StrCat("attributes.", name), "expected 'date', 'text' or a list of values");
      }
      pb.attributes_[name] = std::move(rule);
    }
    for (const auto& kv : root["reanchor"]) {
      const std::string event = kv.first.as<std::string>(), attr = kv.second.as<std::string>();
      auto rule = pb.attributes_.find(attr);
      if (rule == pb.attributes_.end() || !rule->second.date) {
        return Fail(absl::StrCat("reanchor.", event),
                    absl::StrCat("'", attr, "' is not declared a date under 'attributes'"));
      }
      pb.reanchor_[event] = attr;
    }
    if (const YAML::Node exits = root["exits"]) {
      if (!exits.IsSequence()) return Fail("exits", "expected a list of {on, except}");
      for (size_t i = 0; i < exits.size(); ++i) {
        const std::string where = absl::StrCat("exits[", i, "]");
        if (auto s = RequireKeys(exits[i], where, {"on"}); !s.ok()) return s;
        JourneyExit e{exits[i]["on"].as<std::string>(), {}};
        if (exits[i]["except"]) e.except = Words(exits[i]["except"]);
        pb.exits_.push_back(std::move(e));
      }
    }
    if (const YAML::Node cal = root["calendars"]) {
      if (cal["plan_ahead"]) {
        auto d = DurationField(cal["plan_ahead"], "calendars.plan_ahead");
        if (!d.ok()) return d.status();
        pb.plan_ahead_ = *d;
      }
      for (const auto& kv : cal["festivals"]) {
        const std::string name = kv.first.as<std::string>();
        if (name == "birthday") return Fail("calendars.festivals", "'birthday' is reserved");
        std::vector<absl::CivilDay> days;
        for (const auto& d : Words(kv.second)) {
          auto day = ParseDay(d);
          if (!day.ok()) {
            return Fail(absl::StrCat("calendars.festivals.", name),
                        absl::StrCat("'", d, "': ", day.status().message()));
          }
          days.push_back(*day);
        }
        if (days.empty()) return Fail(absl::StrCat("calendars.festivals.", name), "no dates");
        std::sort(days.begin(), days.end());
        pb.festivals_[name] = std::move(days);
      }
    }

    auto steps_section = YamlSection(root, "steps", "a non-empty list of steps");
    if (!steps_section.ok()) return steps_section.status();
    const YAML::Node& steps = *steps_section;
    if (!steps.IsSequence()) return absl::InvalidArgumentError("'steps' must be a non-empty list");
    std::set<std::string> seen;
    for (size_t i = 0; i < steps.size(); ++i) {
      auto step = ParseStep(steps[i], i, pb, pb.attributes_);
      if (!step.ok()) return step.status();
      if (!seen.insert(step->id).second) {
        return Fail(absl::StrCat("step '", step->id, "'"), "duplicate id");
      }
      pb.steps_.push_back(*std::move(step));
    }
    return pb;
  });
  if (!parsed.ok() && !source.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(source, ": ", parsed.status().message()));
  }
  return parsed;
}

absl::StatusOr<absl::TimeZone> LoadZone(const std::string& name) {
  absl::TimeZone zone;
  if (name.empty() || !absl::LoadTimeZone(name, &zone)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "time zone '", name, "' is unknown; expected an IANA name such as Asia/Shanghai"));
  }
  return zone;
}

const absl::TimeZone& Playbook::ZoneOf(const std::string& project_id) const {
  auto it = project_zones_.find(project_id);
  return it == project_zones_.end() ? zone_ : it->second;
}

absl::TimeZone Playbook::ZoneFor(const CustomerFacts& facts) const {
  if (!facts.time_zone.empty()) {
    absl::TimeZone zone;
    if (absl::LoadTimeZone(facts.time_zone, &zone)) return zone;
  }
  return ZoneOf(facts.project_id);
}

absl::StatusOr<std::pair<std::string, DateOffset>> ParseAnchor(const std::string& text) {
  std::string attr;
  size_t i = 0;
  while (i < text.size() && (std::isalnum(static_cast<unsigned char>(text[i])) || text[i] == '_')) {
    attr += text[i++];
  }
  if (attr.empty()) {
    return absl::InvalidArgumentError(
        "expected '<date attribute> [+|-] <duration>', e.g. 'planned_handover_date - 3mo'");
  }
  while (i < text.size() && text[i] == ' ') ++i;
  DateOffset off;
  if (i == text.size()) return std::make_pair(attr, off);
  if (text[i] != '+' && text[i] != '-') {
    return absl::InvalidArgumentError(absl::StrCat("expected + or - after '", attr, "'"));
  }
  off.sign = text[i] == '-' ? -1 : 1;
  ++i;
  while (i < text.size() && text[i] == ' ') ++i;
  const std::string rest = text.substr(i);
  if (rest.empty()) return absl::InvalidArgumentError("a duration is missing after the sign");
  // Months and years are calendar months; the rest is a plain duration.
  size_t j = 0;
  std::string plain;
  while (j < rest.size()) {
    size_t start = j;
    while (j < rest.size() && std::isdigit(static_cast<unsigned char>(rest[j]))) ++j;
    size_t unit_start = j;
    while (j < rest.size() && std::isalpha(static_cast<unsigned char>(rest[j]))) ++j;
    const std::string number = rest.substr(start, unit_start - start);
    const std::string unit = rest.substr(unit_start, j - unit_start);
    int value = 0;
    if (number.empty() || !absl::SimpleAtoi(number, &value) || value > 100000) {
      return absl::InvalidArgumentError(absl::StrCat("bad duration '", rest, "'"));
    }
    if (unit == "mo") {
      off.months += value;
    } else if (unit == "y") {
      off.months += 12 * value;
    } else {
      plain += number + unit;
    }
  }
  if (!plain.empty()) {
    auto d = ParseDuration(plain);
    if (!d.ok()) return absl::InvalidArgumentError(absl::StrCat("bad duration '", rest, "'"));
    off.rest = *d;
  }
  return std::make_pair(attr, off);
}

TimePoint AtDate(absl::CivilDay day, const DateOffset& off, const absl::TimeZone& zone) {
  if (off.months != 0) {
    const absl::CivilMonth month = absl::CivilMonth(day) + off.sign * off.months;
    // The same day of the month, clamped to the month's last day.
    const absl::CivilDay last = absl::CivilDay(month + 1) - 1;
    day = absl::CivilDay(month.year(), month.month(), std::min<int>(day.day(), last.day()));
  }
  const TimePoint midnight = FromUnixMillis(absl::ToUnixMillis(absl::FromCivil(day, zone)));
  return off.sign < 0 ? midnight - off.rest : midnight + off.rest;
}

absl::Status ValidateEvent(const lifecycle::v1::LifecycleEvent& event, TimePoint now,
                           const EventWindow& window) {
  if (auto s = RequireFields({{"event_id", &event.event_id()},
                               {"type", &event.type()},
                               {"customer_id", &event.customer_id()}});
      !s.ok()) {
    return s;
  }
  if (!event.has_occurred_at()) return absl::InvalidArgumentError("occurred_at is required");
  return CheckWithin(event.occurred_at(), "occurred_at", now, window);
}

namespace {

const std::string* Attribute(const lifecycle::v1::LifecycleEvent* event, const std::string& key) {
  if (event == nullptr) return nullptr;
  auto it = event->attributes().find(key);
  return it == event->attributes().end() || it->second.empty() ? nullptr : &it->second;
}

// The value a condition looks at: the event's attribute, else the profile's.
std::string ConditionValue(const std::string& key, const lifecycle::v1::LifecycleEvent* event,
                           const CustomerFacts& facts, TimePoint at, const StageWindows& stages) {
  if (key == "stage") return DeriveStage(facts.signed_at, facts.handover_at, at, stages);
  if (const std::string* v = Attribute(event, key)) return *v;
  if (key == "tier") return facts.tier;
  if (key == "segment") return facts.segment;
  if (key == "profile") return facts.profile_type;
  return "";
}

bool Holds(const Step& step, const lifecycle::v1::LifecycleEvent* event, const CustomerFacts& facts,
           TimePoint at, const StageWindows& stages) {
  return std::all_of(step.when.begin(), step.when.end(), [&](const Condition& c) {
    return Contains(c.values, ConditionValue(c.key, event, facts, at, stages));
  });
}

// InvalidArgument naming the step and the attribute (never its value).
absl::Status CheckAttribute(const Playbook& pb, const Step& step,
                            const lifecycle::v1::LifecycleEvent& event, const std::string& name) {
  const std::string* v = Attribute(&event, name);
  const std::string where = absl::StrCat("attribute '", name, "' (needed by step '", step.id, "')");
  if (v == nullptr) return absl::InvalidArgumentError(absl::StrCat(where, " is missing"));
  auto rule = pb.attributes().find(name);
  if (rule == pb.attributes().end()) return absl::OkStatus();
  if (rule->second.date && !ParseDay(*v).ok()) {
    return absl::InvalidArgumentError(absl::StrCat(where, " is not a date YYYY-MM-DD"));
  }
  if (!rule->second.values.empty() && !Contains(rule->second.values, *v)) {
    return absl::InvalidArgumentError(absl::StrCat(where, " is not one of ",
                                                   absl::StrJoin(rule->second.values, "|")));
  }
  return absl::OkStatus();
}

// Where a step's touchpoint goes and what it says, for one occurrence.
struct Occasion {
  std::string id;
  std::string event_id;
  std::string event_type;
  TimePoint due{};
  const google::protobuf::Map<std::string, std::string>* attributes = nullptr;
  std::map<std::string, std::string> extra;  // more template variables
  TimePoint occurred{};
};

// An event's attributes as commands may carry them: an attribute whose name says it
// holds personal data (a name, phone, e-mail, id number, address) is left out, and
// phone numbers, id numbers and e-mail addresses written in any other value (a
// repair's description in the owner's words) of an enterprise system's event are masked. Commands wait in Redis until
// due and travel on Kafka: owners' personal data belongs in the sealed profile only.
bool PersonalAttribute(std::string_view name) {
  const std::string lower = absl::AsciiStrToLower(absl::string_view(name.data(), name.size()));
  for (std::string_view part : {"name", "phone", "mobile", "mail", "id_card", "id_number", "identity",
                                "passport", "address", "contact"}) {
    if (lower.find(part) != std::string::npos) return true;
  }
  return false;
}

PlannedTouchpoint Build(const Playbook& pb, const Step& step, const CustomerFacts& facts,
                        const Occasion& o) {
  PlannedTouchpoint p;
  v1::Touchpoint& tp = p.touchpoint;
  tp.set_id(o.id);
  tp.set_step_id(step.id);
  tp.set_title(step.title);
  tp.set_service(step.action.service);
  tp.set_customer_id(facts.customer_id);
  tp.set_event_id(o.event_id);
  tp.set_event_type(o.event_type);
  tp.set_status(v1::TOUCHPOINT_STATUS_SCHEDULED);
  tp.set_playbook_version(pb.version());
  tp.set_anchor(step.anchor);
  tp.set_category(step.category);
  for (const auto& e : pb.ExitsFor(step)) tp.add_exit_on(e);
  const absl::TimeZone zone = pb.ZoneFor(facts);
  const TimePoint due = step.contact_window ? IntoWindow(o.due, zone, pb.contact_window()) : o.due;
  *tp.mutable_due_at() = ToProto(due);

  if (step.action.service == "notification") {
    notification::v1::SendNotificationCommand cmd;
    cmd.set_command_id(tp.id());
    cmd.set_touchpoint_id(tp.id());
    cmd.set_customer_id(facts.customer_id);
    cmd.set_template_id(Param(step, "template"));
    cmd.set_channel(Param(step, "channel"));
    cmd.set_category(step.category);
    auto& vars = *cmd.mutable_variables();
    if (o.attributes != nullptr) {
      // Domain events (ticket.resolved, survey.created ...) are our services' own: their
      // ids and links are kept as they are.
      const bool ours = o.event_type.find('.') != std::string::npos;
      for (const auto& [k, v] : *o.attributes) {
        if (!PersonalAttribute(k)) vars[k] = ours ? v : MaskPersonalData(v);
      }
    }
    for (const auto& [k, v] : o.extra) vars[k] = v;
    vars["project_id"] = facts.project_id;
    vars["unit_id"] = facts.unit_id;
    // The owner's calendar date, not UTC's (an evening in UTC is the next morning in China).
    vars["event_date"] = absl::FormatTime("%Y-%m-%d", absl::FromUnixMillis(ToUnixMillis(o.occurred)),
                                          zone);
    *cmd.mutable_requested_at() = tp.due_at();
    p.payload = cmd.SerializeAsString();
  } else if (step.action.service == "survey") {
    survey::v1::CreateSurveyCommand cmd;
    cmd.set_command_id(tp.id());
    cmd.set_touchpoint_id(tp.id());
    cmd.set_customer_id(facts.customer_id);
    cmd.set_survey_id(Param(step, "survey"));
    cmd.set_project_id(facts.project_id);
    cmd.set_unit_id(facts.unit_id);
    *cmd.mutable_requested_at() = tp.due_at();
    p.payload = cmd.SerializeAsString();
  } else {
    ticketing::v1::OpenTicketCommand cmd;
    cmd.set_command_id(tp.id());
    cmd.set_touchpoint_id(tp.id());
    cmd.set_customer_id(facts.customer_id);
    cmd.set_unit_id(facts.unit_id);
    cmd.set_project_id(facts.project_id);
    std::string kind = Param(step, "kind"), summary = step.title;
    if (o.attributes != nullptr) {
      // The event may name a more specific kind (complaint_major ...).
      if (auto it = o.attributes->find("ticket_kind"); it != o.attributes->end()) kind = it->second;
      if (auto it = o.attributes->find("problem"); it != o.attributes->end()) summary = MaskPersonalData(it->second);
      // What it is about (plumbing, wall ...): picks the team, links repeat complaints.
      if (auto it = o.attributes->find("category"); it != o.attributes->end()) cmd.set_category(it->second);
      if (auto it = o.attributes->find("defect_code"); it != o.attributes->end()) cmd.set_defect_code(it->second);
    }
    cmd.set_kind(kind);
    cmd.set_summary(summary);
    *cmd.mutable_requested_at() = tp.due_at();
    p.payload = cmd.SerializeAsString();
  }
  return p;
}

CustomerFacts FactsOf(const lifecycle::v1::LifecycleEvent& event, CustomerFacts facts) {
  facts.customer_id = event.customer_id();
  if (!event.project_id().empty()) facts.project_id = event.project_id();
  if (!event.unit_id().empty()) facts.unit_id = event.unit_id();
  return facts;
}

}  // namespace

void ApplyEvent(const Playbook& pb, const lifecycle::v1::LifecycleEvent& event, CustomerFacts* f) {
  *f = FactsOf(event, *f);
  const TimePoint at = FromProto(event.occurred_at());
  if (event.type() == pb.stages().signing_event && !f->signed_at) f->signed_at = at;
  if (event.type() == pb.stages().handover_event) f->handover_at = at;
  if (const std::string* tier = Attribute(&event, "tier")) f->tier = *tier;
  if (const std::string* profile = Attribute(&event, "profile")) f->profile_type = *profile;
  if (pb.IsJourneyExit(event.type())) f->exited.insert(event.type());
}

absl::StatusOr<std::vector<PlannedTouchpoint>> Plan(const Playbook& pb,
                                                    const lifecycle::v1::LifecycleEvent& event,
                                                    const CustomerFacts& before) {
  std::vector<PlannedTouchpoint> out;
  CustomerFacts facts = before;
  ApplyEvent(pb, event, &facts);
  const TimePoint occurred = FromProto(event.occurred_at());
  const absl::TimeZone zone = pb.ZoneFor(facts);
  for (const Step& step : pb.steps()) {
    if (step.on != event.type()) continue;
    for (const auto& name : step.required) {
      if (auto s = CheckAttribute(pb, step, event, name); !s.ok()) return s;
    }
    TimePoint first = occurred + step.after;
    if (!step.anchor.empty()) {
      if (auto s = CheckAttribute(pb, step, event, step.anchor); !s.ok()) return s;
      first = AtDate(*ParseDay(event.attributes().at(step.anchor)), step.anchor_offset, zone);
    }
    if (!Holds(step, &event, facts, occurred, pb.stages())) continue;
    Occasion o;
    o.id = DeterministicId("tp", {event.event_id(), step.id});
    o.event_id = event.event_id();
    o.event_type = event.type();
    o.due = first;
    o.attributes = &event.attributes();
    o.occurred = occurred;
    out.push_back(Build(pb, step, facts, o));
    if (step.times > 1) {
      auto& tp = out.back().touchpoint;
      tp.set_occurrences(step.times);
      tp.set_every_ms(step.every.count());
    }
  }
  return out;
}

std::optional<PlannedTouchpoint> NextOccurrence(const PlannedTouchpoint& p) {
  const auto& tp = p.touchpoint;
  if (tp.occurrence() + 1 >= tp.occurrences() || tp.every_ms() <= 0) return std::nullopt;
  PlannedTouchpoint next = p;
  v1::Touchpoint& n = next.touchpoint;
  n.set_occurrence(tp.occurrence() + 1);
  n.set_id(DeterministicId("tp", {tp.event_id(), tp.step_id(), std::to_string(n.occurrence())}));
  n.set_status(v1::TOUCHPOINT_STATUS_SCHEDULED);
  n.clear_outcome();
  n.clear_result_ref();
  n.clear_previous_due_at();
  *n.mutable_due_at() = ToProto(FromProto(tp.due_at()) + std::chrono::milliseconds(tp.every_ms()));
  // The same command, addressed to the new touchpoint.
  const auto readdress = [&](auto cmd) {
    if (!cmd.ParseFromString(p.payload)) return std::string();
    cmd.set_command_id(n.id());
    cmd.set_touchpoint_id(n.id());
    *cmd.mutable_requested_at() = n.due_at();
    return cmd.SerializeAsString();
  };
  if (tp.service() == "notification") {
    next.payload = readdress(notification::v1::SendNotificationCommand());
  } else if (tp.service() == "survey") {
    next.payload = readdress(survey::v1::CreateSurveyCommand());
  } else {
    next.payload = readdress(ticketing::v1::OpenTicketCommand());
  }
  return next;
}

absl::StatusOr<std::map<std::string, TimePoint>> Reanchor(const Playbook& pb,
                                                          const lifecycle::v1::LifecycleEvent& event,
                                                          const CustomerFacts& before) {
  std::map<std::string, TimePoint> out;
  const std::string attr = pb.Reanchors(event.type());
  if (attr.empty()) return out;
  const std::string* v = Attribute(&event, attr);
  if (v == nullptr || !ParseDay(*v).ok()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "attribute '", attr, "' (the date ", event.type(), " moves) is ",
        v == nullptr ? "missing" : "not a date YYYY-MM-DD"));
  }
  const absl::CivilDay day = *ParseDay(*v);
  const CustomerFacts facts = FactsOf(event, before);
  const absl::TimeZone zone = pb.ZoneFor(facts);
  for (const Step& step : pb.steps()) {
    if (step.anchor != attr) continue;
    const TimePoint due = AtDate(day, step.anchor_offset, zone);
    out[step.id] = step.contact_window ? IntoWindow(due, zone, pb.contact_window()) : due;
  }
  return out;
}

namespace {

// The local calendar days of [from, to] on which `step` falls for this customer.
std::vector<absl::CivilDay> CalendarDays(const Playbook& pb, const Step& step,
                                         const CustomerFacts& facts, absl::CivilDay first,
                                         absl::CivilDay last) {
  std::vector<absl::CivilDay> out;
  if (step.calendar == "birthday") {
    if (facts.birth_month == 0) return out;
    for (int64_t y = first.year(); y <= last.year(); ++y) {
      const absl::CivilMonth month(y, facts.birth_month);
      const absl::CivilDay end_of_month = absl::CivilDay(month + 1) - 1;
      // 29 February: the 28th in other years.
      const absl::CivilDay day(y, facts.birth_month, std::min<int>(facts.birth_day, end_of_month.day()));
      if (day >= first && day <= last) out.push_back(day);
    }
    return out;
  }
  auto it = pb.festivals().find(step.calendar);
  if (it == pb.festivals().end()) return out;
  for (const auto& day : it->second) {
    if (day >= first && day <= last) out.push_back(day);
  }
  return out;
}

absl::CivilDay LocalDay(TimePoint t, const absl::TimeZone& zone) {
  return absl::ToCivilDay(absl::FromUnixMillis(ToUnixMillis(t)), zone);
}

}  // namespace

std::vector<PlannedTouchpoint> PlanCalendar(const Playbook& pb, const CustomerFacts& facts,
                                            TimePoint from, TimePoint to) {
  std::vector<PlannedTouchpoint> out;
  const absl::TimeZone zone = pb.ZoneFor(facts);
  const absl::CivilDay first = LocalDay(from, zone), last = LocalDay(to, zone);
  for (const Step& step : pb.steps()) {
    if (step.calendar.empty()) continue;
    const auto exits = pb.ExitsFor(step);
    if (std::any_of(facts.exited.begin(), facts.exited.end(),
                    [&](const std::string& e) { return Contains(exits, e); })) {
      continue;
    }
    for (const absl::CivilDay day : CalendarDays(pb, step, facts, first, last)) {
      const TimePoint at = AtDate(day, {}, zone) + step.after;
      if (!Holds(step, nullptr, facts, at, pb.stages())) continue;
      const std::string date = absl::FormatCivilTime(day);
      Occasion o;
      o.id = DeterministicId("tp", {"calendar", step.id, date, facts.customer_id});
      o.event_id = absl::StrCat("calendar:", step.calendar, ":", date);
      o.event_type = "calendar";
      o.due = at;
      o.occurred = at;
      o.extra = {{"calendar", step.calendar}, {"date", date}};
      out.push_back(Build(pb, step, facts, o));
    }
  }
  return out;
}

bool HasFestivalDates(const Playbook& pb, TimePoint from, TimePoint to) {
  // Any zone is within a day of UTC's date.
  const absl::CivilDay first = LocalDay(from, absl::UTCTimeZone()) - 1;
  const absl::CivilDay last = LocalDay(to, absl::UTCTimeZone()) + 1;
  return std::any_of(pb.steps().begin(), pb.steps().end(), [&](const Step& step) {
    return !step.calendar.empty() && step.calendar != "birthday" &&
           !CalendarDays(pb, step, {}, first, last).empty();
  });
}

bool HasBirthdaySteps(const Playbook& pb) {
  return std::any_of(pb.steps().begin(), pb.steps().end(),
                     [](const Step& step) { return step.calendar == "birthday"; });
}

absl::StatusOr<std::vector<v1::Touchpoint>> Simulate(const Playbook& pb,
                                                     const CustomerFacts& profile,
                                                     std::vector<lifecycle::v1::LifecycleEvent> events,
                                                     TimePoint until) {
  std::stable_sort(events.begin(), events.end(), [](const auto& a, const auto& b) {
    return FromProto(a.occurred_at()) < FromProto(b.occurred_at());
  });
  CustomerFacts facts = profile;
  std::vector<v1::Touchpoint> journey;
  std::set<std::string> ids;
  const auto fire_until = [&](TimePoint t) {
    // Firing a recurring touchpoint plans its next occurrence, which may be due too.
    for (bool fired = true; fired;) {
      fired = false;
      for (size_t i = 0; i < journey.size(); ++i) {
        auto& tp = journey[i];
        if (tp.status() != v1::TOUCHPOINT_STATUS_SCHEDULED || FromProto(tp.due_at()) > t) continue;
        tp.set_status(v1::TOUCHPOINT_STATUS_DISPATCHED);
        fired = true;
        if (auto next = NextOccurrence({tp, ""}); next && ids.insert(next->touchpoint.id()).second) {
          journey.push_back(std::move(next->touchpoint));
        }
      }
    }
  };
  const auto add = [&](std::vector<PlannedTouchpoint> planned) {
    for (auto& p : planned) {
      if (ids.insert(p.touchpoint.id()).second) journey.push_back(std::move(p.touchpoint));
    }
  };
  for (size_t i = 0; i < events.size(); ++i) {
    auto& e = events[i];
    if (e.customer_id().empty()) e.set_customer_id(facts.customer_id.empty() ? "sample" : facts.customer_id);
    if (e.event_id().empty()) e.set_event_id(absl::StrCat("simulated-", i));
    const TimePoint at = FromProto(e.occurred_at());
    const auto refuse = [&](const absl::Status& s) {
      return absl::InvalidArgumentError(absl::StrCat("events[", i, "] (", e.type(), "): ", s.message()));
    };
    fire_until(at);
    auto moves = Reanchor(pb, e, facts);
    if (!moves.ok()) return refuse(moves.status());
    for (auto& tp : journey) {
      if (tp.status() != v1::TOUCHPOINT_STATUS_SCHEDULED) continue;
      if (auto m = moves->find(tp.step_id()); m != moves->end() && tp.anchor() == pb.Reanchors(e.type())) {
        *tp.mutable_previous_due_at() = tp.due_at();
        *tp.mutable_due_at() = ToProto(m->second);
      }
      if (Contains({tp.exit_on().begin(), tp.exit_on().end()}, e.type())) {
        tp.set_status(v1::TOUCHPOINT_STATUS_CANCELLED);
        tp.set_outcome(absl::StrCat("cancelled: ", e.type(), " (event ", e.event_id(), ")"));
      }
    }
    auto planned = Plan(pb, e, facts);
    if (!planned.ok()) return refuse(planned.status());
    ApplyEvent(pb, e, &facts);
    add(*std::move(planned));
  }
  if (!events.empty()) {
    // Calendar days from the first event on; none after an exit the step obeys.
    CustomerFacts before_exit = facts;
    before_exit.exited.clear();
    for (auto& p : PlanCalendar(pb, before_exit, FromProto(events.front().occurred_at()), until)) {
      const TimePoint due = FromProto(p.touchpoint.due_at());
      const bool exited = std::any_of(events.begin(), events.end(), [&](const auto& e) {
        return FromProto(e.occurred_at()) <= due &&
               Contains({p.touchpoint.exit_on().begin(), p.touchpoint.exit_on().end()}, e.type());
      });
      if (!exited && ids.insert(p.touchpoint.id()).second) journey.push_back(std::move(p.touchpoint));
    }
  }
  fire_until(until);
  std::stable_sort(journey.begin(), journey.end(), [](const auto& a, const auto& b) {
    return FromProto(a.due_at()) < FromProto(b.due_at());
  });
  return journey;
}

std::string DeriveStage(std::optional<TimePoint> signed_at, std::optional<TimePoint> handover_at,
                        TimePoint now, const StageWindows& w) {
  if (handover_at && now >= *handover_at) {
    const auto since = now - *handover_at;
    if (since < w.runin_1) return "RUNIN_1";
    if (since < w.runin_2) return "RUNIN_2";
    if (since < w.stable) return "STABLE";
    return "VETERAN";
  }
  if (signed_at && now >= *signed_at) {
    return now - *signed_at < w.prospect_1 ? "PROSPECT_1" : "PROSPECT_2";
  }
  return "";
}

namespace {

// "TICKET_EVENT_TYPE_RESOLVED" -> "ticket.resolved".
std::string TriggerType(const std::string& prefix, const std::string& enum_name,
                        const std::string& enum_prefix) {
  std::string name = enum_name.rfind(enum_prefix, 0) == 0 ? enum_name.substr(enum_prefix.size()) : enum_name;
  std::transform(name.begin(), name.end(), name.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return absl::StrCat(prefix, ".", name);
}

lifecycle::v1::LifecycleEvent Trigger(const std::string& type, const std::string& object_id,
                                      const std::string& customer_id, TimePoint at,
                                      const std::string& source) {
  lifecycle::v1::LifecycleEvent e;
  e.set_type(type);
  e.set_event_id(absl::StrCat(type, ":", object_id));
  e.set_customer_id(customer_id);
  e.set_source(source);
  *e.mutable_occurred_at() = ToProto(at);
  return e;
}

}  // namespace

std::optional<lifecycle::v1::LifecycleEvent> TriggerOf(const ticketing::v1::TicketEvent& event,
                                                       TimePoint now) {
  const auto& t = event.ticket();
  if (t.id().empty() || t.customer_id().empty() ||
      event.type() == ticketing::v1::TICKET_EVENT_TYPE_UNSPECIFIED) {
    return std::nullopt;
  }
  auto e = Trigger(TriggerType("ticket", ticketing::v1::TicketEventType_Name(event.type()),
                               "TICKET_EVENT_TYPE_"),
                   t.id(), t.customer_id(), event.has_occurred_at() ? FromProto(event.occurred_at()) : now,
                   "ticketing");
  e.set_project_id(t.project_id());
  e.set_unit_id(t.unit_id());
  (*e.mutable_attributes())["kind"] = t.kind();
  (*e.mutable_attributes())["ticket_id"] = t.id();
  return e;
}

std::optional<lifecycle::v1::LifecycleEvent> TriggerOf(const survey::v1::SurveyEvent& event,
                                                       TimePoint now, const Playbook& pb) {
  const auto& s = event.instance();
  if (s.id().empty() || s.customer_id().empty() ||
      event.type() == survey::v1::SURVEY_EVENT_TYPE_UNSPECIFIED) {
    return std::nullopt;
  }
  auto e = Trigger(TriggerType("survey", survey::v1::SurveyEventType_Name(event.type()),
                               "SURVEY_EVENT_TYPE_"),
                   s.id(), s.customer_id(), now, "survey");
  e.set_project_id(s.project_id());
  e.set_unit_id(s.unit_id());
  (*e.mutable_attributes())["survey_id"] = s.survey_id();
  (*e.mutable_attributes())["stage"] = s.stage();
  (*e.mutable_attributes())["instance_id"] = s.id();
  // For the invitation and the reminder: where to answer, what, and until when (the
  // owners' local date: a reminder is anchored on it).
  if (!s.link().empty()) (*e.mutable_attributes())["survey_link"] = s.link();
  (*e.mutable_attributes())["survey_title"] = s.title();
  if (s.has_expires_at()) {
    (*e.mutable_attributes())["survey_expires_date"] = absl::FormatTime(
        "%Y-%m-%d", absl::FromUnixMillis(ToUnixMillis(FromProto(s.expires_at()))), pb.ZoneOf(s.project_id()));
  }
  return e;
}

std::optional<lifecycle::v1::LifecycleEvent> TriggerOf(
    const notification::v1::NotificationEvent& event, TimePoint now) {
  const auto& d = event.delivery();
  if (d.id().empty() || d.customer_id().empty() ||
      d.status() == notification::v1::DELIVERY_STATUS_UNSPECIFIED) {
    return std::nullopt;
  }
  auto e = Trigger(TriggerType("notification", notification::v1::DeliveryStatus_Name(d.status()),
                               "DELIVERY_STATUS_"),
                   d.id(), d.customer_id(), now, "notification");
  (*e.mutable_attributes())["channel"] = d.channel();
  (*e.mutable_attributes())["template_id"] = d.template_id();
  return e;
}

std::optional<Outcome> OutcomeOf(const ticketing::v1::TicketEvent& event) {
  const auto& t = event.ticket();
  if (t.touchpoint_id().empty() || event.type() != ticketing::v1::TICKET_EVENT_TYPE_OPENED) {
    return std::nullopt;
  }
  Outcome o{t.customer_id(), t.touchpoint_id(), v1::TOUCHPOINT_STATUS_DONE, "", t.id()};
  o.summary = absl::StrCat(t.kind(), " ticket opened;");
  for (const auto& d : t.deadlines()) {
    absl::StrAppend(&o.summary, " ", d.milestone(), " by ", FormatTime(FromProto(d.due_at())), ";");
  }
  o.summary.pop_back();
  return o;
}

std::optional<Outcome> OutcomeOf(const notification::v1::NotificationEvent& event) {
  const auto& d = event.delivery();
  // Held for the owner's quiet hours, or to be tried again: its outcome comes later.
  if (d.touchpoint_id().empty() || d.status() == notification::v1::DELIVERY_STATUS_DEFERRED ||
      d.status() == notification::v1::DELIVERY_STATUS_RETRYING) {
    return std::nullopt;
  }
  // Not sent by the owner's choice or the frequency cap: cancelled, not failed.
  if (d.status() == notification::v1::DELIVERY_STATUS_SUPPRESSED) {
    return Outcome{d.customer_id(), d.touchpoint_id(), v1::TOUCHPOINT_STATUS_CANCELLED,
                   absl::StrCat("not sent: ", d.reason()), d.id()};
  }
  const bool ok = d.status() == notification::v1::DELIVERY_STATUS_DELIVERED;
  if (!ok && d.tried_size() > 0) {  // every channel tried: what each answered
    return Outcome{d.customer_id(), d.touchpoint_id(), v1::TOUCHPOINT_STATUS_FAILED,
                   absl::StrCat("not delivered on any channel: ", absl::StrJoin(d.tried(), "; ")),
                   d.id()};
  }
  return Outcome{d.customer_id(), d.touchpoint_id(), ok ? v1::TOUCHPOINT_STATUS_DONE : v1::TOUCHPOINT_STATUS_FAILED,
                 absl::StrCat(ok ? "delivered via " : "not delivered via ", d.channel(), " (",
                              d.provider_response(), ")"),
                 d.id()};
}

std::optional<Outcome> OutcomeOf(const survey::v1::SurveyEvent& event) {
  const auto& s = event.instance();
  if (s.touchpoint_id().empty()) return std::nullopt;
  // Not sent, or withdrawn, for survey fatigue: cancelled with the reason.
  if (event.type() == survey::v1::SURVEY_EVENT_TYPE_SUPPRESSED) {
    return Outcome{s.customer_id(), s.touchpoint_id(), v1::TOUCHPOINT_STATUS_CANCELLED, s.reason(), s.id()};
  }
  if (event.type() != survey::v1::SURVEY_EVENT_TYPE_CREATED) return std::nullopt;
  return Outcome{s.customer_id(), s.touchpoint_id(), v1::TOUCHPOINT_STATUS_DONE,
                 absl::StrCat("survey ", s.survey_id(), " (", s.stage(), ") open until ",
                              FormatTime(FromProto(s.expires_at()))),
                 s.id()};
}

}  // namespace mot::scheduler
