#include "mot/common/ids.h"

#include <cstdint>
#include <random>

#include "absl/strings/str_format.h"

namespace mot {
namespace {
constexpr uint64_t kFnvPrime = 1099511628211ULL;
constexpr uint64_t kFnvOffset = 14695981039346656037ULL;
}  // namespace

std::string DeterministicId(std::string_view prefix,
                            std::initializer_list<std::string_view> parts) {
  uint64_t a = kFnvOffset;
  uint64_t b = 0x9e3779b97f4a7c15ULL;
  for (std::string_view part : parts) {
    for (unsigned char c : part) {
      a = (a ^ c) * kFnvPrime;
      b = (b ^ c) * kFnvPrime;
    }
    // A separator that cannot appear in text keeps ("ab","c") apart from ("a","bc").
    a = (a ^ 0xff) * kFnvPrime;
    b = (b ^ 0xfe) * kFnvPrime;
  }
  return absl::StrFormat("%s-%016x%016x", std::string(prefix), a, b);
}

uint64_t StableHash(std::string_view text) {
  uint64_t h = kFnvOffset;
  for (unsigned char c : text) h = (h ^ c) * kFnvPrime;
  return h;
}

std::string RandomReplicaId() {
  std::random_device rd;
  return absl::StrFormat("%08x%08x", rd(), rd());
}

}  // namespace mot
