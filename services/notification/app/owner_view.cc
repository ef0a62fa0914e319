#include "notification/app/owner_view.h"

namespace mot::notification {

std::string ContactOf(const std::optional<customer::v1::CustomerProfile>& profile,
                      const std::string& field) {
  if (!profile) return "";
  const auto& c = profile->contact();
  if (field == "mobile") return c.mobile();
  if (field == "email") return c.email();
  if (field == "wecom_user_id") return c.wecom_user_id();
  if (field == "app_device_token") return c.app_device_token();
  return "";
}

Owner OwnerOf(const std::optional<customer::v1::CustomerProfile>& profile,
              const std::map<std::string, Provider*>& providers, bool personal) {
  Owner o;
  for (const auto& [channel, provider] : providers) {
    const std::string field = provider->ContactPoint();
    if (field.empty() ? !personal : !ContactOf(profile, field).empty()) o.reachable.insert(channel);
  }
  if (!profile) return o;
  o.segment = profile->segment();
  o.time_zone = profile->time_zone();
  const auto& prefs = profile->preferences();
  o.preferred_channels.assign(prefs.preferred_channels().begin(), prefs.preferred_channels().end());
  o.opted_out_channels.insert(prefs.opted_out_channels().begin(), prefs.opted_out_channels().end());
  o.opted_out_categories.insert(prefs.opted_out_categories().begin(),
                                prefs.opted_out_categories().end());
  return o;
}

}  // namespace mot::notification
