// Malformed input never crashes a service: mutated configuration files come back as
// errors (or still valid), mutated event bodies as InvalidArgument (dead letters)
// or as events that plan normally. Deterministic mutations, many of them.
#include <random>

#include "fakes.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"
#include "mot/common/codec.h"
#include "notification/domain/routing.h"
#include "notification/domain/templates.h"
#include "survey/domain/catalogue.h"
#include "ticketing/domain/sla_policy.h"
#include "touchpoint-scheduler/domain/planner.h"
#include "touchpoint-scheduler/domain/playbook.h"

namespace mot {
namespace {

constexpr int kMutations = 3000;

// One random edit: delete, insert or replace a character, or cut the text short.
std::string Mutate(std::string text, std::mt19937& rng) {
  static const std::string kAlphabet = ":{}[]-#,'\"\n\t |>&*!%@ xyz019.";
  if (text.empty()) return "x";
  std::uniform_int_distribution<size_t> pos(0, text.size() - 1);
  const size_t at = pos(rng);
  const char c = kAlphabet[rng() % kAlphabet.size()];
  switch (rng() % 4) {
    case 0:
      text.erase(at, 1 + rng() % 8);
      break;
    case 1:
      text.insert(at, 1, c);
      break;
    case 2:
      text[at] = c;
      break;
    default:
      text.resize(at);
      break;
  }
  return text;
}

template <typename Parse>
void ParsesOrRefuses(const std::string& file, Parse parse) {
  const std::string shipped = testkit::ShippedConfig(file);
  ASSERT_TRUE(parse(shipped).ok()) << file;
  std::mt19937 rng(20261122);
  int refused = 0;
  for (int i = 0; i < kMutations; ++i) {
    std::string text = shipped;
    for (int edits = 1 + rng() % 3; edits > 0; --edits) text = Mutate(text, rng);
    try {
      auto parsed = parse(text);
      if (!parsed.ok()) {
        ++refused;
        EXPECT_TRUE(absl::IsInvalidArgument(parsed.status())) << parsed.status();
        EXPECT_FALSE(parsed.status().message().empty());
      }
    } catch (const std::exception& e) {
      ADD_FAILURE() << file << ": mutation " << i << " threw " << e.what() << "\n" << text;
      return;
    }
  }
  // The mutations must have produced bad files, or this test proves nothing.
  EXPECT_GT(refused, kMutations / 10) << file;
}

TEST(Robustness, MutatedPlaybook) {
  ParsesOrRefuses("playbook.yaml",
                  [](const std::string& t) { return scheduler::Playbook::FromYaml(t); });
}
TEST(Robustness, MutatedSlaPolicy) { ParsesOrRefuses("sla.yaml", ticketing::SlaPolicy::FromYaml); }
TEST(Robustness, MutatedTemplates) {
  ParsesOrRefuses("templates.yaml", notification::TemplateSet::FromYaml);
}
TEST(Robustness, MutatedChannels) {
  ParsesOrRefuses("channels.yaml", notification::Routing::FromYaml);
}
TEST(Robustness, MutatedSurveys) {
  ParsesOrRefuses("surveys.yaml", survey::SurveyCatalogue::FromYaml);
}

TEST(Robustness, MutatedEventsAreDeadLetteredOrPlanned) {
  auto playbook = *scheduler::Playbook::FromYaml(testkit::ShippedConfig("playbook.yaml"));
  lifecycle::v1::LifecycleEvent e;
  e.set_event_id("ev-1");
  e.set_type("contract_signed");
  e.set_customer_id("C-1");
  e.set_unit_id("U-1");
  e.set_project_id("P-1");
  (*e.mutable_attributes())["problem"] = "漏水";
  (*e.mutable_attributes())["planned_handover_date"] = "2027-06-30";
  *e.mutable_occurred_at() = ToProto(FromUnixMillis(1'793'520'000'000));
  const std::string binary = e.SerializeAsString();
  std::string json;
  ASSERT_TRUE(google::protobuf::util::MessageToJsonString(e, &json).ok());
  std::mt19937 rng(7);
  int refused = 0;
  for (int i = 0; i < kMutations; ++i) {
    Incoming in;
    in.payload = Mutate(i % 2 ? binary : json, rng);
    lifecycle::v1::LifecycleEvent out;
    absl::Status s = DecodeMessage(in, &out);
    if (s.ok()) s = scheduler::ValidateEvent(out, FromUnixMillis(1'793'520'000'000), {});
    if (s.ok()) {
      auto planned = scheduler::Plan(playbook, out);
      s = planned.status();
      for (const auto& p : planned.value_or(std::vector<scheduler::PlannedTouchpoint>{})) {
        EXPECT_FALSE(p.payload.empty());
      }
    }
    if (!s.ok()) {
      ++refused;
      EXPECT_TRUE(absl::IsInvalidArgument(s)) << s;
    }
  }
  EXPECT_GT(refused, kMutations / 10);
}

}  // namespace
}  // namespace mot
