#pragma once

#include <string>

namespace mot::scheduler {

// The command topic of the service a touchpoint acts through; empty for none.
std::string CommandTopic(const std::string& service);
}  // namespace mot::scheduler
