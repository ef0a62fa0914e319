// The managers' reports: the defect library's roll-up and the daily complaint report.
#include "fixtures.h"

namespace mot::ticketing {
namespace {

TEST_F(DeskTest, TheDefectLibraryRollsUpPerProjectAndCode) {
  v1::CreateTicketRequest bad;
  bad.set_request_id("x");
  bad.set_actor("a");
  bad.set_kind("repair");
  bad.set_customer_id("C-1");
  bad.set_defect_code("ZZ99");
  v1::Ticket out;
  EXPECT_EQ(service_.Create(&bad, &out).error_message(),
            "defect_code is not in the defect library");
  const auto a = Create("repair", "C-1", "P-1", "roof", "SJ01", "U-1");
  const auto b = Create("repair", "C-2", "P-1", "roof", "SJ01", "U-2");
  Create("repair", "C-3", "P-1", "roof", "SJ01", "U-2");  // the same unit again
  const auto c = Create("repair", "C-4", "P-1", "plumbing", "", "U-4");
  Create("repair", "C-5", "P-2", "roof", "SJ01", "U-9");
  // a resolved after 10 h, c classified when resolved after 20 h.
  clock_.Advance(hours(10) - std::chrono::minutes(5));
  ASSERT_TRUE(Move(a.id(), v1::TICKET_STATUS_ACKNOWLEDGED).ok());
  ASSERT_TRUE(Move(a.id(), v1::TICKET_STATUS_RESOLVED, "天窗节点重做防水").ok());
  clock_.Advance(hours(10));
  ASSERT_TRUE(Move(c.id(), v1::TICKET_STATUS_ACKNOWLEDGED).ok());
  ASSERT_TRUE(Move(c.id(), v1::TICKET_STATUS_RESOLVED, "更换接头", "SD01").ok());
  EXPECT_EQ(Move(b.id(), v1::TICKET_STATUS_ACKNOWLEDGED, "", "XX").error_message(),
            "defect_code is not in the defect library");
  v1::GetDefectRollupRequest req;
  req.set_project_id("P-1");
  v1::GetDefectRollupResponse resp;
  ASSERT_TRUE(service_.GetDefectRollup(nullptr, &req, &resp).ok());
  ASSERT_EQ(resp.rows_size(), 2);
  const auto& sj = resp.rows(1);
  EXPECT_EQ(sj.code(), "SJ01");
  EXPECT_EQ(sj.title(), "屋面天窗渗水");
  EXPECT_EQ(sj.department(), "设计部");
  EXPECT_EQ(sj.tickets(), 3);
  EXPECT_EQ(sj.units_affected(), 2);
  EXPECT_EQ(sj.open(), 2);
  EXPECT_NEAR(sj.mean_hours_to_resolve(), 10.0, 0.001);
  const auto& sd = resp.rows(0);
  EXPECT_EQ(sd.code(), "SD01");
  EXPECT_EQ(sd.tickets(), 1);
  EXPECT_EQ(sd.open(), 0);
  EXPECT_NEAR(sd.mean_hours_to_resolve(), 20.0 - 3.0 / 60, 0.001) << "opened 3 minutes after a";
  req.clear_project_id();
  resp.Clear();
  ASSERT_TRUE(service_.GetDefectRollup(nullptr, &req, &resp).ok());
  EXPECT_EQ(resp.rows_size(), 3) << "every project";
}

TEST_F(DeskTest, TheDailyComplaintReportListsTheDaysComplaints) {
  // t0_ is 2026-11-01 16:00 in Shanghai.
  const auto a = Create("complaint_general", "C-1", "P-1", "property_service");
  const auto b = Create("complaint_major", "C-2", "P-1", "wall");
  Create("repair", "C-3", "P-1");  // not a complaint
  Create("complaint_general", "C-4", "P-2");
  clock_.Advance(std::chrono::minutes(30));
  ASSERT_TRUE(Move(a.id(), v1::TICKET_STATUS_ACKNOWLEDGED).ok());
  ASSERT_TRUE(Move(a.id(), v1::TICKET_STATUS_RESOLVED, "保洁频次调整为每日两次").ok());
  ASSERT_TRUE(Note(b.id(), "工程总监已到场").ok());
  clock_.Advance(hours(24));
  Create("complaint_general", "C-5", "P-1");  // the next day
  v1::GetComplaintReportRequest req;
  req.set_date("2026-11-01");
  req.set_project_id("P-1");
  v1::GetComplaintReportResponse resp;
  ASSERT_TRUE(service_.GetComplaintReport(nullptr, &req, &resp).ok());
  ASSERT_EQ(resp.rows_size(), 2);
  EXPECT_EQ(resp.rows(0).ticket_id(), a.id());
  EXPECT_EQ(FromProto(resp.rows(0).received_at()), t0_);
  EXPECT_EQ(FromProto(resp.rows(0).first_reply_at()), t0_ + std::chrono::minutes(34));
  EXPECT_EQ(resp.rows(0).handler(), "物业服务中心");
  EXPECT_EQ(resp.rows(0).measure(), "保洁频次调整为每日两次");
  EXPECT_FALSE(resp.rows(1).has_first_reply_at());
  EXPECT_EQ(resp.rows(1).measure(), "工程总监已到场") << "no resolution yet: the latest note";
  req.set_date("2026-11-31");
  EXPECT_EQ(service_.GetComplaintReport(nullptr, &req, &resp).error_message(),
            "date: expected YYYY-MM-DD");
}

}  // namespace
}  // namespace mot::ticketing
