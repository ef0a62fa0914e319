#pragma once

#include <initializer_list>
#include <string>
#include <string_view>

namespace mot {

// A stable id from its parts (FNV-1a over the parts, 128 bits in hex), prefixed:
// DeterministicId("tp", {event_id, step_id}) is the same in every process and run.
std::string DeterministicId(std::string_view prefix, std::initializer_list<std::string_view> parts);

// 16 random hex digits: a process's own id (e.g. in the tokens of its timer claims).
std::string RandomReplicaId();

// A stable 64-bit FNV-1a hash, e.g. to spread keys over partitions.
uint64_t StableHash(std::string_view text);

}  // namespace mot
