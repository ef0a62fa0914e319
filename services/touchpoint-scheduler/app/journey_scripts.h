#pragma once

#include "mot/common/redis.h"

namespace mot::scheduler {

// The Lua scripts of RedisJourneyStore (their keys and arguments beside each).
const RedisScript& ScheduleScript();
const RedisScript& AmendScript();
const RedisScript& ChangeScript();
const RedisScript& CustomerScript();
const RedisScript& SettleScript();
const RedisScript& AdvanceScript();

}  // namespace mot::scheduler
