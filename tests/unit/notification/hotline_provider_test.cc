// The hotline's call tasks: a ticket per message, with neither the owner's number nor
// their survey link in it.
#include "notification/app/hotline_provider.h"

#include "fakes.h"
#include "gtest/gtest.h"
#include "mot/common/topics.h"
#include "mot/ticketing/v1/ticketing.pb.h"

namespace mot::notification {
namespace {

TEST(HotlineProvider, ASurveyInvitationsTicketNamesTheInstanceNeverTheLink) {
  testkit::FakePublisher out;
  testkit::ManualClock clock(FromUnixMillis(1'793'520'000'000));
  HotlineProvider hotline(out, clock, "hotline_call");
  OutgoingMessage m;
  m.delivery_id = "dl-1";
  m.channel = "hotline";
  m.customer_id = "C-ELDER";
  m.to = "13900000000";
  const std::string link = "http://127.0.0.1:8443/s/AbCdEfGhIjKlMnOpQrStUv";
  m.text = "您好！诚邀您参与交付满意度调查，约需 2 分钟：" + link + " 问卷2026-11-15前有效。";
  m.variables = {{"survey_link", link}, {"instance_id", "sv-42"}, {"project_id", "P-1"}};
  auto sent = hotline.Send(m);
  ASSERT_TRUE(sent.ok()) << sent.status();
  ASSERT_EQ(out.sent.size(), 1u);
  EXPECT_EQ(out.sent[0].topic, kTicketingCommandsTopic);
  ticketing::v1::OpenTicketCommand cmd;
  ASSERT_TRUE(cmd.ParseFromString(out.sent[0].payload));
  EXPECT_EQ(cmd.summary().find("/s/AbCd"), std::string::npos) << cmd.summary();
  EXPECT_EQ(cmd.summary().find("http"), std::string::npos) << cmd.summary();
  EXPECT_NE(cmd.summary().find("[问卷 sv-42，链接见问卷记录]"), std::string::npos) << cmd.summary();
  EXPECT_NE(cmd.summary().find("问卷2026-11-15前有效"), std::string::npos) << "the rest is kept";
  EXPECT_EQ(cmd.summary().find("13900000000"), std::string::npos);
  // Any other link, named by no variable, is hidden too.
  m.delivery_id = "dl-2";
  m.text = "详情见 https://example.invalid/x?y=1，谢谢";
  m.variables.clear();
  ASSERT_TRUE(hotline.Send(m).ok());
  ASSERT_TRUE(cmd.ParseFromString(out.sent[1].payload));
  EXPECT_EQ(cmd.summary(), "请致电业主告知：详情见 [链接已隐去]，谢谢");
}

}  // namespace
}  // namespace mot::notification
