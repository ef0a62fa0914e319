#include "notification/app/notification_service.h"

#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "mot/common/gate.h"
#include "mot/common/ids.h"
#include "mot/common/log.h"
#include "mot/common/runtime.h"
#include "mot/common/topics.h"

namespace mot::notification {

namespace {

std::string Known(const std::set<std::string>& names) { return absl::StrJoin(names, ", "); }

// Every channel and category the preferences name is one channels.yaml knows.
grpc::Status CheckPreferences(const Routing& routing, const customer::v1::Preferences& p) {
  for (const auto* list : {&p.opted_out_channels(), &p.preferred_channels()}) {
    for (const auto& c : *list) {
      if (!routing.channels().count(c)) {
        // The caller's value is not echoed; the channels that are, are named.
        return InvalidArgument(list == &p.preferred_channels() ? "preferences.preferred_channels:"
                                                               : "preferences.opted_out_channels:",
                               absl::StrCat("a channel is not one of channels.yaml's (",
                                            Known(routing.channels()), ")"));
      }
    }
  }
  for (const auto& c : p.opted_out_categories()) {
    if (routing.Category(c) == nullptr) {
      return InvalidArgument("preferences.opted_out_categories:",
                             "a category is not one of channels.yaml's");
    }
  }
  return grpc::Status::OK;
}

}  // namespace

grpc::Status NotificationGrpc::Send(grpc::ServerContext* ctx, const v1::SendRequest* req,
                                    v1::SendResponse* resp) {
  v1::SendNotificationCommand cmd = req->command();
  cmd.set_requested_by(CallerOf(ctx));
  const bool to_role = !cmd.role().empty();
  if (cmd.command_id().empty()) return InvalidArgument("command.command_id", "is required");
  if (!to_role && cmd.customer_id().empty())
    return InvalidArgument("command.customer_id", "(or command.role) is required");
  if (to_role && !cmd.customer_id().empty())
    return InvalidArgument("command.customer_id", "and command.role: one, not both");
  if (cmd.template_id().empty()) return InvalidArgument("command.template_id", "is required");
  const Template* tpl = parts_.templates.Find(cmd.template_id());
  if (tpl == nullptr)
    return InvalidArgument("command.template_id", "is unknown (not in the templates)");
  std::map<std::string, std::string> vars(cmd.variables().begin(), cmd.variables().end());
  if (auto text = Render(*tpl, vars); !text.ok()) {
    return InvalidArgument("command.variables:", std::string(text.status().message()));
  }
  if (!cmd.category().empty() && parts_.routing.Category(cmd.category()) == nullptr) {
    return InvalidArgument("command.category:", "not one of channels.yaml's categories");
  }
  if (!cmd.channel().empty() && !parts_.routing.channels().count(cmd.channel())) {
    return InvalidArgument("command.channel:", "not one of channels.yaml's channels");
  }
  const std::string key = to_role ? "role:" + cmd.role() : cmd.customer_id();
  if (auto s = parts_.out.Publish(kNotificationCommandsTopic, key, cmd.SerializeAsString());
      !s.ok()) {
    return ToGrpc(s);
  }
  resp->set_delivery_id(DeterministicId("dl", {cmd.command_id()}));
  return grpc::Status::OK;
}

grpc::Status NotificationGrpc::ListDeliveries(grpc::ServerContext* ctx,
                                              const v1::ListDeliveriesRequest* req,
                                              v1::ListDeliveriesResponse* resp) {
  if (req->customer_id().empty()) return InvalidArgument("customer_id", "is required");
  size_t limit = 0;
  if (auto s = PageSize(req->page_size(), parts_.max_page_size, &limit); !s.ok()) return s;
  auto cursor = PageCursor::Parse(req->page_token());
  if (!cursor) return InvalidArgument("page_token", "is not one this service gave out");
  auto entries = parts_.store.PageByCustomer(req->customer_id(), *cursor, limit);
  if (!entries.ok()) return ToGrpc(entries.status());
  std::vector<std::string> ids;
  for (const auto& [id, _] : *entries) ids.push_back(id);
  auto found = deliveries_.GetAll(ids);
  if (!found.ok()) return ToGrpc(found.status());
  PageCursor at = *cursor;
  for (size_t i = 0; i < entries->size(); ++i) {
    at.Pass((*entries)[i].second);
    if ((*found)[i]) *resp->add_deliveries() = std::move(*(*found)[i]);
  }
  if (entries->size() == limit) resp->set_next_page_token(at.Token());
  return grpc::Status::OK;
}

grpc::Status NotificationGrpc::GetPreferences(grpc::ServerContext* ctx,
                                              const v1::GetPreferencesRequest* req,
                                              v1::GetPreferencesResponse* resp) {
  if (req->customer_id().empty()) return InvalidArgument("customer_id", "is required");
  auto prefs = parts_.owners.Preferences(req->customer_id());
  if (!prefs.ok()) return ToGrpc(prefs.status());
  *resp->mutable_preferences() = std::move(prefs->first);
  resp->set_source(prefs->second);
  return grpc::Status::OK;
}

grpc::Status NotificationGrpc::SetPreferences(grpc::ServerContext* ctx,
                                              const v1::SetPreferencesRequest* req,
                                              v1::SetPreferencesResponse* resp) {
  if (req->customer_id().empty()) return InvalidArgument("customer_id", "is required");
  if (auto s = CheckPreferences(parts_.routing, req->preferences()); !s.ok()) return s;
  customer::v1::Preferences prefs = req->preferences();
  prefs.set_updated_by(CallerOf(ctx));
  if (auto s = parts_.owners.SetPreferences(req->customer_id(), prefs); !s.ok()) {
    return ToGrpc(s);
  }
  *resp->mutable_preferences() = std::move(prefs);
  return grpc::Status::OK;
}

grpc::Status NotificationGrpc::ExportCustomer(grpc::ServerContext* ctx,
                                              const v1::ExportCustomerRequest* req,
                                              v1::ExportCustomerResponse* resp) {
  if (req->customer_id().empty()) return InvalidArgument("customer_id", "is required");
  auto exported = parts_.exporter.Export(req->customer_id());
  if (!exported.ok()) return ToGrpc(exported.status());
  *resp = *std::move(exported);
  // Who asked, and how much went out; nothing of the owner's.
  Log().info("ExportCustomer by '{}': {} deliveries, {} held messages", CallerOf(ctx),
             resp->deliveries_size(), resp->held_size());
  return grpc::Status::OK;
}

}  // namespace mot::notification
