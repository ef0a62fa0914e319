#pragma once

#include <map>
#include <optional>
#include <string>

#include "mot/customer/v1/profile.pb.h"
#include "notification/app/provider.h"
#include "notification/domain/routing.h"

namespace mot::notification {

// The owner's contact point named `field` (Provider::ContactPoint); empty when none.
std::string ContactOf(const std::optional<customer::v1::CustomerProfile>& profile,
                      const std::string& field);

// What the routing rules know of an owner: the profile's segment, zone and
// preferences; the channels that reach them (a provider that needs no contact point
// of theirs, e.g. a group robot, unless the message is `personal`, or one whose
// contact point the profile has). The capped messages they were sent lately are the
// caller's to add.
Owner OwnerOf(const std::optional<customer::v1::CustomerProfile>& profile,
              const std::map<std::string, Provider*>& providers, bool personal);

}  // namespace mot::notification
