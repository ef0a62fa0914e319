// motctl publish: lifecycle events onto mot.lifecycle.v1, from flags or JSON lines.
#include <fstream>
#include <random>

#include "client.h"
#include "fmt/format.h"
#include "google/protobuf/util/json_util.h"
#include "mot/common/config.h"
#include "mot/common/kafka.h"
#include "mot/common/topics.h"
#include "mot/lifecycle/v1/event.pb.h"

namespace motctl {
namespace {

using mot::lifecycle::v1::LifecycleEvent;

struct PublishFlags {
  std::string type, customer, unit, project, event_id, occurred_at, ago, source, file;
  std::vector<std::string> attrs;
};

}  // namespace

std::vector<LifecycleEvent> ReadEventLines(const std::string& file) {
  std::vector<LifecycleEvent> events;
  std::ifstream in_file;
  if (file != "-") {
    in_file.open(file);
    if (!in_file) throw std::runtime_error("--file " + file + " cannot be read");
  }
  std::istream& in = file == "-" ? std::cin : in_file;
  std::string line;
  int n = 0;
  while (std::getline(in, line)) {
    ++n;
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    LifecycleEvent e;
    auto s = google::protobuf::util::JsonStringToMessage(line, &e);
    if (!s.ok()) throw std::runtime_error(fmt::format("line {}: {}", n, std::string(s.message())));
    events.push_back(std::move(e));
  }
  return events;
}

mot::OutMessage LifecycleMessage(const LifecycleEvent& e) {
  return {mot::kLifecycleTopic,
          e.customer_id(),
          e.SerializeAsString(),
          {{"content-type", "application/protobuf"},
           {"ce_specversion", "1.0"},
           {"ce_id", e.event_id()},
           {"ce_type", "mot.lifecycle.v1." + e.type()},
           {"ce_source", e.source().empty() ? "motctl" : e.source()},
           {"ce_subject", e.customer_id()},
           {"ce_time", mot::FormatTime(mot::FromProto(e.occurred_at()))}}};
}

namespace {

LifecycleEvent FromFlags(const PublishFlags& f, mot::TimePoint now) {
  LifecycleEvent e;
  e.set_type(f.type);
  e.set_customer_id(f.customer);
  e.set_unit_id(f.unit);
  e.set_project_id(f.project);
  e.set_event_id(f.event_id);
  e.set_source(f.source.empty() ? "motctl" : f.source);
  if (!f.occurred_at.empty()) {
    mot::TimePoint t;
    if (!mot::ParseTime(f.occurred_at, &t)) {
      throw std::runtime_error("--occurred-at '" + f.occurred_at + "' is not an RFC 3339 time");
    }
    *e.mutable_occurred_at() = mot::ToProto(t);
  } else if (!f.ago.empty()) {
    auto d = mot::ParseDuration(f.ago);
    if (!d.ok()) throw std::runtime_error("--ago: " + std::string(d.status().message()));
    *e.mutable_occurred_at() = mot::ToProto(now - *d);
  }
  for (const auto& a : f.attrs) {
    auto eq = a.find('=');
    if (eq == std::string::npos) throw std::runtime_error("--attr '" + a + "': expected key=value");
    (*e.mutable_attributes())[a.substr(0, eq)] = a.substr(eq + 1);
  }
  return e;
}

void Publish(Client& client, std::vector<LifecycleEvent> events, mot::TimePoint now) {
  mot::KafkaProducer producer(client.Get("MOT_KAFKA_BROKERS"), "motctl", std::chrono::seconds(15),
                              mot::KafkaOptionsFromEnv(mot::Env()));
  for (auto& e : events) {
    if (e.event_id().empty()) e.set_event_id(RandomId("ev"));
    if (!e.has_occurred_at()) *e.mutable_occurred_at() = mot::ToProto(now);
    for (auto [value, field] :
         {std::pair{&e.type(), "type"}, std::pair{&e.customer_id(), "customer_id"}}) {
      if (value->empty())
        throw std::runtime_error(fmt::format("event {}: {} is required", e.event_id(), field));
    }
    const mot::OutMessage m = LifecycleMessage(e);
    auto s = producer.Publish(m.topic, m.key, m.payload, m.headers);
    if (!s.ok()) throw std::runtime_error(std::string(s.message()));
    std::cout << "published " << e.event_id() << " " << e.type() << " customer " << e.customer_id()
              << "\n";
  }
}

}  // namespace

void AddPublish(CLI::App& app, Client& client) {
  auto* cmd = app.add_subcommand("publish", "publish lifecycle events onto mot.lifecycle.v1");
  auto f = std::make_shared<PublishFlags>();
  cmd->add_option("--type", f->type, "event type, e.g. contract_signed");
  cmd->add_option("--customer", f->customer, "customer id (opaque, not a phone number)");
  cmd->add_option("--unit", f->unit, "unit id");
  cmd->add_option("--project", f->project, "project id");
  cmd->add_option("--event-id", f->event_id, "event id (default: random)");
  cmd->add_option("--occurred-at", f->occurred_at, "RFC 3339 time (default: now)");
  cmd->add_option("--ago", f->ago, "occurred this long before now (the mesh's clock), e.g. 8d");
  cmd->add_option("--source", f->source, "publishing system");
  cmd->add_option("--attr", f->attrs, "attribute key=value (repeatable)");
  cmd->add_option("--file", f->file, "JSON lines of LifecycleEvent ('-' for stdin)");
  cmd->callback([&client, f] {
    const mot::TimePoint now = client.Now();
    Publish(
        client,
        f->file.empty() ? std::vector<LifecycleEvent>{FromFlags(*f, now)} : ReadEventLines(f->file),
        now);
  });
}

}  // namespace motctl
