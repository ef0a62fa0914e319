// Configuration documents: UTF-8 only.
#include "mot/common/yaml.h"

#include <string>

#include "gtest/gtest.h"

namespace mot {
namespace {

// the ones seen on the mesh's DLQs; integration.MeshTest.HostileInput...).
TEST(Utf8, WellFormedOnly) {
  EXPECT_TRUE(IsUtf8(""));
  EXPECT_TRUE(IsUtf8("ascii"));
  EXPECT_TRUE(IsUtf8("交付满意度调查 \xf0\x9f\x98\x80"));
  EXPECT_FALSE(IsUtf8("\xff"));
  EXPECT_FALSE(IsUtf8("\xc3"));              // cut short
  EXPECT_FALSE(IsUtf8("\xc0\xaf"));          // overlong '/'
  EXPECT_FALSE(IsUtf8("\xed\xa0\x80"));      // a surrogate
  EXPECT_FALSE(IsUtf8("\xf4\x90\x80\x80"));  // past U+10FFFF
  EXPECT_FALSE(IsUtf8("\xc4\xe3\xba\xc3"));  // 你好 in GBK
  EXPECT_EQ(ParseYaml("title: \xc4\xe3\xba\xc3\n").status().message(),
            "not UTF-8 text: save the file as UTF-8");
  // A NUL byte inside a word came out of yaml-cpp as 0xA0: a kind no protobuf could
  // hold, so every ticket of it unreadable once stored (found by fuzz_sla_policy).
  EXPECT_EQ(ParseYaml(std::string("kinds:\n  visit\t\0_follow_up: 1\n", 30)).status().message(),
            "holds a NUL byte: not a text file");
  YAML::Node built;
  built["ok"] = "好";
  built["list"].push_back(std::string("\xa0"));
  int line = 0;
  EXPECT_FALSE(AllUtf8(built, &line)) << "every value is looked at, in lists too";
  built["list"] = YAML::Node(YAML::NodeType::Sequence);
  EXPECT_TRUE(AllUtf8(built, &line));
}

}  // namespace
}  // namespace mot
