#pragma once

#include "mot/common/redis.h"
#include "ticketing/domain/ticket_index.h"

namespace mot::ticketing {

// The ticket indexes in Redis, under mot:ticketing:idx:.
class RedisIndexStore : public IndexStore {
 public:
  explicit RedisIndexStore(RedisClient& redis) : redis_(redis) {}
  absl::Status Apply(const std::vector<Op>& ops) override;
  absl::StatusOr<std::vector<std::pair<std::string, int64_t>>> RevRange(const std::string& key,
                                                                        int64_t max, int64_t min,
                                                                        size_t skip,
                                                                        size_t limit) override;
  absl::StatusOr<std::map<std::string, int64_t>> Hash(const std::string& key) override;
  absl::StatusOr<std::vector<int64_t>> Sizes(const std::vector<std::string>& keys,
                                             bool sorted) override;

 private:
  RedisClient& redis_;
};

}  // namespace mot::ticketing
