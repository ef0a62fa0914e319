// Environment variables and durations: what is read, and errors that name the variable.
#include "mot/common/config.h"

#include <fstream>
#include <map>
#include <string>

#include "fakes.h"
#include "gate_files.h"
#include "gtest/gtest.h"

namespace mot {
namespace {

using std::chrono::hours;
using std::chrono::milliseconds;

Env FakeEnv(std::map<std::string, std::string> vars) { return Env(std::move(vars)); }

TEST(ParseDuration, UnitsAndCombinations) {
  EXPECT_EQ(*ParseDuration("200ms"), milliseconds(200));
  EXPECT_EQ(*ParseDuration("2h"), hours(2));
  EXPECT_EQ(*ParseDuration("90d"), hours(24 * 90));
  EXPECT_EQ(*ParseDuration("4y"), hours(24 * 365 * 4));
  EXPECT_EQ(*ParseDuration("6mo"), hours(24 * 30 * 6));
  EXPECT_EQ(*ParseDuration("1h30m"), std::chrono::minutes(90));
}

TEST(ParseDuration, RejectsWhatItCannotRead) {
  EXPECT_FALSE(ParseDuration("").ok());
  EXPECT_FALSE(ParseDuration("h").ok());
  EXPECT_FALSE(ParseDuration("99999999999999y").ok());
  EXPECT_FALSE(ParseDuration("1001y").ok());
  EXPECT_EQ(*ParseDuration("1000y"), hours(24 * 365 * 1000));
  auto bad = ParseDuration("3 fortnights");
  ASSERT_FALSE(bad.ok());
  auto unit = ParseDuration("3q");
  ASSERT_FALSE(unit.ok());
  EXPECT_NE(std::string(unit.status().message()).find("unknown unit 'q'"), std::string::npos);
}

TEST(Env, MissingVariableIsNamed) {
  try {
    CommonConfig::FromEnv(FakeEnv({}));
    FAIL() << "expected ConfigError";
  } catch (const ConfigError& e) {
    EXPECT_EQ(std::string(e.what()),
              "MOT_KAFKA_BROKERS is not set; expected host:port, e.g. 127.0.0.1:9092");
  }
}

TEST(Env, InvalidHostPortIsNamed) {
  try {
    CommonConfig::FromEnv(
        FakeEnv({{"MOT_KAFKA_BROKERS", "127.0.0.1:9092"}, {"MOT_REDIS_ADDR", "localhost:99999"}}));
    FAIL() << "expected ConfigError";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("MOT_REDIS_ADDR='localhost:99999' is invalid"),
              std::string::npos);
  }
}

TEST(Env, ValidCommonConfig) {
  auto c = CommonConfig::FromEnv(
      FakeEnv(testkit::WithGateFiles({{"MOT_KAFKA_BROKERS", "a:1,b:2"},
                                      {"MOT_REDIS_ADDR", "127.0.0.1:6379"},
                                      {"MOT_GRPC_ADDR", "0.0.0.0:50051"},
                                      {"MOT_METRICS_ADDR", "0.0.0.0:9464"}})));
  EXPECT_EQ(c.kafka_brokers, "a:1,b:2");
  EXPECT_EQ(c.gate.caller_rate, 100);
  EXPECT_EQ(c.gate.max_message_bytes, 1 << 20);
  EXPECT_TRUE(c.gate.tls_client_ca_pem.empty());
  EXPECT_EQ(c.log_level, "info");
  EXPECT_EQ(SplitHostPort(c.redis_addr), (std::pair<std::string, int>{"127.0.0.1", 6379}));
}

TEST(Env, KafkaOptionsAndRedisPassword) {
  auto c = CommonConfig::FromEnv(
      FakeEnv(testkit::WithGateFiles({{"MOT_KAFKA_BROKERS", "k:9093"},
                                      {"MOT_KAFKA_OPT_SECURITY_PROTOCOL", "SASL_SSL"},
                                      {"MOT_KAFKA_OPT_SASL_MECHANISMS", "PLAIN"},
                                      {"MOT_REDIS_ADDR", "r:6379"},
                                      {"MOT_REDIS_PASSWORD", "s3cret"},
                                      {"MOT_GRPC_ADDR", "0.0.0.0:50051"},
                                      {"MOT_METRICS_ADDR", "0.0.0.0:9464"}})));
  EXPECT_EQ(c.kafka_options, (std::map<std::string, std::string>{{"security.protocol", "SASL_SSL"},
                                                                 {"sasl.mechanisms", "PLAIN"}}));
  EXPECT_EQ(c.redis_password, "s3cret");
  EXPECT_EQ(CommonConfig::KafkaOptionVariable("sasl.mechanisms"), "MOT_KAFKA_OPT_SASL_MECHANISMS");
  try {
    CommonConfig::FromEnv(
        FakeEnv({{"MOT_KAFKA_BROKERS", "k:9093"}, {"MOT_KAFKA_OPT_GROUP_ID", "mine"}}));
    FAIL() << "expected ConfigError";
  } catch (const ConfigError& e) {
    EXPECT_EQ(std::string(e.what()).rfind("MOT_KAFKA_OPT_GROUP_ID sets group.id", 0), 0u);
  }
}

TEST(Env, TypedGettersNameTheVariable) {
  auto env = FakeEnv(
      {{"MOT_TICK", "soon"}, {"MOT_N", "-3"}, {"MOT_LEVEL", "loud"}, {"MOT_URL", "ftp://x"}});
  EXPECT_THROW(env.Duration("MOT_TICK", "1s"), ConfigError);
  EXPECT_EQ(env.Duration("MOT_ABSENT", "2h"), hours(2));
  EXPECT_THROW(env.Int("MOT_N", 1, 1, 10), ConfigError);
  EXPECT_EQ(env.Int("MOT_ABSENT", 7, 1, 10), 7);
  EXPECT_THROW(env.OneOf("MOT_LEVEL", "info", {"info", "warn"}), ConfigError);
  EXPECT_THROW(env.HttpUrl("MOT_URL"), ConfigError);
  try {
    env.FileContent("MOT_ABSENT");
  } catch (const ConfigError& e) {
    EXPECT_EQ(std::string(e.what()).rfind("MOT_ABSENT is not set", 0), 0u);
  }
}

}  // namespace
}  // namespace mot
