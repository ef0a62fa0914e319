#include <fstream>
#include <atomic>
#include <future>
#include <limits>
#include <map>
#include <thread>

#include "fakes.h"
#include "gtest/gtest.h"
#include "memory_record_store.h"
#include "mot/common/clock.h"
#include "mot/common/codec.h"
#include "mot/common/config.h"
#include "mot/common/group_commit.h"
#include "mot/common/ids.h"
#include "mot/common/timers.h"
#include "mot/common/validate.h"
#include "mot/common/yaml.h"
#include "mot/common/log.h"
#include "mot/common/record_store.h"
#include "mot/lifecycle/v1/event.pb.h"

namespace mot {
namespace {

using std::chrono::hours;
using std::chrono::milliseconds;
using std::chrono::seconds;

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
    CommonConfig::FromEnv(FakeEnv({{"MOT_KAFKA_BROKERS", "127.0.0.1:9092"},
                                   {"MOT_REDIS_ADDR", "localhost:99999"}}));
    FAIL() << "expected ConfigError";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("MOT_REDIS_ADDR='localhost:99999' is invalid"),
              std::string::npos);
  }
}

// The gate's files as FromEnv checks them (their PEM blocks; the keys are not used).
std::map<std::string, std::string> WithGateFiles(std::map<std::string, std::string> vars) {
  static const std::string dir = [] {
    char tmpl[] = "/tmp/mot-gate-XXXXXX";
    std::string d = mkdtemp(tmpl);
    std::ofstream(d + "/cert.pem") << "-----BEGIN CERTIFICATE-----\nx\n-----END CERTIFICATE-----\n";
    std::ofstream(d + "/key.pem") << "-----BEGIN PRIVATE KEY-----\nx\n-----END PRIVATE KEY-----\n";
    std::ofstream(d + "/jwt.pub") << "-----BEGIN PUBLIC KEY-----\nx\n-----END PUBLIC KEY-----\n";
    return d;
  }();
  vars["MOT_TLS_CERT_FILE"] = dir + "/cert.pem";
  vars["MOT_TLS_KEY_FILE"] = dir + "/key.pem";
  vars["MOT_AUTH_JWT_PUBLIC_KEY_FILE"] = dir + "/jwt.pub";
  return vars;
}

TEST(Env, ValidCommonConfig) {
  auto c = CommonConfig::FromEnv(FakeEnv(WithGateFiles({{"MOT_KAFKA_BROKERS", "a:1,b:2"},
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
  auto c = CommonConfig::FromEnv(FakeEnv(WithGateFiles({{"MOT_KAFKA_BROKERS", "k:9093"},
                                                        {"MOT_KAFKA_OPT_SECURITY_PROTOCOL", "SASL_SSL"},
                                                        {"MOT_KAFKA_OPT_SASL_MECHANISMS", "PLAIN"},
                                                        {"MOT_REDIS_ADDR", "r:6379"},
                                                        {"MOT_REDIS_PASSWORD", "s3cret"},
                                                        {"MOT_GRPC_ADDR", "0.0.0.0:50051"},
                                                        {"MOT_METRICS_ADDR", "0.0.0.0:9464"}})));
  EXPECT_EQ(c.kafka_options, (std::map<std::string, std::string>{
                                 {"security.protocol", "SASL_SSL"}, {"sasl.mechanisms", "PLAIN"}}));
  EXPECT_EQ(c.redis_password, "s3cret");
  EXPECT_EQ(CommonConfig::KafkaOptionVariable("sasl.mechanisms"), "MOT_KAFKA_OPT_SASL_MECHANISMS");
  try {
    CommonConfig::FromEnv(FakeEnv({{"MOT_KAFKA_BROKERS", "k:9093"},
                                   {"MOT_KAFKA_OPT_GROUP_ID", "mine"}}));
    FAIL() << "expected ConfigError";
  } catch (const ConfigError& e) {
    EXPECT_EQ(std::string(e.what()).rfind("MOT_KAFKA_OPT_GROUP_ID sets group.id", 0), 0u);
  }
}

TEST(Env, TypedGettersNameTheVariable) {
  auto env = FakeEnv({{"MOT_TICK", "soon"}, {"MOT_N", "-3"}, {"MOT_LEVEL", "loud"},
                      {"MOT_URL", "ftp://x"}});
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
  EXPECT_EQ(MaskPersonalData("user@localhost and @alone and x@"), "user@localhost and @alone and x@");
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
      {"on 2026-11-23 10:00, unit 08-01, order 1763800000000", "on 2026-11-23 10:00, unit 08-01, order 1763800000000"},
  };
  for (const auto& c : cases) EXPECT_EQ(MaskPersonalData(c.in), c.out) << c.in;
}

// A refusal of a malformed or mistyped JSON message names the field, never its value.
// Each reason the consumers give, as the dead-letter metric counts it (the reasons are
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
  EXPECT_EQ(ParseYaml("title: \xc4\xe3\xba\xc3\n").status().message(), "not UTF-8 text: save the file as UTF-8");
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

// A protobuf value may start like JSON ('\n' then a 123-byte id's length '{'); without
// a content-type it is read as protobuf when it reads so (found by fuzz_json).
TEST(DecodeMessage, AProtobufThatStartsLikeJsonIsProtobuf) {
  lifecycle::v1::LifecycleEvent e;
  e.set_event_id(std::string(123, 'e'));
  e.set_customer_id("C-1");
  const std::string bytes = e.SerializeAsString();
  ASSERT_EQ(bytes.substr(0, 2), "\n{");
  lifecycle::v1::LifecycleEvent back;
  ASSERT_TRUE(DecodeMessage(testkit::Message("t", bytes), &back).ok());
  EXPECT_EQ(back.customer_id(), "C-1");
  // JSON without a header is still JSON.
  ASSERT_TRUE(DecodeMessage(testkit::Message("t", R"( {"customer_id": "C-2"})"), &back).ok());
  EXPECT_EQ(back.customer_id(), "C-2");
}

TEST(DeadLetterKind, EachReasonHasItsKind) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"payload of 1020019 bytes is over the limit of 1000000 (MOT_KAFKA_MAX_PAYLOAD_BYTES)", "oversized"},
      {"step 'welcome_after_signing': its command would be 1000123 bytes", "oversized"},
      {"ce_specversion: not supported (CloudEvents 1.0)", "cloudevents"},
      {"ce_subject (the customer id) is required", "cloudevents"},
      {"content-type: the data must be JSON or protobuf", "cloudevents"},
      {"not a JSON mot.lifecycle.v1.LifecycleEvent: malformed JSON", "malformed_json"},
      {"not a JSON mot.lifecycle.v1.LifecycleEvent: field 'occurred_at' has the wrong type or format for x", "malformed_json"},
      {"not a protobuf mot.ticketing.v1.TicketEvent", "undecodable"},
      {"occurred_at 9999-12-31T00:00:00Z is too far in the future", "time_out_of_range"},
      {"occurred_at 1900-01-01T00:00:00Z is too far in the past", "time_out_of_range"},
      {"requested_at is not a valid time", "time_out_of_range"},
      {"type is not a known event type (docs/events.md, the playbook's triggers)", "unknown_type"},
      {"customer_id is required", "missing_field"},
      {"delivery.customer_id (or delivery.role) is required", "missing_field"},
      {"command.template_id is unknown (not in the templates)", "unknown_value"},
      {"category 'gossip' is not configured (channels.yaml)", "unknown_value"},
      {"time_zone is not an IANA time zone name", "invalid"},
  };
  for (const auto& [reason, kind] : cases) EXPECT_EQ(DeadLetterKind(reason), kind) << reason;
}

TEST(DecodeMessage, RefusalsNeverQuoteThePayload) {
  lifecycle::v1::LifecycleEvent out;
  Incoming in;
  in.payload = R"({"customer_id": "张三 +86 138-0013-8000", "occurred_at": "张三 138 0013 8000"})";
  auto s = DecodeMessage(in, &out);
  EXPECT_EQ(s.message(), "not a JSON mot.lifecycle.v1.LifecycleEvent: field 'occurred_at' has the wrong type or "
                         "format for mot.lifecycle.v1.LifecycleEvent");
  in.payload = R"({"customer_id": "张三 13800138000", "type": )";
  s = DecodeMessage(in, &out);
  EXPECT_EQ(s.message(), "not a JSON mot.lifecycle.v1.LifecycleEvent: malformed JSON");
  in.payload = R"({"attributes": {"phone": 13800138000}})";
  s = DecodeMessage(in, &out);
  EXPECT_EQ(s.message(), "not a JSON mot.lifecycle.v1.LifecycleEvent: field 'attributes' has the wrong type or "
                         "format for mot.lifecycle.v1.LifecycleEvent");
}

TEST(StableHash, SpreadsKeysOverPartitions) {
  EXPECT_EQ(StableHash("C-1"), StableHash("C-1"));
  EXPECT_NE(StableHash("C-1"), StableHash("C-2"));
  TimerLayout layout{"scheduler", 16};
  EXPECT_EQ(layout.Prefix(7), "mot:{scheduler.07}:");
  EXPECT_EQ(layout.DueKey(12), "mot:{scheduler.12}:due");
  std::vector<int> counts(16);
  for (int i = 0; i < 16000; ++i) ++counts[layout.PartitionOf("C-" + std::to_string(i))];
  for (int c : counts) {
    EXPECT_GT(c, 800);  // about 1000 each
    EXPECT_LT(c, 1200);
  }
}

TEST(DeterministicId, StableAndDistinct) {
  EXPECT_EQ(DeterministicId("tp", {"ev-1", "welcome"}), DeterministicId("tp", {"ev-1", "welcome"}));
  EXPECT_NE(DeterministicId("tp", {"ev-1", "welcome"}), DeterministicId("tp", {"ev-2", "welcome"}));
  EXPECT_NE(DeterministicId("tp", {"ab", "c"}), DeterministicId("tp", {"a", "bc"}));
  EXPECT_EQ(DeterministicId("tp", {"x"}).rfind("tp-", 0), 0u);
}

TEST(Clock, ProtoRoundTripAndFormat) {
  const TimePoint t = FromUnixMillis(1'763'800'000'123);
  EXPECT_EQ(FromProto(ToProto(t)), t);
  EXPECT_EQ(FormatTime(FromUnixMillis(0)), "1970-01-01T00:00:00Z");
  // Millisecond time points hold every Timestamp date (nanoseconds overflow after 2262).
  google::protobuf::Timestamp far;
  far.set_seconds(253402214400);  // 9999-12-31T00:00:00Z
  EXPECT_EQ(FormatTime(FromProto(far)), "9999-12-31T00:00:00Z");
  TimePoint parsed;
  ASSERT_TRUE(ParseTime("2026-11-01T16:00:00+08:00", &parsed));
  EXPECT_EQ(FormatTime(parsed), "2026-11-01T08:00:00Z");
  EXPECT_FALSE(ParseTime("yesterday", &parsed));
  testkit::ManualClock clock(t);
  clock.Advance(hours(2));
  EXPECT_EQ(clock.Now() - t, hours(2));
}

TEST(Clock, CheckWithinTheWindowAtItsEdgesAndBeyondAnyTimestamp) {
  const TimePoint now = FromUnixMillis(1'763'800'000'000);
  const TimeWindow window;  // 30 years back, a day ahead
  google::protobuf::Timestamp at = ToProto(now);
  EXPECT_TRUE(CheckWithin(at, "requested_at", now, window).ok());
  at = ToProto(now + hours(24));
  EXPECT_TRUE(CheckWithin(at, "requested_at", now, window).ok()) << "a day ahead is in";
  at = ToProto(now + hours(24) + seconds(1));
  EXPECT_EQ(CheckWithin(at, "requested_at", now, window).message(),
            "requested_at " + FormatTime(now + hours(24) + seconds(1)) + " is too far in the future");
  at = ToProto(now - window.max_age);
  EXPECT_TRUE(CheckWithin(at, "requested_at", now, window).ok()) << "30 years back is in";
  at = ToProto(now - window.max_age - seconds(1));
  EXPECT_NE(CheckWithin(at, "requested_at", now, window).message().find("too far in the past"),
            absl::string_view::npos);
  // Values no Timestamp may hold: refused before any conversion could overflow.
  at.set_seconds(std::numeric_limits<int64_t>::max());
  EXPECT_TRUE(absl::IsInvalidArgument(CheckWithin(at, "occurred_at", now, window)));
  at.set_seconds(std::numeric_limits<int64_t>::min());
  EXPECT_TRUE(absl::IsInvalidArgument(CheckWithin(at, "occurred_at", now, window)));
  at = ToProto(now);
  at.set_nanos(1'000'000'000);
  EXPECT_EQ(CheckWithin(at, "occurred_at", now, window).message(), "occurred_at is not a valid time");
}

TEST(DecodeMessage, ProtobufJsonAndGarbage) {
  lifecycle::v1::LifecycleEvent e;
  e.set_event_id("ev-1");
  e.set_type("handover");
  Incoming in;
  in.payload = e.SerializeAsString();
  lifecycle::v1::LifecycleEvent out;
  ASSERT_TRUE(DecodeMessage(in, &out).ok());
  EXPECT_EQ(out.type(), "handover");

  in.payload = R"({"event_id":"ev-2","type":"contract_signed","occurred_at":"2026-11-01T08:00:00Z"})";
  ASSERT_TRUE(DecodeMessage(in, &out).ok());
  EXPECT_EQ(out.event_id(), "ev-2");
  EXPECT_EQ(out.occurred_at().seconds(), 1793520000);

  in.payload = "{not json";
  auto s = DecodeMessage(in, &out);
  EXPECT_TRUE(absl::IsInvalidArgument(s));
  EXPECT_NE(std::string(s.message()).find("not a JSON mot.lifecycle.v1.LifecycleEvent"),
            std::string::npos);

  in.payload = std::string("\xff\xff\xff\x01garbage", 11);
  EXPECT_TRUE(absl::IsInvalidArgument(DecodeMessage(in, &out)));
  in.payload.clear();
  EXPECT_TRUE(absl::IsInvalidArgument(DecodeMessage(in, &out)));
}

TEST(MemoryRecordStore, FirstInsertWinsAndIndexesOrder) {
  testkit::MemoryRecordStore store;
  EXPECT_TRUE(*store.Insert("b", "c1", 20, "B"));
  EXPECT_TRUE(*store.Insert("a", "c1", 10, "A"));
  EXPECT_FALSE(*store.Insert("a", "c1", 10, "A2"));
  EXPECT_EQ(**store.Get("a"), "A");
  EXPECT_EQ(*store.ListByCustomer("c1", 10), (std::vector<std::string>{"A", "B"}));
  EXPECT_EQ(*store.ListRecent(1), (std::vector<std::string>{"B"}));
}

// Callers arriving while a commit is out go together in the next one; each item is
// committed exactly once and its caller returns only after that.
TEST(GroupCommit, CallersArrivingDuringACommitGoTogetherEachOnce) {
  struct Item {
    int value = 0;
    int commits = 0;
  };
  std::mutex mu;
  std::vector<size_t> sizes;
  std::atomic<bool> release{false};
  std::atomic<int> in_commit{0}, most_in_commit{0};
  GroupCommit<Item> group(
      [&](std::vector<Item*>& batch) {
        const int now = ++in_commit;
        int seen = most_in_commit.load();
        while (now > seen && !most_in_commit.compare_exchange_weak(seen, now)) {
        }
        while (!release.load()) std::this_thread::yield();  // the first commit holds
        for (Item* i : batch) ++i->commits;
        {
          std::lock_guard<std::mutex> lock(mu);
          sizes.push_back(batch.size());
        }
        --in_commit;
      },
      /*max_batch=*/4);
  std::vector<Item> items(9);
  std::vector<std::thread> callers;
  std::atomic<int> returned{0};
  callers.emplace_back([&] { group.Submit(&items[0]); ++returned; });
  while (in_commit.load() == 0) std::this_thread::yield();  // item 0 alone, committing
  for (int i = 1; i < 9; ++i) {
    callers.emplace_back([&, i] { group.Submit(&items[i]); ++returned; });
  }
  while (group.Queued() < 8) std::this_thread::yield();
  EXPECT_EQ(returned.load(), 0) << "nobody returns before its commit";
  release.store(true);
  for (auto& t : callers) t.join();
  for (const auto& i : items) EXPECT_EQ(i.commits, 1);
  EXPECT_EQ(most_in_commit.load(), 1) << "one commit out at a time by default";
  ASSERT_EQ(sizes.size(), 3u);
  EXPECT_EQ(sizes[0], 1u);  // the lone first caller did not wait for company
  EXPECT_EQ(sizes[1], 4u);  // the eight that queued meanwhile, at most four a commit
  EXPECT_EQ(sizes[2], 4u);
}

TEST(GroupCommit, ABatchIsStoredWhileTheOneBeforeAwaitsTheBroker) {
  std::atomic<int> stored{0};
  std::atomic<bool> overlapped{false}, publishing{false};
  GroupCommit<int>* commits = nullptr;
  std::mutex mu;
  std::vector<size_t> published;
  std::vector<int> done_order;
  GroupCommit<int> group(
      {[&](std::vector<int*>& batch) { stored += static_cast<int>(batch.size()); },
       [&](std::vector<int*>& batch) {
         if (!publishing.exchange(true)) {  // the first publish waits for the next two's stores
           while (stored.load() < 3 || commits->Queued(1) < 2) std::this_thread::yield();
           overlapped.store(true);
         }
         std::lock_guard<std::mutex> lock(mu);
         published.push_back(batch.size());
       }},
      /*max_batch=*/1);
  commits = &group;
  std::vector<int> items = {0, 1, 2};
  std::vector<std::promise<void>> answered(3);
  for (int i = 0; i < 3; ++i) {
    if (i == 1) {
      while (!publishing.load()) std::this_thread::yield();  // item 0 alone, publishing
    }
    group.Submit(&items[i], [&, i] {
      {
        std::lock_guard<std::mutex> lock(mu);
        done_order.push_back(i);
      }
      answered[i].set_value();
    });
  }
  for (auto& a : answered) a.get_future().wait();
  EXPECT_TRUE(overlapped.load()) << "batches 1 and 2 were stored while batch 0 was publishing";
  ASSERT_EQ(published.size(), 2u);
  EXPECT_EQ(published[0], 1u);
  EXPECT_EQ(published[1], 2u) << "the two stored meanwhile are published together";
  EXPECT_EQ(done_order, (std::vector<int>{0, 1, 2}));
}

TEST(GroupCommit, DestructionCommitsWhatIsQueued) {
  std::atomic<int> published{0};
  std::vector<int> items(50);
  std::atomic<int> done{0};
  {
    GroupCommit<int> group({[](std::vector<int*>&) { std::this_thread::yield(); },
                            [&](std::vector<int*>& batch) { published += static_cast<int>(batch.size()); }},
                           /*max_batch=*/4);
    for (auto& i : items) group.Submit(&i, [&] { ++done; });
  }
  EXPECT_EQ(published.load(), 50);
  EXPECT_EQ(done.load(), 50);
}

}  // namespace
}  // namespace mot
