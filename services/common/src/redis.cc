#include "mot/common/redis.h"

#include <hiredis/hiredis.h>

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
    default:
      out.type = RedisReply::Type::kNil;
  }
  return out;
}

struct ReplyDeleter {
  void operator()(redisReply* r) const { freeReplyObject(r); }
};
using ReplyPtr = std::unique_ptr<redisReply, ReplyDeleter>;

}  // namespace

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

RedisClient::~RedisClient() {
  std::lock_guard lock(mu_);
  DropLocked();
}

void RedisClient::DropLocked() {
  if (ctx_ != nullptr) redisFree(ctx_);
  ctx_ = nullptr;
}

absl::Status RedisClient::ConnectLocked() {
  if (ctx_ != nullptr) return absl::OkStatus();
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
    ReplyPtr auth(static_cast<redisReply*>(redisCommand(ctx, "AUTH %b", password_.data(),
                                                        password_.size())));
    if (!auth || auth->type == REDIS_REPLY_ERROR) {
      // The reason without the password: "WRONGPASS ..." or the I/O error.
      std::string why = auth ? std::string(auth->str, auth->len) : ctx->errstr;
      redisFree(ctx);
      return absl::UnavailableError(absl::StrCat("redis ", host_, ":", port_, " AUTH: ", why));
    }
  }
  ctx_ = ctx;
  return absl::OkStatus();
}

absl::StatusOr<std::vector<RedisReply>> RedisClient::Pipeline(
    const std::vector<std::vector<std::string>>& commands) {
  std::lock_guard lock(mu_);
  absl::Status last;
  for (int attempt = 0; attempt < 2; ++attempt) {
    if (attempt > 0) {
      DropLocked();
      if (reconnects_) reconnects_->Increment();
    }
    if (auto s = ConnectLocked(); !s.ok()) {
      last = s;
      continue;
    }
    for (const auto& argv : commands) {
      std::vector<const char*> args;
      std::vector<size_t> lens;
      for (const auto& a : argv) {
        args.push_back(a.data());
        lens.push_back(a.size());
      }
      redisAppendCommandArgv(ctx_, static_cast<int>(args.size()), args.data(), lens.data());
    }
    std::vector<RedisReply> replies;
    bool io_error = false;
    std::string error_reply;
    for (size_t i = 0; i < commands.size(); ++i) {
      void* raw = nullptr;
      if (redisGetReply(ctx_, &raw) != REDIS_OK || raw == nullptr) {
        io_error = true;
        break;
      }
      ReplyPtr reply(static_cast<redisReply*>(raw));
      if (reply->type == REDIS_REPLY_ERROR) error_reply.assign(reply->str, reply->len);
      replies.push_back(Convert(reply.get()));
    }
    if (io_error) {
      last = absl::UnavailableError(absl::StrCat("redis ", host_, ":", port_, ": ",
                                                 ctx_->errstr[0] ? ctx_->errstr : "I/O error"));
      Log().warn("redis call failed, reconnecting: {}", last.message());
      continue;
    }
    if (!error_reply.empty()) return absl::InternalError(absl::StrCat("redis: ", error_reply));
    return replies;
  }
  DropLocked();
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
