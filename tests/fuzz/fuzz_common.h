// What the fuzz targets share: the shipped configuration, reporting a broken
// invariant, and the check that a refusal quotes none of the input it refused.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <initializer_list>
#include <set>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "google/protobuf/timestamp.pb.h"
#include "google/protobuf/util/time_util.h"
#include "mot/common/validate.h"

namespace motfuzz {

// Reports what broke and aborts: libFuzzer saves the input as a crash.
[[noreturn]] inline void Broken(const std::string& what) {
  std::fprintf(stderr, "\n*** invariant broken: %s\n", what.c_str());
  std::fflush(stderr);
  std::abort();
}

inline void Check(bool ok, const std::string& what) {
  if (!ok) Broken(what);
}

// Bugs these targets found that are not fixed yet, each with its input and stack in
// tests/fuzz/crashes-found/. While an issue is listed, the target lets inputs that
// show it pass (and goes on with the next), so the short run in make test keeps
// guarding everything else; MOT_FUZZ_STRICT=1 fails on them too. Remove an entry
// with its fix.
inline bool Tolerated(const char* issue) {
  static const bool strict = [] {
    const char* v = std::getenv("MOT_FUZZ_STRICT");
    return v != nullptr && *v != 0 && std::string(v) != "0";
  }();
  // Issues found by these targets and not yet fixed (none: the ones found so far are
  // fixed, their inputs kept in tests/fuzz/crashes-found/ as seeds that guard the fix).
  static const std::set<std::string> known = {};
  return !strict && known.count(issue) > 0;
}

// Whether a protobuf Timestamp can hold `t` (years 1 to 9999).
inline bool Holdable(const google::protobuf::Timestamp& t) {
  using google::protobuf::util::TimeUtil;
  return t.seconds() >= TimeUtil::kTimestampMinSeconds &&
         t.seconds() <= TimeUtil::kTimestampMaxSeconds;
}

// Whether `text` is well-formed UTF-8 (what a proto3 string field must hold).
inline bool IsUtf8(std::string_view text) { return mot::IsUtf8(text); }

// Whether DecodeMessage would read these bytes as JSON (codec.cc: LooksLikeJson with
// no content-type header).
inline bool SniffedAsJson(std::string_view bytes) {
  const size_t i = bytes.find_first_not_of(" \t\r\n");
  return i != std::string_view::npos && bytes[i] == '{';
}

// `message` with every byte that lies in an occurrence of one of `names` blanked:
// what a refusal may quote in full (a form field's name), before the rest is checked.
// Occurrences are all found first (names may overlap), then blanked.
inline std::string Blanked(std::string message, const std::vector<std::string>& names) {
  std::vector<bool> covered(message.size(), false);
  for (const auto& name : names) {
    if (name.empty()) continue;
    for (size_t at = message.find(name); at != std::string::npos; at = message.find(name, at + 1)) {
      std::fill(covered.begin() + at, covered.begin() + at + name.size(), true);
    }
  }
  for (size_t i = 0; i < message.size(); ++i) {
    if (covered[i]) message[i] = ' ';
  }
  return message;
}

// A file of deploy/config/, as shipped.
inline std::string ShippedConfig(const char* name) {
  const std::string path = std::string(MOT_SOURCE_DIR) + "/deploy/config/" + name;
  std::ifstream in(path);
  if (!in) {
    std::fprintf(stderr, "cannot read %s\n", path.c_str());
    std::abort();
  }
  std::stringstream buf;
  buf << in.rdbuf();
  return buf.str();
}

inline std::string Str(const uint8_t* data, size_t size) {
  return std::string(reinterpret_cast<const char*>(data), size);
}

// A byte that no refusal's own wording holds (letters, digits and the punctuation
// of "field 'x': expected <a>, (b) or c-d"): a refusal holding a run of the input
// with one of these quotes the input.
inline bool IsMarker(unsigned char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return false;
  return c == 0 || std::strchr(" ._:'\"()<>[]{},;-+/=|", c) == nullptr;
}

// The first run of `window` bytes of `message` that holds a marker byte and occurs
// in `secret` (but in none of `allowed`: text a refusal may name, e.g. a form field's
// name); empty when there is none.
inline std::string Quoted(std::string_view message, std::string_view secret,
                          std::initializer_list<std::string_view> allowed = {}, size_t window = 6) {
  if (message.size() < window || secret.size() < window) return "";
  for (size_t i = 0; i + window <= message.size(); ++i) {
    const std::string_view run = message.substr(i, window);
    bool marked = false;
    for (unsigned char c : run) marked = marked || IsMarker(c);
    if (!marked || secret.find(run) == std::string_view::npos) continue;
    bool ok = false;
    for (std::string_view a : allowed) ok = ok || a.find(run) != std::string_view::npos;
    if (!ok) return std::string(run);
  }
  return "";
}

// Aborts when `message` (a refusal) quotes `secret` (what the sender wrote).
inline void CheckNotQuoted(std::string_view message, std::string_view secret,
                           std::initializer_list<std::string_view> allowed = {}) {
  const std::string run = Quoted(message, secret, allowed);
  if (!run.empty()) {
    Broken("the refusal quotes the input (\"" + run + "\"): " + std::string(message));
  }
}

// Splits "name: value" lines up to the first empty line (headers) from the rest
// (the body), as in an HTTP message. An input that starts with an empty line, or
// that has none, is all body.
struct HeadersAndBody {
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
};
inline HeadersAndBody SplitHeaders(const std::string& in) {
  HeadersAndBody out;
  if (!in.empty() && in[0] == '\n') {
    out.body = in.substr(1);
    return out;
  }
  const size_t end = in.find("\n\n");
  if (end == std::string::npos) {
    out.body = in;
    return out;
  }
  out.body = in.substr(end + 2);
  size_t at = 0;
  while (at < end) {
    size_t nl = in.find('\n', at);
    if (nl == std::string::npos || nl > end) nl = end;
    const std::string line = in.substr(at, nl - at);
    at = nl + 1;
    if (line.empty()) continue;
    const size_t colon = line.find(':');
    std::string name = line.substr(0, colon), value;
    if (colon != std::string::npos) {
      value = line.substr(colon + 1);
      if (!value.empty() && value[0] == ' ') value.erase(0, 1);
    }
    out.headers.emplace_back(std::move(name), std::move(value));
  }
  return out;
}

}  // namespace motfuzz
