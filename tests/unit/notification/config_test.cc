// NotificationConfig::FromEnv: MOT_DELIVERY_RETENTION, its default and what it refuses.
#include "notification/config.h"

#include <map>
#include <string>

#include "absl/strings/escaping.h"
#include "gate_files.h"
#include "gtest/gtest.h"

namespace mot::notification {
namespace {

std::map<std::string, std::string> Valid() {
  const std::string config = std::string(MOT_SOURCE_DIR) + "/deploy/config/";
  return testkit::ValidEnv(
      {{"MOT_TEMPLATES", config + "templates.yaml"},
       {"MOT_CHANNELS", config + "channels.yaml"},
       {"MOT_WEBHOOK_URL", "http://127.0.0.1:8080/robot"},
       {"MOT_CONTACT_KEYS", "k1:" + absl::Base64Escape(std::string(32, 'k'))}});
}

std::string Refusal(std::map<std::string, std::string> vars) {
  return testkit::Refusal<NotificationConfig>(std::move(vars));
}

TEST(NotificationConfig, DeliveriesAreKeptFiveYearsUnlessConfigured) {
  EXPECT_EQ(NotificationConfig::FromEnv(Env(Valid())).delivery_retention,
            std::chrono::hours(24 * 365 * 5));
  auto vars = Valid();
  vars["MOT_DELIVERY_RETENTION"] = "400d";
  EXPECT_EQ(NotificationConfig::FromEnv(Env(vars)).delivery_retention,
            std::chrono::hours(24 * 400));
}

TEST(NotificationConfig, ARetentionThatIsNoDurationOrTooShortIsRefusedNamingTheVariable) {
  auto vars = Valid();
  vars["MOT_DELIVERY_RETENTION"] = "five years";
  EXPECT_EQ(Refusal(vars).rfind("MOT_DELIVERY_RETENTION='five years' is invalid", 0), 0u)
      << Refusal(vars);
  vars["MOT_DELIVERY_RETENTION"] = "2h";
  EXPECT_EQ(Refusal(vars).rfind("MOT_DELIVERY_RETENTION is too short; expected at least 1d", 0), 0u)
      << Refusal(vars);
}

}  // namespace
}  // namespace mot::notification
