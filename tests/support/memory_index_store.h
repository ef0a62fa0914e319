#pragma once

#include <algorithm>
#include <map>
#include <set>
#include <string>

#include "ticketing/domain/ticket_index.h"

namespace mot::testkit {

// IndexStore in memory, for unit tests: sorted sets, hashes and sets as Redis keeps them.
class MemoryIndexStore : public ticketing::IndexStore {
 public:
  absl::Status Apply(const std::vector<Op>& ops) override {
    for (const auto& op : ops) {
      switch (op.kind) {
        case Op::kZAdd:
          zsets_[op.key][op.member] = op.n;
          break;
        case Op::kZRem:
          zsets_[op.key].erase(op.member);
          break;
        case Op::kHIncrBy:
          hashes_[op.key][op.member] += op.n;
          break;
        case Op::kSAdd:
          sets_[op.key].insert(op.member);
          break;
      }
    }
    return absl::OkStatus();
  }
  absl::StatusOr<std::vector<std::pair<std::string, int64_t>>> RevRange(const std::string& key,
                                                                        int64_t max, int64_t min,
                                                                        size_t skip,
                                                                        size_t limit) override {
    std::vector<std::pair<std::string, int64_t>> all;
    for (const auto& [member, score] : zsets_[key]) {
      if (score >= min && score <= max) all.emplace_back(member, score);
    }
    // Redis: by score, then by member, both descending.
    std::sort(all.begin(), all.end(), [](const auto& a, const auto& b) {
      return a.second != b.second ? a.second > b.second : a.first > b.first;
    });
    std::vector<std::pair<std::string, int64_t>> out;
    for (size_t i = skip; i < all.size() && out.size() < limit; ++i) out.push_back(all[i]);
    return out;
  }
  absl::StatusOr<std::map<std::string, int64_t>> Hash(const std::string& key) override {
    return hashes_[key];
  }
  absl::StatusOr<std::vector<int64_t>> Sizes(const std::vector<std::string>& keys,
                                             bool sorted) override {
    std::vector<int64_t> out;
    for (const auto& k : keys) {
      out.push_back(static_cast<int64_t>(sorted ? zsets_[k].size() : sets_[k].size()));
    }
    return out;
  }

 private:
  std::map<std::string, std::map<std::string, int64_t>> zsets_;
  std::map<std::string, std::map<std::string, int64_t>> hashes_;
  std::map<std::string, std::set<std::string>> sets_;
};

}  // namespace mot::testkit
