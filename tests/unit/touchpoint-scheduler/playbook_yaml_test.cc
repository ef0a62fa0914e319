#include "playbook_fixture.h"
#include "touchpoint-scheduler/domain/playbook.h"

namespace mot::scheduler {
namespace {

using std::chrono::hours;

// Each validation error names the step and the field.
TEST(Playbook, ErrorsNameTheFileTheStepAndTheField) {
  const std::string head =
      "stages: {prospect_1: 6mo, runin_1: 6mo, runin_2: 12mo, stable: 3y}\n"
      "attributes: {planned_handover_date: date, tier: [A, B]}\n"
      "calendars: {festivals: {spring: [2027-02-06]}}\n";
  const auto error = [&](const std::string& step) {
    return std::string(Playbook::FromYaml(head + "steps: [" + step + "]").status().message());
  };
  const std::string act = "action: {service: notification, template: t}";
  EXPECT_EQ(
      error("{id: a, title: A, on: x, action: {service: fax}}"),
      "step 'a': action.service 'fax' is unknown; expected notification, survey or ticketing");
  EXPECT_EQ(error("{id: b, title: B, on: x, action: {service: survey}}"),
            "step 'b': action.survey is required for survey");
  EXPECT_EQ(error("{id: c, title: C, on: x, after: later, " + act + "}"),
            "step 'c': after: bad duration 'later'");
  EXPECT_EQ(error("{id: d, title: D, on: x, afer: 1d, " + act + "}").substr(0, 32),
            "step 'd': unknown field 'afer'; ");
  EXPECT_EQ(error("{id: e, title: E, " + act + "}"),
            "step 'e': exactly one of 'on' (an event type) and 'calendar' is required");
  EXPECT_EQ(error("{id: f, title: F, on: x, calendar: spring, " + act + "}"),
            "step 'f': exactly one of 'on' (an event type) and 'calendar' is required");
  EXPECT_EQ(error("{id: g, title: G, calendar: easter, " + act + "}"),
            "step 'g': calendar: 'easter' is neither 'birthday' nor a festival under "
            "calendars.festivals");
  EXPECT_EQ(error("{id: h, title: H, on: x, after: 1d, at: planned_handover_date, " + act + "}"),
            "step 'h': 'after' and 'at' exclude each other");
  EXPECT_EQ(error("{id: i, title: I, on: x, at: move_in_date - 1d, " + act + "}"),
            "step 'i': at: 'move_in_date' is not declared a date under 'attributes'");
  EXPECT_EQ(error("{id: j, title: J, on: x, at: planned_handover_date - 3 months, " + act + "}"),
            "step 'j': at: bad duration '3 months'");
  EXPECT_EQ(error("{id: k, title: K, on: x, every: 7d, " + act + "}"),
            "step 'k': every: needs 'times', the most occurrences in all");
  EXPECT_EQ(error("{id: l, title: L, on: x, times: 3, " + act + "}"),
            "step 'l': times: needs 'every'");
  EXPECT_EQ(error("{id: m, title: M, on: x, every: 7d, times: 0, " + act + "}"),
            "step 'm': times: expected a whole number from 1 to 1000");
  EXPECT_EQ(error("{id: n, title: N, on: x, every: 0s, times: 2, " + act + "}"),
            "step 'n': every: must be longer than 0");
  EXPECT_EQ(error("{id: o, title: O, on: x, when: {tier: []}, " + act + "}"),
            "step 'o': when.tier: no value");
  EXPECT_EQ(error("{id: p, title: P, on: x, contact_window: maybe, " + act + "}"),
            "step 'p': contact_window: expected true or false");
  EXPECT_EQ(error("{id: q, title: Q, on: x, " + act + "}, {id: q, title: Q, on: y, " + act + "}"),
            "step 'q': duplicate id");
  EXPECT_EQ(error("{title: R, on: x, " + act + "}"), "steps[0]: 'id' is required");
  EXPECT_EQ(error("{id: s, title: S, on: x, action: {service: notification}}"),
            "step 's': action.template is required for notification");
  EXPECT_EQ(error("{id: t, title: T, on: x, max_lateness: soon, " + act + "}"),
            "step 't': max_lateness: bad duration 'soon', or 'never'");
  EXPECT_EQ(error("{id: u, title: U, on: x, stage_bound: sometimes, " + act + "}"),
            "step 'u': stage_bound: expected true or false");

  const std::string steps = "steps: [{id: a, title: A, on: x, " + act + "}]\n";
  const std::string stages = "stages: {prospect_1: 6mo, runin_1: 6mo, runin_2: 12mo, stable: 3y}\n";
  EXPECT_EQ(Playbook::FromYaml(stages + steps + "contact_window: {start: '9am', end: '20:00'}")
                .status()
                .message(),
            "contact_window.start: expected a local time HH:MM such as 09:00");
  EXPECT_EQ(Playbook::FromYaml(stages + steps + "calendars: {festivals: {spring: [2027-02-30]}}")
                .status()
                .message(),
            "calendars.festivals.spring: '2027-02-30': expected a date YYYY-MM-DD");
  EXPECT_EQ(Playbook::FromYaml(stages + steps + "attributes: {tier: [A]}\nreanchor: {moved: tier}")
                .status()
                .message(),
            "reanchor.moved: 'tier' is not declared a date under 'attributes'");
  EXPECT_EQ(Playbook::FromYaml(stages + steps + "attributes: {tier: 7}").status().message(),
            "attributes.tier: expected 'date', 'text' or a list of values");
  EXPECT_EQ(Playbook::FromYaml("steps: []", "deploy/config/playbook.yaml").status().message(),
            "deploy/config/playbook.yaml: 'stages' must be a map of the lifecycle stage windows");
  EXPECT_EQ(std::string(
                Playbook::FromYaml(
                    stages + "steps: [{id: a, title: A, on: x, after: 1x, " + act + "}]", "pb.yaml")
                    .status()
                    .message())
                .rfind("pb.yaml: step 'a': after: ", 0),
            0u);
}

TEST(Playbook, LatenessIsThePlaybooksUnlessAStepNamesItsOwn) {
  const std::string base =
      "stages: {prospect_1: 6mo, runin_1: 6mo, runin_2: 12mo, stable: 3y}\n"
      "steps: [{id: a, title: A, on: x, action: {service: notification, template: t}},\n"
      "        {id: b, title: B, on: x, max_lateness: 30d, stage_bound: true,\n"
      "         action: {service: survey, survey: s}},\n"
      "        {id: c, title: C, on: x, max_lateness: never,\n"
      "         action: {service: ticketing, kind: k}}]\n";
  auto shipped_default = Playbook::FromYaml(base);
  ASSERT_TRUE(shipped_default.ok()) << shipped_default.status();
  EXPECT_EQ(shipped_default->max_lateness(), hours(72)) << "3 days when the playbook names none";
  EXPECT_EQ(shipped_default->FindStep("a")->max_lateness, hours(72));
  EXPECT_FALSE(shipped_default->FindStep("a")->stage_bound);
  auto own = Playbook::FromYaml("max_lateness: 7d\n" + base);
  ASSERT_TRUE(own.ok()) << own.status();
  EXPECT_EQ(own->FindStep("a")->max_lateness, hours(24 * 7));
  EXPECT_EQ(own->FindStep("b")->max_lateness, hours(24 * 30));
  EXPECT_TRUE(own->FindStep("b")->stage_bound);
  EXPECT_EQ(own->FindStep("c")->max_lateness, kNeverStale);
  EXPECT_EQ(Playbook::FromYaml("max_lateness: a while\n" + base).status().message(),
            "max_lateness: bad duration 'a while', or 'never'");
}

TEST(Playbook, VersionIsNamedOrADigestOfTheText) {
  const std::string base =
      "stages: {prospect_1: 6mo, runin_1: 6mo, runin_2: 12mo, stable: 3y}\n"
      "steps: [{id: a, title: A, on: x, action: {service: notification, template: t}}]\n";
  EXPECT_EQ(Playbook::FromYaml(base + "version: v7\n")->version(), "v7");
  auto a = Playbook::FromYaml(base), b = Playbook::FromYaml(base + "# edited\n");
  EXPECT_EQ(a->version().size(), 12u);
  EXPECT_NE(a->version(), b->version());
}

TEST(Playbook, TimeZonesAreIanaNamesPerProject) {
  const std::string base =
      "stages: {prospect_1: 6mo, runin_1: 6mo, runin_2: 12mo, stable: 3y}\n"
      "steps: [{id: a, title: A, on: x, action: {service: notification, template: t}}]\n";
  auto pb = Playbook::FromYaml(base +
                               "time_zone: America/New_York\n"
                               "project_time_zones: {P-HK: Asia/Hong_Kong}\n");
  ASSERT_TRUE(pb.ok()) << pb.status();
  lifecycle::v1::LifecycleEvent e = Event("x", FromUnixMillis(1'793'520'000'000));  // 08:00 UTC
  e.set_project_id("P-NY");
  notification::v1::SendNotificationCommand cmd;
  // 2026-11-01 08:00 UTC is 03:00 in New York (EST after the DST change that day).
  ASSERT_TRUE(cmd.ParseFromString((*Plan(*pb, e))[0].payload));
  EXPECT_EQ(cmd.variables().at("event_date"), "2026-11-01");
  *e.mutable_occurred_at() =
      ToProto(FromUnixMillis(1'793'520'000'000 - 9 * 3'600'000));  // 23:00 UTC
  ASSERT_TRUE(cmd.ParseFromString((*Plan(*pb, e))[0].payload));
  EXPECT_EQ(cmd.variables().at("event_date"), "2026-10-31");  // 19:00 EDT
  e.set_project_id("P-HK");
  ASSERT_TRUE(cmd.ParseFromString((*Plan(*pb, e))[0].payload));
  EXPECT_EQ(cmd.variables().at("event_date"), "2026-11-01");  // 07:00 in Hong Kong
  EXPECT_EQ(Playbook::FromYaml(base + "time_zone: Mars/Olympus\n").status().message(),
            "time zone 'Mars/Olympus' is unknown; expected an IANA name such as Asia/Shanghai");
  EXPECT_NE(std::string(
                Playbook::FromYaml(base + "project_time_zones: {P-1: +08:00}\n").status().message())
                .find("project_time_zones.P-1"),
            std::string::npos);
}

}  // namespace
}  // namespace mot::scheduler
