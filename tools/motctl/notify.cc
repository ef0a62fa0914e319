// motctl notify send | list | prefs get|set: messages to owners through notification.
#include "client.h"
#include "fmt/format.h"
#include "mot/notification/v1/notification.grpc.pb.h"

namespace motctl {
namespace {

namespace nv1 = mot::notification::v1;

std::unique_ptr<nv1::NotificationService::Stub> Stub(Client& client) {
  return nv1::NotificationService::NewStub(client.Channel("MOT_NOTIFICATION_ADDR"));
}

std::string Listed(const nv1::Delivery& d) {
  std::string when =
      d.status() == nv1::DELIVERY_STATUS_DEFERRED || d.status() == nv1::DELIVERY_STATUS_RETRYING
          ? "until " + Time(d.deferred_until())
          : "at " + Time(d.delivered_at());
  return fmt::format("{}  {}  {}  {}  {}  {}\n", d.id(), d.template_id(), d.channel(),
                     Short(nv1::DeliveryStatus_Name(d.status()), "DELIVERY_STATUS_"),
                     d.provider_response().empty() ? d.reason() : d.provider_response(), when);
}

void AddSend(CLI::App& notify, Client& client) {
  struct Args {
    std::string customer, role, template_id, category, channel, id;
    std::vector<std::string> vars;
  };
  auto a = std::make_shared<Args>();
  auto* send = notify.add_subcommand("send", "queue a message for an owner (or a staff role)");
  auto* customer = send->add_option("--customer", a->customer, "customer id");
  send->add_option("--role", a->role, "a staff role instead of an owner")->excludes(customer);
  send->add_option("--template", a->template_id, "template id (deploy/config/templates.yaml)")
      ->required();
  send->add_option("--var", a->vars, "a template variable NAME=VALUE (repeatable)");
  send->add_option("--category", a->category,
                   "safety, legal, transactional, service, care, marketing, survey");
  send->add_option("--channel", a->channel, "the channel to prefer (a hint)");
  send->add_option("--id", a->id, "the command id (idempotency key); default: a fresh one");
  send->callback([&client, a] {
    nv1::SendRequest req;
    auto* cmd = req.mutable_command();
    cmd->set_command_id(a->id.empty() ? RandomId("motctl-") : a->id);
    cmd->set_customer_id(a->customer);
    cmd->set_role(a->role);
    cmd->set_template_id(a->template_id);
    cmd->set_category(a->category);
    cmd->set_channel(a->channel);
    for (const auto& v : a->vars) {
      const auto eq = v.find('=');
      if (eq == std::string::npos || eq == 0) {
        throw CLI::ValidationError("--var", "expected NAME=VALUE, got '" + v + "'");
      }
      (*cmd->mutable_variables())[v.substr(0, eq)] = v.substr(eq + 1);
    }
    nv1::SendResponse resp;
    Check(Stub(client)->Send(Context().get(), req, &resp), "notify send");
    if (client.json) {
      std::cout << Json(resp) << "\n";
    } else {
      std::cout << fmt::format("queued: delivery {} (command {})\n", resp.delivery_id(),
                               cmd->command_id());
    }
  });
}

void AddList(CLI::App& notify, Client& client) {
  struct Args {
    std::string customer, token;
    int size = 0;
  };
  auto a = std::make_shared<Args>();
  auto* list = notify.add_subcommand("list", "an owner's deliveries, newest first");
  list->add_option("customer", a->customer, "customer id, or role:<role>")->required();
  list->add_option("--page-size", a->size, "at most this many (0: the service's maximum)");
  list->add_option("--page-token", a->token, "from the previous page's last line");
  list->callback([&client, a] {
    nv1::ListDeliveriesRequest req;
    req.set_customer_id(a->customer);
    req.set_page_size(a->size);
    req.set_page_token(a->token);
    nv1::ListDeliveriesResponse resp;
    Check(Stub(client)->ListDeliveries(Context().get(), req, &resp), "notify list");
    PrintAll(resp.deliveries(), client.json, Listed);
    if (!client.json && !resp.next_page_token().empty()) {
      std::cout << "more: --page-token " << resp.next_page_token() << "\n";
    }
  });
}

void AddPrefs(CLI::App& notify, Client& client) {
  auto* prefs = notify.add_subcommand("prefs", "an owner's channel and category preferences");
  prefs->require_subcommand(1);
  struct Args {
    std::string customer;
    std::vector<std::string> opt_out_channels, opt_out_categories, preferred;
  };
  auto a = std::make_shared<Args>();
  auto print = [&client](const mot::customer::v1::Preferences& p, const std::string& source) {
    if (client.json) {
      std::cout << Json(p) << "\n";
      return;
    }
    auto join = [](const auto& list) {
      std::string out;
      for (const auto& s : list) out += (out.empty() ? "" : ",") + s;
      return out.empty() ? std::string("-") : out;
    };
    std::cout << fmt::format(
        "preferred: {}\nopted out of channels: {}\nopted out of categories: {}\n",
        join(p.preferred_channels()), join(p.opted_out_channels()), join(p.opted_out_categories()));
    if (!source.empty()) std::cout << "from: " << source << "\n";
  };
  auto* get = prefs->add_subcommand("get", "the preferences notification decides with");
  get->add_option("customer", a->customer, "customer id")->required();
  get->callback([&client, a, print] {
    nv1::GetPreferencesRequest req;
    req.set_customer_id(a->customer);
    nv1::GetPreferencesResponse resp;
    Check(Stub(client)->GetPreferences(Context().get(), req, &resp), "notify prefs get");
    print(resp.preferences(), resp.source());
  });
  auto* set = prefs->add_subcommand("set", "replace the owner's preferences");
  set->add_option("customer", a->customer, "customer id")->required();
  set->add_option("--prefer", a->preferred, "a channel, in order of preference (repeatable)");
  set->add_option("--opt-out-channel", a->opt_out_channels,
                  "a channel the owner refuses (repeatable)");
  set->add_option("--opt-out-category", a->opt_out_categories,
                  "a category the owner refuses (repeatable)");
  set->callback([&client, a, print] {
    nv1::SetPreferencesRequest req;
    req.set_customer_id(a->customer);
    auto* p = req.mutable_preferences();
    for (const auto& c : a->preferred) p->add_preferred_channels(c);
    for (const auto& c : a->opt_out_channels) p->add_opted_out_channels(c);
    for (const auto& c : a->opt_out_categories) p->add_opted_out_categories(c);
    nv1::SetPreferencesResponse resp;
    Check(Stub(client)->SetPreferences(Context().get(), req, &resp), "notify prefs set");
    print(resp.preferences(), "");
  });
}

}  // namespace

void AddNotify(CLI::App& app, Client& client) {
  auto* notify = app.add_subcommand("notify", "messages to owners: send, list, preferences");
  notify->require_subcommand(1);
  AddSend(*notify, client);
  AddList(*notify, client);
  AddPrefs(*notify, client);
}

}  // namespace motctl
