// The gate's decisions: tokens (signature, algorithm, issuer, expiry, subject, scopes),
// scopes per method, open health and reflection, the caller's rate.
#include "mot/common/gate.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>

#include <chrono>
#include <memory>
#include <string>

#include "absl/strings/escaping.h"
#include "gtest/gtest.h"

namespace mot {
namespace {

using std::chrono::seconds;
using Time = std::chrono::system_clock::time_point;

struct KeyPair {
  std::string private_pem;
  std::string public_pem;
};

// A fresh P-256 key pair in PEM.
KeyPair NewKey() {
  EVP_PKEY* key = EVP_EC_gen("P-256");
  KeyPair pair;
  const auto pem = [](auto write) {
    BIO* bio = BIO_new(BIO_s_mem());
    write(bio);
    char* data = nullptr;
    long n = BIO_get_mem_data(bio, &data);
    std::string out(data, n);
    BIO_free(bio);
    return out;
  };
  pair.private_pem = pem(
      [key](BIO* b) { PEM_write_bio_PrivateKey(b, key, nullptr, nullptr, 0, nullptr, nullptr); });
  pair.public_pem = pem([key](BIO* b) { PEM_write_bio_PUBKEY(b, key); });
  EVP_PKEY_free(key);
  return pair;
}

const KeyPair& Issuer() {
  static const KeyPair key = NewKey();
  return key;
}

std::string Token(const std::string& subject, std::set<Scope> scopes, Time expires,
                  const std::string& issuer = "motmesh", const KeyPair& key = Issuer()) {
  auto t = IssueToken(key.private_pem, issuer, subject, scopes, expires);
  EXPECT_TRUE(t.ok()) << t.status();
  return t.ok() ? *t : "";
}

std::string B64(const std::string& s) { return absl::WebSafeBase64Escape(s); }

const Time kNow = Time(seconds(1795000000));

TokenVerifier Verifier() { return TokenVerifier(Issuer().public_pem, "motmesh", seconds(60)); }

std::string Refusal(const std::string& token, Time now = kNow) {
  auto c = Verifier().Verify(token, now);
  EXPECT_FALSE(c.ok()) << "accepted: " << token;
  EXPECT_EQ(c.status().code(), absl::StatusCode::kUnauthenticated);
  return std::string(c.status().message());
}

TEST(Token, ASignedTokenGivesItsSubjectAndScopes) {
  auto c = Verifier().Verify(
      Token("agent-li", {Scope::kAgent, Scope::kReader}, kNow + seconds(3600)), kNow);
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->subject, "agent-li");
  EXPECT_EQ(c->scopes, (std::set<Scope>{Scope::kAgent, Scope::kReader}));
}

TEST(Token, ExpiryHasALeewayAndNoMore) {
  const std::string t = Token("a", {Scope::kReader}, kNow);
  EXPECT_TRUE(Verifier().Verify(t, kNow + seconds(60)).ok());
  EXPECT_EQ(Refusal(t, kNow + seconds(61)), "token expired");
}

TEST(Token, EveryForgeryIsRefusedNamingWhatIsWrong) {
  const Time later = kNow + seconds(3600);
  // Signed with another key.
  EXPECT_EQ(Refusal(Token("a", {Scope::kReader}, later, "motmesh", NewKey())),
            "token is malformed or its signature does not verify");
  // Another issuer.
  EXPECT_EQ(Refusal(Token("a", {Scope::kReader}, later, "someone-else")),
            "token issuer is not motmesh");
  // No subject, an unknown scope: claims built by hand, signed properly.
  const std::string body = std::string(R"({"iss":"motmesh","exp":)") + "1795003600";
  // alg none: a header and claims without a signature.
  const std::string none = B64(R"({"alg":"none","typ":"JWT"})") + "." +
                           B64(body + R"(,"sub":"a","scope":"manager"})") + ".";
  EXPECT_FALSE(Verifier().Verify(none, kNow).ok());
  // HS256 keyed with the public key's PEM (the algorithm-confusion attack).
  const std::string signing =
      B64(R"({"alg":"HS256","typ":"JWT"})") + "." + B64(body + R"(,"sub":"a","scope":"manager"})");
  unsigned char mac[32];
  unsigned int mac_len = 0;
  const std::string& k = Issuer().public_pem;
  HMAC(EVP_sha256(), k.data(), static_cast<int>(k.size()),
       reinterpret_cast<const unsigned char*>(signing.data()), signing.size(), mac, &mac_len);
  const std::string hs = signing + "." + B64(std::string(reinterpret_cast<char*>(mac), mac_len));
  EXPECT_FALSE(Verifier().Verify(hs, kNow).ok());
  // Garbage, and a token too long to read.
  EXPECT_EQ(Refusal("not.a.token"), "token is malformed or its signature does not verify");
  EXPECT_EQ(Refusal(std::string(9000, 'a')), "token too long");
}

TEST(Token, IssuingNamesABadKeyOrSubject) {
  EXPECT_FALSE(IssueToken("not a key", "motmesh", "a", {Scope::kReader}, kNow).ok());
  EXPECT_FALSE(IssueToken(Issuer().private_pem, "motmesh", "", {Scope::kReader}, kNow).ok());
  EXPECT_EQ(ParseScope("admin").status().code(), absl::StatusCode::kInvalidArgument);
}

class GateTest : public ::testing::Test {
 protected:
  GateTest() : gate_(Config(), Policy(), nullptr) {}
  static GateConfig Config() {
    GateConfig c;
    c.jwt_public_key_pem = Issuer().public_pem;
    c.caller_rate = 1;
    c.caller_burst = 3;
    return c;
  }
  static AccessPolicy Policy() {
    return {{"/mot.ticketing.v1.TicketingService/AddNote", Scope::kAgent},
            {"/mot.ticketing.v1.TicketingService/GetTicket", Scope::kReader}};
  }
  grpc::Status Call(const std::string& method, const std::string& authorization,
                    Claims* caller = nullptr) {
    Claims c;
    return gate_.Admit(method, authorization, caller ? caller : &c);
  }
  static std::string Bearer(const std::string& subject, std::set<Scope> scopes) {
    return "Bearer " + Token(subject, scopes, std::chrono::system_clock::now() + seconds(600));
  }
  Gate gate_;
};

TEST_F(GateTest, NoTokenOrNotABearerIsUnauthenticated) {
  auto s = Call("/mot.ticketing.v1.TicketingService/GetTicket", "");
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(s.error_message(), "no token: send `authorization: Bearer <token>`");
  EXPECT_EQ(Call("/mot.ticketing.v1.TicketingService/GetTicket", "Basic YTpi").error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(Call("/mot.ticketing.v1.TicketingService/GetTicket", "Bearer x.y.z").error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
}

TEST_F(GateTest, TheMethodsScopeIsNeededAndTheCallerKnown) {
  Claims caller;
  auto ok = Call("/mot.ticketing.v1.TicketingService/AddNote", Bearer("agent-li", {Scope::kAgent}),
                 &caller);
  EXPECT_TRUE(ok.ok()) << ok.error_message();
  EXPECT_EQ(caller.subject, "agent-li");
  auto denied =
      Call("/mot.ticketing.v1.TicketingService/AddNote", Bearer("reader-1", {Scope::kReader}));
  EXPECT_EQ(denied.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(denied.error_message(),
            "TicketingService/AddNote needs the scope 'agent', which the token does not carry");
  // A method the policy does not list is nobody's.
  EXPECT_EQ(Call("/mot.ticketing.v1.TicketingService/DropAll",
                 Bearer("m", {Scope::kPublisher, Scope::kAgent, Scope::kManager, Scope::kReader}))
                .error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
}

TEST_F(GateTest, HealthAndReflectionStayOpen) {
  EXPECT_TRUE(Call("/grpc.health.v1.Health/Check", "").ok());
  EXPECT_TRUE(Call("/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo", "").ok());
}

TEST_F(GateTest, ACallerOverItsRateIsToldToComeBackOthersAreNot) {
  const std::string busy = Bearer("busy", {Scope::kReader});
  int admitted = 0, exhausted = 0;
  for (int i = 0; i < 10; ++i) {
    auto s = Call("/mot.ticketing.v1.TicketingService/GetTicket", busy);
    admitted += s.ok();
    if (s.error_code() == grpc::StatusCode::RESOURCE_EXHAUSTED) {
      ++exhausted;
      EXPECT_EQ(s.error_message(), "over the caller's rate of 1 calls a second; retry later");
    }
  }
  EXPECT_EQ(admitted, 3);  // the burst; the next token is a second away
  EXPECT_EQ(exhausted, 7);
  EXPECT_TRUE(
      Call("/mot.ticketing.v1.TicketingService/GetTicket", Bearer("calm", {Scope::kReader})).ok());
}

TEST(Policy, EveryMethodOfTheServiceNeedsAScope) {
  std::map<std::string, Scope> scopes = {{"GetJourney", Scope::kReader}};
  EXPECT_THROW(PolicyOf("mot.scheduler.v1.SchedulerService", scopes), std::logic_error);
  EXPECT_THROW(PolicyOf("mot.nothing.v1.Nothing", scopes), std::logic_error);
}

}  // namespace
}  // namespace mot
