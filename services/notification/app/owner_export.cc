#include "notification/app/owner_export.h"

#include <map>
#include <utility>
#include <vector>

#include "notification/app/held_commands.h"
#include "notification/app/owner_deliveries.h"
#include "notification/domain/delivery_retention.h"

namespace mot::notification {

absl::StatusOr<v1::ExportCustomerResponse> OwnerExport::Export(const std::string& customer_id) {
  v1::ExportCustomerResponse out;
  auto profile = parts_.owners.Get(customer_id);
  if (!profile.ok()) return profile.status();
  if (*profile) *out.mutable_profile() = std::move(**profile);
  auto prefs = parts_.owners.Preferences(customer_id);
  if (!prefs.ok()) return prefs.status();
  *out.mutable_preferences() = std::move(prefs->first);
  out.set_preferences_source(prefs->second);
  auto stored = DeliveriesOf(parts_.store, customer_id);
  if (!stored.ok()) return stored.status();
  std::vector<v1::Delivery> deliveries;
  for (auto& s : *stored) {
    if (auto until = RetainedUntil(s.delivery, parts_.retention)) {
      (*out.mutable_retained_until())[s.delivery.id()] = ToProto(*until);
    }
    *out.add_deliveries() = s.delivery;
    deliveries.push_back(std::move(s.delivery));
  }
  auto held = HeldCommands(parts_.store).Of(deliveries);
  if (!held.ok()) return held.status();
  for (auto& h : *held) {
    v1::HeldMessage* m = out.add_held();
    m->set_delivery_id(h.delivery_id);
    const Template* tpl = parts_.templates.Find(h.command.template_id());
    const std::map<std::string, std::string> vars(h.command.variables().begin(),
                                                  h.command.variables().end());
    if (tpl != nullptr) {
      if (auto text = Render(*tpl, vars); text.ok()) m->set_text(*std::move(text));
    }
    *m->mutable_command() = std::move(h.command);
  }
  return out;
}

}  // namespace mot::notification
