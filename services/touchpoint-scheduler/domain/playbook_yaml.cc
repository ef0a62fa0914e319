#include <algorithm>
#include <set>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "mot/common/config.h"
#include "mot/common/ids.h"
#include "mot/common/yaml.h"
#include "touchpoint-scheduler/domain/dates.h"
#include "touchpoint-scheduler/domain/playbook.h"

namespace mot::scheduler {
namespace {

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

// The longest offset a step may name (after, every x times, a date's ± offset).
constexpr auto kMaxOffset = std::chrono::hours(24 * 365 * 100);

const std::set<std::string>& StepFields() {
  static const std::set<std::string> fields = {
      "id",     "title",          "on",           "calendar",   "when",  "after",
      "at",     "every",          "times",        "requires",   "exits", "category",
      "action", "contact_window", "max_lateness", "stage_bound"};
  return fields;
}

// A lateness limit: a duration, or `never` (kNeverStale).
absl::StatusOr<std::chrono::milliseconds> LatenessField(const YAML::Node& node,
                                                        const std::string& where) {
  if (node.IsScalar() && node.as<std::string>() == "never") return kNeverStale;
  auto d = DurationField(node, where);
  if (!d.ok())
    return absl::InvalidArgumentError(absl::StrCat(d.status().message(), ", or 'never'"));
  return *d;
}

// A step's lateness: max_lateness (else the playbook's) and stage_bound.
absl::Status StepLateness(const YAML::Node& n, const std::string& where, const Playbook& pb,
                          Step& step) {
  step.max_lateness = pb.max_lateness();
  if (n["max_lateness"]) {
    auto d = LatenessField(n["max_lateness"], where + ": max_lateness");
    if (!d.ok()) return d.status();
    step.max_lateness = *d;
  }
  if (n["stage_bound"]) {
    const std::string b = n["stage_bound"].as<std::string>();
    if (b != "true" && b != "false") return Fail(where, "stage_bound: expected true or false");
    step.stage_bound = b == "true";
  }
  return absl::OkStatus();
}

// A step's timing: after, at (a date attribute ± an offset), every and times.
absl::Status StepTiming(const YAML::Node& n, const std::string& where,
                        const std::map<std::string, AttributeRule>& attributes, Step& step) {
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
  return absl::OkStatus();
}

// A step's action: the service and the parameters it needs; its contact window.
absl::Status StepAction(const YAML::Node& n, const std::string& where, Step& step) {
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
  return absl::OkStatus();
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
    return Fail(where,
                absl::StrCat("calendar: '", step.calendar,
                             "' is neither 'birthday' nor a festival under calendars.festivals"));
  }
  if (auto s = StepTiming(n, where, attributes, step); !s.ok()) return s;
  if (auto s = StepLateness(n, where, pb, step); !s.ok()) return s;
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
  if (auto s = StepAction(n, where, step); !s.ok()) return s;
  return step;
}

}  // namespace

// Reads a playbook section by section, each filling in its part of `pb`.
class PlaybookYaml {
 public:
  static absl::StatusOr<Playbook> Load(const std::string& yaml) {
    Playbook pb;
    auto parsed = ParseYaml(yaml);
    if (!parsed.ok()) return parsed.status();
    const YAML::Node& root = *parsed;
    if (!root.IsMap())
      return absl::InvalidArgumentError("expected a map with 'stages' and 'steps'");
    pb.version_ = root["version"] ? root["version"].as<std::string>()
                                  : absl::StrFormat("%012x", StableHash(yaml) >> 16);
    for (const auto section :
         {Stages, Zones, Window, Attributes, Exits, Calendars, Lateness, Steps}) {
      if (auto s = section(root, pb); !s.ok()) return s;
    }
    return pb;
  }

 private:
  // The stage windows and the events they are measured from.
  static absl::Status Stages(const YAML::Node& root, Playbook& pb) {
    auto stages_section = YamlSection(root, "stages", "a map of the lifecycle stage windows");
    if (!stages_section.ok()) return stages_section.status();
    const YAML::Node& stages = *stages_section;
    if (auto s = RequireKeys(stages, "stages", {"prospect_1", "runin_1", "runin_2", "stable"});
        !s.ok()) {
      return s;
    }
    for (auto [field, target] :
         {std::pair{"prospect_1", &pb.stages_.prospect_1},
          std::pair{"runin_1", &pb.stages_.runin_1}, std::pair{"runin_2", &pb.stages_.runin_2},
          std::pair{"stable", &pb.stages_.stable}}) {
      auto d = DurationField(stages[field], absl::StrCat("stages.", field));
      if (!d.ok()) return d.status();
      *target = *d;
    }
    if (stages["signing_event"])
      pb.stages_.signing_event = stages["signing_event"].as<std::string>();
    if (stages["handover_event"]) {
      pb.stages_.handover_event = stages["handover_event"].as<std::string>();
    }
    return absl::OkStatus();
  }

  // The default zone and each project's.
  static absl::Status Zones(const YAML::Node& root, Playbook& pb) {
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
    return absl::OkStatus();
  }

  static absl::Status Window(const YAML::Node& root, Playbook& pb) {
    if (const YAML::Node w = root["contact_window"]) {
      for (auto [field, target] : {std::pair{"start", &pb.window_.start_minute},
                                   std::pair{"end", &pb.window_.end_minute}}) {
        if (!w[field]) return Fail("contact_window", absl::StrCat("'", field, "' is required"));
        auto m = ParseLocalTime(w[field].as<std::string>());
        if (!m.ok())
          return Fail(absl::StrCat("contact_window.", field), std::string(m.status().message()));
        *target = *m;
      }
      if (pb.window_.start_minute == pb.window_.end_minute) {
        return Fail("contact_window", "start and end are the same time");
      }
    }
    return absl::OkStatus();
  }

  // The attributes' rules, and the dates events move.
  static absl::Status Attributes(const YAML::Node& root, Playbook& pb) {
    for (const auto& kv : root["attributes"]) {
      const std::string name = kv.first.as<std::string>();
      AttributeRule rule;
      if (kv.second.IsScalar() && kv.second.as<std::string>() == "date") {
        rule.date = true;
      } else if (kv.second.IsSequence() && kv.second.size() > 0) {
        rule.values = Words(kv.second);
      } else if (!(kv.second.IsScalar() && kv.second.as<std::string>() == "text")) {
        return Fail(absl::StrCat("attributes.", name),
                    "expected 'date', 'text' or a list of values");
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
    return absl::OkStatus();
  }

  static absl::Status Exits(const YAML::Node& root, Playbook& pb) {
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
    return absl::OkStatus();
  }

  static absl::Status Calendars(const YAML::Node& root, Playbook& pb) {
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
          auto day = ParseDate(d);
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
    return absl::OkStatus();
  }

  // The lateness limit of steps that name none.
  static absl::Status Lateness(const YAML::Node& root, Playbook& pb) {
    if (root["max_lateness"]) {
      auto d = LatenessField(root["max_lateness"], "max_lateness");
      if (!d.ok()) return d.status();
      pb.max_lateness_ = *d;
    }
    return absl::OkStatus();
  }

  static absl::Status Steps(const YAML::Node& root, Playbook& pb) {
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
    return absl::OkStatus();
  }
};

absl::StatusOr<Playbook> Playbook::FromYaml(const std::string& yaml, const std::string& source) {
  auto parsed = GuardYaml([&]() -> absl::StatusOr<Playbook> { return PlaybookYaml::Load(yaml); });
  if (!parsed.ok() && !source.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(source, ": ", parsed.status().message()));
  }
  return parsed;
}
}  // namespace mot::scheduler
