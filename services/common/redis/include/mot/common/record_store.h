#pragma once

#include <limits>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "mot/common/redis.h"

namespace mot {

// Records (serialised protobuf messages) by id, with a per-customer index and a
// recent-first index, both ordered by a caller-given number (usually unix ms).
// Insert is the idempotency primitive: the first writer of an id wins.
struct NewRecord {
  std::string id;
  std::string customer_id;
  int64_t order = 0;
  std::string bytes;
};

// Where a newest-first page of an index ended: the entries ordered at most `max`,
// after the first `skip` of them (those at exactly `max` already served). Travels as a
// page token "<max>:<skip>".
struct PageCursor {
  int64_t max = std::numeric_limits<int64_t>::max();
  size_t skip = 0;
  // The first page for ""; nullopt for a token Token() did not make.
  static std::optional<PageCursor> Parse(const std::string& token);
  std::string Token() const { return absl::StrCat(max, ":", skip); }
  // Past one more entry, ordered `order` (entries come highest first).
  void Pass(int64_t order) {
    if (order == max) {
      ++skip;
    } else {
      max = order;
      skip = 1;
    }
  }
};

class RecordStore {
 public:
  virtual ~RecordStore() = default;
  // Insert for each, in one round trip where the store can: one result each, in order.
  virtual absl::StatusOr<std::vector<bool>> InsertAll(const std::vector<NewRecord>& records) {
    std::vector<bool> out;
    for (const auto& r : records) {
      auto stored = Insert(r.id, r.customer_id, r.order, r.bytes);
      if (!stored.ok()) return stored.status();
      out.push_back(*stored);
    }
    return out;
  }
  // Get for each, in one round trip where the store can.
  virtual absl::StatusOr<std::vector<std::optional<std::string>>> GetAll(
      const std::vector<std::string>& ids) {
    std::vector<std::optional<std::string>> out;
    for (const auto& id : ids) {
      auto got = Get(id);
      if (!got.ok()) return got.status();
      out.push_back(std::move(*got));
    }
    return out;
  }
  // true when stored, false when the id existed (its record is left as it was).
  virtual absl::StatusOr<bool> Insert(const std::string& id, const std::string& customer_id,
                                      int64_t order, const std::string& bytes) = 0;
  // Overwrites an existing record, keeping the time it expires at (ExpireAt).
  virtual absl::Status Put(const std::string& id, const std::string& bytes) = 0;
  // Put for each (id, bytes), in one round trip where the store can.
  virtual absl::Status PutAll(const std::vector<std::pair<std::string, std::string>>& records) {
    for (const auto& [id, bytes] : records) {
      if (auto s = Put(id, bytes); !s.ok()) return s;
    }
    return absl::OkStatus();
  }
  // Overwrites the record only while it is still `expected` (compare and set): false
  // when it changed meanwhile or is gone. Atomic where the store can be (Redis).
  virtual absl::StatusOr<bool> Replace(const std::string& id, const std::string& expected,
                                       const std::string& bytes) {
    auto current = Get(id);
    if (!current.ok()) return current.status();
    if (!current->has_value() || **current != expected) return false;
    if (auto s = Put(id, bytes); !s.ok()) return s;
    return true;
  }
  virtual absl::StatusOr<std::optional<std::string>> Get(const std::string& id) = 0;
  // Removes the records (written with Put: nothing else refers to them), in one round
  // trip where the store can.
  virtual absl::Status Erase(const std::vector<std::string>& ids) = 0;
  // Retention: each record (id, unix ms) is removed by the store at that time; 0 keeps
  // it for good again (a reopened ticket). Its ids leave the indexes when a listing
  // next finds them gone. Records stored without it are kept.
  virtual absl::Status ExpireAt(const std::vector<std::pair<std::string, int64_t>>& at) = 0;
  // Oldest first.
  virtual absl::StatusOr<std::vector<std::string>> ListByCustomer(const std::string& customer_id,
                                                                  size_t limit) = 0;
  // Newest first.
  virtual absl::StatusOr<std::vector<std::string>> ListRecent(size_t limit) = 0;
  // A customer's record ids with their order, newest first, from `from` on.
  virtual absl::StatusOr<std::vector<std::pair<std::string, int64_t>>> PageByCustomer(
      const std::string& customer_id, const PageCursor& from, size_t limit) {
    return absl::UnimplementedError("this store serves no pages");
  }
};

// Keys: mot:<ns>:rec:<id> (string), mot:<ns>:customer:<customer> and
// mot:<ns>:recent (sorted sets of ids by order).
class RedisRecordStore : public RecordStore {
 public:
  RedisRecordStore(RedisClient& redis, std::string ns) : redis_(redis), ns_(std::move(ns)) {}
  absl::StatusOr<bool> Insert(const std::string& id, const std::string& customer_id, int64_t order,
                              const std::string& bytes) override;
  absl::StatusOr<std::vector<bool>> InsertAll(const std::vector<NewRecord>& records) override;
  absl::StatusOr<std::vector<std::optional<std::string>>> GetAll(
      const std::vector<std::string>& ids) override;
  absl::Status Put(const std::string& id, const std::string& bytes) override;
  absl::Status PutAll(const std::vector<std::pair<std::string, std::string>>& records) override;
  absl::StatusOr<bool> Replace(const std::string& id, const std::string& expected,
                               const std::string& bytes) override;
  absl::StatusOr<std::optional<std::string>> Get(const std::string& id) override;
  absl::Status Erase(const std::vector<std::string>& ids) override;
  absl::Status ExpireAt(const std::vector<std::pair<std::string, int64_t>>& at) override;
  absl::StatusOr<std::vector<std::string>> ListByCustomer(const std::string& customer_id,
                                                          size_t limit) override;
  absl::StatusOr<std::vector<std::string>> ListRecent(size_t limit) override;
  absl::StatusOr<std::vector<std::pair<std::string, int64_t>>> PageByCustomer(
      const std::string& customer_id, const PageCursor& from, size_t limit) override;
  // The Redis key of a record, for a script that changes it with other keys at once.
  std::string Key(const std::string& id) const { return absl::StrCat("mot:", ns_, ":rec:", id); }

 private:
  // The records of `ids`, read from the index `index`; ids whose records are gone
  // (expired) are removed from it.
  absl::StatusOr<std::vector<std::string>> Load(const std::string& index,
                                                const std::vector<RedisReply>& ids);

  RedisClient& redis_;
  const std::string ns_;
};

// Typed view over a RecordStore for one protobuf message type.
template <typename Msg>
class ProtoStore {
 public:
  explicit ProtoStore(RecordStore& store) : store_(store) {}

  absl::StatusOr<bool> Insert(const std::string& id, const std::string& customer_id, int64_t order,
                              const Msg& msg) {
    return store_.Insert(id, customer_id, order, msg.SerializeAsString());
  }
  absl::Status Put(const std::string& id, const Msg& msg) {
    return store_.Put(id, msg.SerializeAsString());
  }
  absl::StatusOr<std::vector<bool>> InsertAll(const std::vector<NewRecord>& records) {
    return store_.InsertAll(records);
  }
  absl::StatusOr<std::vector<std::optional<Msg>>> GetAll(const std::vector<std::string>& ids) {
    auto raw = store_.GetAll(ids);
    if (!raw.ok()) return raw.status();
    std::vector<std::optional<Msg>> out;
    for (const auto& bytes : *raw) {
      if (!bytes) {
        out.emplace_back();
        continue;
      }
      auto msg = Parse(*bytes);
      if (!msg.ok()) return msg.status();
      out.emplace_back(std::move(*msg));
    }
    return out;
  }
  absl::StatusOr<std::optional<Msg>> Get(const std::string& id) {
    auto raw = store_.Get(id);
    if (!raw.ok()) return raw.status();
    if (!raw->has_value()) return std::optional<Msg>();
    return Parse(**raw);
  }
  absl::StatusOr<std::vector<Msg>> ListByCustomer(const std::string& customer_id, size_t limit) {
    return ParseAll(store_.ListByCustomer(customer_id, limit));
  }
  absl::StatusOr<std::vector<Msg>> ListRecent(size_t limit) {
    return ParseAll(store_.ListRecent(limit));
  }

 private:
  static absl::StatusOr<Msg> Parse(const std::string& bytes) {
    Msg msg;
    if (!msg.ParseFromString(bytes)) {
      return absl::DataLossError(
          absl::StrCat("stored ", Msg::descriptor()->full_name(), " cannot be decoded"));
    }
    return msg;
  }
  static absl::StatusOr<std::vector<Msg>> ParseAll(absl::StatusOr<std::vector<std::string>> raw) {
    if (!raw.ok()) return raw.status();
    std::vector<Msg> out;
    for (const auto& bytes : *raw) {
      auto msg = Parse(bytes);
      if (!msg.ok()) return msg.status();
      out.push_back(std::move(*msg));
    }
    return out;
  }
  RecordStore& store_;
};

}  // namespace mot
