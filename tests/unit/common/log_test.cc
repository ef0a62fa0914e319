// Personal data masked in log lines.
#include "mot/common/log.h"

#include "gtest/gtest.h"

namespace mot {
namespace {

TEST(Masking, PhoneNameIdNumber) {
  EXPECT_EQ(MaskPhone("13812345678"), "138****5678");
  EXPECT_EQ(MaskPhone("+86 138-1234-5678"), "861********78");
  EXPECT_EQ(MaskName("张三丰"), "张**");
  EXPECT_EQ(MaskName("Alice"), "A****");
  EXPECT_EQ(MaskIdNumber("11010519491231002X"), "1101************2X");
}

TEST(Masking, FreeTextLosesPhoneAndIdNumbers) {
  const std::string masked =
      MaskPersonalData("owner 13812345678 id 11010519491231002X unit 0801 at 1763800000000");
  EXPECT_EQ(masked.find("13812345678"), std::string::npos);
  EXPECT_EQ(masked.find("11010519491231002X"), std::string::npos);
  EXPECT_NE(masked.find("138****5678"), std::string::npos);
  EXPECT_NE(masked.find("unit 0801 at 1763800000000"), std::string::npos);
}

// Written with spaces, dashes or +86, and two side by side: masked all the same.
TEST(Masking, EmailAddressesKeepTheirFirstCharacterAndDomain) {
  EXPECT_EQ(MaskPersonalData("mail owner.li+x@example.cn now"), "mail o***@example.cn now");
  EXPECT_EQ(MaskPersonalData("a@b.cn,c.d@e.com"), "a***@b.cn,c***@e.com");
  EXPECT_EQ(MaskPersonalData("user@localhost and @alone and x@"),
            "user@localhost and @alone and x@");
}

TEST(Masking, PhoneAndIdNumbersWrittenWithSeparators) {
  const struct {
    const char* in;
    const char* out;
  } cases[] = {
      {"call 138 0013 8000 now", "call 138****8000 now"},
      {"call 138-0013-8000", "call 138****8000"},
      {"+86 138 0013 8000", "+86138****8000"},
      {"+86-13800138000.", "+86138****8000."},
      {"id 110105 19491231 002X ok", "id 1101************2X ok"},
      {"id 1101-0519-4912-3100-2x", "id 1101************2x"},
      {"13812345678 13912345678", "138****5678 139****5678"},
      {"on 2026-11-23 10:00, unit 08-01, order 1763800000000",
       "on 2026-11-23 10:00, unit 08-01, order 1763800000000"},
  };
  for (const auto& c : cases) EXPECT_EQ(MaskPersonalData(c.in), c.out) << c.in;
}

}  // namespace
}  // namespace mot
