#include "mot/common/redis.h"

#include <hiredis/hiredis.h>
#include <openssl/evp.h>

#include <map>

#include "absl/strings/str_cat.h"
#include "mot/common/log.h"
#include "prometheus/counter.h"
#include "prometheus/registry.h"

namespace mot {
namespace {

RedisReply Convert(const redisReply* r) {
  RedisReply out;
  switch (r->type) {
    case REDIS_REPLY_STRING:
      out.type = RedisReply::Type::kString;
      out.str.assign(r->str, r->len);
      break;
    case REDIS_REPLY_STATUS:
      out.type = RedisReply::Type::kStatus;
      out.str.assign(r->str, r->len);
      break;
    case REDIS_REPLY_INTEGER:
      out.type = RedisReply::Type::kInteger;
      out.integer = r->integer;
      break;
    case REDIS_REPLY_ARRAY:
      out.type = RedisReply::Type::kArray;
      for (size_t i = 0; i < r->elements; ++i) out.elements.push_back(Convert(r->element[i]));
      break;
    case REDIS_REPLY_ERROR:
      out.type = RedisReply::Type::kError;
      out.str.assign(r->str, r->len);
      break;
    default:
      out.type = RedisReply::Type::kNil;
  }
  return out;
}

struct ReplyDeleter {
  void operator()(redisReply* r) const { freeReplyObject(r); }
};
using ReplyPtr = std::unique_ptr<redisReply, ReplyDeleter>;

// sha -> source of every RedisScript made in this process.
std::mutex& ScriptsMutex() {
  static std::mutex mu;
  return mu;
}
std::map<std::string, std::string>& Scripts() {
  static std::map<std::string, std::string> scripts;
  return scripts;
}

std::string Sha1Hex(const std::string& text) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(text.data(), text.size(), digest, &len, EVP_sha1(), nullptr);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned int i = 0; i < len; ++i) {
    out += kHex[digest[i] >> 4];
    out += kHex[digest[i] & 0xf];
  }
  return out;
}

bool IsNoScript(const RedisReply& r) {
  return r.type == RedisReply::Type::kError && r.str.rfind("NOSCRIPT", 0) == 0;
}

}  // namespace

RedisScript::RedisScript(std::string source) : sha_(Sha1Hex(source)) {
  std::lock_guard lock(ScriptsMutex());
  Scripts().emplace(sha_, std::move(source));
}

std::vector<std::string> RedisScript::Call(const std::vector<std::string>& keys,
                                           const std::vector<std::string>& args) const {
  std::vector<std::string> argv;
  argv.reserve(3 + keys.size() + args.size());
  argv.push_back("EVALSHA");
  argv.push_back(sha_);
  argv.push_back(std::to_string(keys.size()));
  argv.insert(argv.end(), keys.begin(), keys.end());
  argv.insert(argv.end(), args.begin(), args.end());
  return argv;
}

RedisClient::RedisClient(std::string host, int port, std::string password,
                         std::chrono::milliseconds timeout, prometheus::Registry* registry)
    : host_(std::move(host)), port_(port), password_(std::move(password)), timeout_(timeout) {
  if (registry != nullptr) {
    reconnects_ = &prometheus::BuildCounter()
                       .Name("mot_redis_reconnects_total")
                       .Help("Connections to Redis re-established after a failure.")
                       .Register(*registry)
                       .Add({});
  }
}

RedisClient::~RedisClient() { DropIdle(); }

redisContext* RedisClient::TakeIdle() {
  std::lock_guard lock(mu_);
  if (idle_.empty()) return nullptr;
  redisContext* ctx = idle_.back();
  idle_.pop_back();
  return ctx;
}

void RedisClient::GiveBack(redisContext* ctx) {
  constexpr size_t kMaxIdle = 16;  // more threads than that share by opening anew
  {
    std::lock_guard lock(mu_);
    if (idle_.size() < kMaxIdle) {
      idle_.push_back(ctx);
      return;
    }
  }
  redisFree(ctx);
}

void RedisClient::DropIdle() {
  std::vector<redisContext*> idle;
  {
    std::lock_guard lock(mu_);
    idle.swap(idle_);
  }
  for (auto* ctx : idle) redisFree(ctx);
}

absl::StatusOr<redisContext*> RedisClient::Connect() {
  timeval tv{static_cast<time_t>(timeout_.count() / 1000),
             static_cast<suseconds_t>((timeout_.count() % 1000) * 1000)};
  redisContext* ctx = redisConnectWithTimeout(host_.c_str(), port_, tv);
  if (ctx == nullptr || ctx->err) {
    std::string why = ctx ? ctx->errstr : "out of memory";
    if (ctx) redisFree(ctx);
    return absl::UnavailableError(absl::StrCat("redis ", host_, ":", port_, ": ", why));
  }
  redisSetTimeout(ctx, tv);
  if (!password_.empty()) {
    ReplyPtr auth(
        static_cast<redisReply*>(redisCommand(ctx, "AUTH %b", password_.data(), password_.size())));
    if (!auth || auth->type == REDIS_REPLY_ERROR) {
      // The reason without the password: "WRONGPASS ..." or the I/O error.
      std::string why = auth ? std::string(auth->str, auth->len) : ctx->errstr;
      redisFree(ctx);
      return absl::UnavailableError(absl::StrCat("redis ", host_, ":", port_, " AUTH: ", why));
    }
  }
  return ctx;
}

bool RedisClient::RoundTrip(redisContext* ctx,
                            const std::vector<const std::vector<std::string>*>& commands,
                            std::vector<RedisReply>* replies) {
  for (const auto* argv : commands) {
    std::vector<const char*> args;
    std::vector<size_t> lens;
    args.reserve(argv->size());
    lens.reserve(argv->size());
    for (const auto& a : *argv) {
      args.push_back(a.data());
      lens.push_back(a.size());
    }
    redisAppendCommandArgv(ctx, static_cast<int>(args.size()), args.data(), lens.data());
  }
  replies->clear();
  replies->reserve(commands.size());
  for (size_t i = 0; i < commands.size(); ++i) {
    void* raw = nullptr;
    if (redisGetReply(ctx, &raw) != REDIS_OK || raw == nullptr) return false;
    ReplyPtr reply(static_cast<redisReply*>(raw));
    replies->push_back(Convert(reply.get()));
  }
  return true;
}

bool RedisClient::LoadScripts(redisContext* ctx) {
  std::vector<std::vector<std::string>> loads;
  {
    std::lock_guard lock(ScriptsMutex());
    for (const auto& [sha, source] : Scripts()) loads.push_back({"SCRIPT", "LOAD", source});
  }
  std::vector<const std::vector<std::string>*> ptrs;
  for (const auto& l : loads) ptrs.push_back(&l);
  std::vector<RedisReply> replies;
  return RoundTrip(ctx, ptrs, &replies);
}

absl::StatusOr<std::vector<RedisReply>> RedisClient::Pipeline(
    const std::vector<std::vector<std::string>>& commands) {
  absl::Status last;
  std::vector<const std::vector<std::string>*> all;
  all.reserve(commands.size());
  for (const auto& c : commands) all.push_back(&c);
  for (int attempt = 0; attempt < 2; ++attempt) {
    redisContext* ctx = attempt == 0 ? TakeIdle() : nullptr;
    if (ctx == nullptr) {
      auto made = Connect();
      if (!made.ok()) {
        last = made.status();
        continue;
      }
      ctx = *made;
      if (attempt > 0 && reconnects_) reconnects_->Increment();
    }
    std::vector<RedisReply> replies;
    bool io_ok = RoundTrip(ctx, all, &replies);
    // Scripts Redis does not know (restart, SCRIPT FLUSH): load them, run those calls again.
    std::vector<size_t> again;
    for (size_t i = 0; io_ok && i < replies.size(); ++i) {
      if (IsNoScript(replies[i])) again.push_back(i);
    }
    if (!again.empty()) {
      std::vector<const std::vector<std::string>*> retry;
      for (size_t i : again) retry.push_back(all[i]);
      std::vector<RedisReply> retried;
      io_ok = LoadScripts(ctx) && RoundTrip(ctx, retry, &retried);
      for (size_t k = 0; io_ok && k < again.size(); ++k) replies[again[k]] = std::move(retried[k]);
    }
    if (!io_ok) {
      last = absl::UnavailableError(absl::StrCat("redis ", host_, ":", port_, ": ",
                                                 ctx->errstr[0] ? ctx->errstr : "I/O error"));
      Log().warn("redis call failed, reconnecting: {}", last.message());
      redisFree(ctx);
      DropIdle();  // after a restart they are all broken
      continue;
    }
    GiveBack(ctx);
    for (const auto& r : replies) {
      if (r.type == RedisReply::Type::kError)
        return absl::InternalError(absl::StrCat("redis: ", r.str));
    }
    return replies;
  }
  return last;
}

absl::StatusOr<RedisReply> RedisClient::Command(const std::vector<std::string>& argv) {
  auto replies = Pipeline({argv});
  if (!replies.ok()) return replies.status();
  return std::move((*replies)[0]);
}

absl::Status RedisClient::Ping() {
  auto r = Command({"PING"});
  return r.ok() ? absl::OkStatus() : r.status();
}

}  // namespace mot
