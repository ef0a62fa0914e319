#include "touchpoint-scheduler/domain/playbook.h"

#include <fstream>
#include <set>

#include "playbook_fixture.h"

namespace mot::scheduler {
namespace {

using std::chrono::hours;

// docs/events.md lists exactly the catalogue's types, in its table's first column.
TEST(EventCatalogue, TheDocumentListsExactlyTheCatalogue) {
  std::ifstream in(std::string(MOT_SOURCE_DIR) + "/docs/events.md");
  ASSERT_TRUE(in) << "docs/events.md is missing";
  std::set<std::string> documented;
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("| `", 0) != 0) continue;
    const auto end = line.find('`', 3);
    documented.insert(line.substr(3, end - 3));
  }
  const auto& types = LifecycleEventTypes();
  EXPECT_EQ(documented, std::set<std::string>(types.begin(), types.end()));
  EXPECT_EQ(types.size(), 18u);
}

TEST(EventCatalogue, APlaybookKnowsTheCatalogueAndItsOwnTriggers) {
  auto playbook = Playbook::FromYaml(testkit::ShippedConfig("playbook.yaml"));
  ASSERT_TRUE(playbook.ok()) << playbook.status();
  EXPECT_TRUE(playbook->Knows("unit_resold"));
  EXPECT_TRUE(playbook->Knows("repair_requested"));
  EXPECT_FALSE(playbook->Knows("moon_landing"));
}

}  // namespace
}  // namespace mot::scheduler
