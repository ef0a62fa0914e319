// motctl: the operator's command line for MOT Mesh.
//   publish   lifecycle events onto mot.lifecycle.v1 (flags, or JSON lines)
//   journey   a customer's timeline
//   ticket    get | list
//   survey    list (a customer's survey instances)
//   delivery  list (a customer's notification deliveries)
//   health    the four services' gRPC health
//   topics    ensure | list: the mesh's Kafka topics
//   clock     show | set TIME | advance DURATION: the local mesh's simulated clock
// Addresses come from flags, else MOT_* environment variables, else the local
// mesh's env file (.run/mesh/mesh.env, written by deploy/local/mesh up).
#include <CLI/CLI.hpp>
#include <fstream>
#include <iostream>
#include <map>
#include <random>

#include "absl/strings/str_split.h"
#include "fmt/format.h"
#include "google/protobuf/util/json_util.h"
#include "google/protobuf/util/time_util.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "grpcpp/grpcpp.h"
#include "mot/common/clock.h"
#include "mot/common/codec.h"
#include "mot/common/config.h"
#include "mot/common/kafka.h"
#include "mot/common/kafka_admin.h"
#include "mot/common/log.h"
#include "mot/common/redis.h"
#include "mot/common/simulated_clock.h"
#include "mot/lifecycle/v1/event.pb.h"
#include "mot/notification/v1/notification.grpc.pb.h"
#include "mot/scheduler/v1/scheduler.grpc.pb.h"
#include "mot/survey/v1/survey.grpc.pb.h"
#include "mot/ticketing/v1/ticketing.grpc.pb.h"

namespace {

using google::protobuf::util::TimeUtil;

struct Settings {
  std::string env_file;
  std::map<std::string, std::string> file;
  std::map<std::string, std::string> flags;

  // flag > environment > env file; empty when set nowhere.
  std::string Find(const std::string& key) {
    if (auto it = flags.find(key); it != flags.end() && !it->second.empty()) return it->second;
    if (const char* v = std::getenv(key.c_str()); v && *v) return v;
    if (file.empty() && !env_file.empty()) {
      std::ifstream in(env_file);
      std::string line;
      while (std::getline(in, line)) {
        auto eq = line.find('=');
        if (eq != std::string::npos && line[0] != '#') file[line.substr(0, eq)] = line.substr(eq + 1);
      }
    }
    if (auto it = file.find(key); it != file.end()) return it->second;
    return "";
  }
  std::string Get(const std::string& key) {
    std::string v = Find(key);
    if (v.empty()) {
      throw std::runtime_error(key + " is not set: pass the flag, export it, or start the local mesh "
                               "(deploy/local/mesh up writes " + env_file + ")");
    }
    return v;
  }
};

// The Redis of the mesh (for its simulated clock).
std::unique_ptr<mot::RedisClient> Redis(Settings& settings) {
  const std::string addr = settings.Get("MOT_REDIS_ADDR");
  auto [host, port] = mot::SplitHostPort(addr);
  return std::make_unique<mot::RedisClient>(host, port, settings.Find("MOT_REDIS_PASSWORD"),
                                            std::chrono::seconds(5));
}

// Now: the mesh's simulated time when it runs on one (MOT_CLOCK=simulated), else the wall clock.
mot::TimePoint Now(Settings& settings) {
  if (settings.Find("MOT_CLOCK") != "simulated") return mot::SystemClock::WallNow();
  auto redis = Redis(settings);
  auto t = mot::SimulatedTime(*redis).Get();
  if (!t.ok()) throw std::runtime_error("simulated clock: " + std::string(t.status().message()));
  return *t;
}

std::string DefaultEnvFile() {
  if (const char* dir = std::getenv("MOT_MESH_DIR"); dir && *dir) return std::string(dir) + "/mesh.env";
  return ".run/mesh/mesh.env";
}

std::shared_ptr<grpc::Channel> Channel(const std::string& addr) {
  return grpc::CreateChannel(addr, grpc::InsecureChannelCredentials());
}

std::unique_ptr<grpc::ClientContext> Context() {
  auto ctx = std::make_unique<grpc::ClientContext>();
  ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
  return ctx;
}

void Check(const grpc::Status& s, const std::string& what) {
  if (!s.ok()) {
    throw std::runtime_error(fmt::format("{}: {} ({})", what, s.error_message(),
                                         static_cast<int>(s.error_code())));
  }
}

std::string Json(const google::protobuf::Message& m) {
  std::string out;
  google::protobuf::util::JsonPrintOptions o;
  o.add_whitespace = true;
  o.preserve_proto_field_names = true;
  (void)google::protobuf::util::MessageToJsonString(m, &out, o);
  return out;
}

std::string Time(const google::protobuf::Timestamp& ts) {
  return ts.seconds() == 0 ? "-" : mot::FormatTime(mot::FromProto(ts));
}

// "TICKET_STATUS_OPEN" -> "OPEN": the enum value without its type's prefix.
std::string Short(const std::string& enum_name, const std::string& prefix) {
  return enum_name.rfind(prefix, 0) == 0 ? enum_name.substr(prefix.size()) : enum_name;
}

// Each item as a JSON object (--json) or as the lines `text` makes of it.
template <typename Items, typename Text>
void PrintAll(const Items& items, bool json, Text text) {
  for (const auto& item : items) std::cout << (json ? Json(item) + "\n" : text(item));
}

std::string RandomId() {
  std::random_device rd;
  std::mt19937_64 gen(rd());
  return fmt::format("ev-{:016x}", gen());
}

int Publish(Settings& settings, std::vector<mot::lifecycle::v1::LifecycleEvent> events,
            mot::TimePoint now) {
  mot::KafkaProducer producer(settings.Get("MOT_KAFKA_BROKERS"), "motctl",
                              std::chrono::seconds(15), mot::KafkaOptionsFromEnv(mot::Env()));
  for (auto& e : events) {
    if (e.event_id().empty()) e.set_event_id(RandomId());
    if (!e.has_occurred_at()) *e.mutable_occurred_at() = mot::ToProto(now);
    for (auto [value, field] : {std::pair{&e.type(), "type"}, std::pair{&e.customer_id(), "customer_id"}}) {
      if (value->empty()) throw std::runtime_error(fmt::format("event {}: {} is required", e.event_id(), field));
    }
    auto s = producer.Publish(mot::kLifecycleTopic, e.customer_id(), e.SerializeAsString(),
                              {{"content-type", "application/protobuf"},
                               {"ce_specversion", "1.0"},
                               {"ce_id", e.event_id()},
                               {"ce_type", "mot.lifecycle.v1." + e.type()},
                               {"ce_source", e.source().empty() ? "motctl" : e.source()}});
    if (!s.ok()) throw std::runtime_error(std::string(s.message()));
    std::cout << "published " << e.event_id() << " " << e.type() << " customer " << e.customer_id() << "\n";
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"motctl: operate MOT Mesh (publish events, read journeys, tickets, health)"};
  app.require_subcommand(1);
  app.fallthrough();  // global options (--json, addresses) also after the subcommand
  Settings settings;
  settings.env_file = DefaultEnvFile();
  app.add_option("--env-file", settings.env_file, "KEY=VALUE file with addresses")->capture_default_str();
  app.add_option("--brokers", settings.flags["MOT_KAFKA_BROKERS"], "Kafka bootstrap servers");
  app.add_option("--scheduler", settings.flags["MOT_SCHEDULER_ADDR"], "scheduler gRPC host:port");
  app.add_option("--ticketing", settings.flags["MOT_TICKETING_ADDR"], "ticketing gRPC host:port");
  app.add_option("--notification", settings.flags["MOT_NOTIFICATION_ADDR"], "notification gRPC host:port");
  app.add_option("--survey", settings.flags["MOT_SURVEY_ADDR"], "survey gRPC host:port");
  bool json = false;
  app.add_flag("--json", json, "print JSON instead of a table");

  // publish
  auto* publish = app.add_subcommand("publish", "publish lifecycle events onto mot.lifecycle.v1");
  mot::lifecycle::v1::LifecycleEvent flag_event;
  std::string type, customer, unit, project, event_id, occurred_at, ago, source, file;
  std::vector<std::string> attrs;
  publish->add_option("--type", type, "event type, e.g. contract_signed");
  publish->add_option("--customer", customer, "customer id (opaque, not a phone number)");
  publish->add_option("--unit", unit, "unit id");
  publish->add_option("--project", project, "project id");
  publish->add_option("--event-id", event_id, "event id (default: random)");
  publish->add_option("--occurred-at", occurred_at, "RFC 3339 time (default: now)");
  publish->add_option("--ago", ago, "occurred this long before now (the mesh's clock), e.g. 8d");
  publish->add_option("--source", source, "publishing system");
  publish->add_option("--attr", attrs, "attribute key=value (repeatable)");
  publish->add_option("--file", file, "JSON lines of LifecycleEvent ('-' for stdin)");

  auto* journey = app.add_subcommand("journey", "a customer's timeline");
  std::string journey_customer;
  journey->add_option("customer", journey_customer, "customer id")->required();

  auto* ticket = app.add_subcommand("ticket", "tickets");
  ticket->require_subcommand(1);
  auto* ticket_get = ticket->add_subcommand("get", "one ticket");
  std::string ticket_id;
  ticket_get->add_option("id", ticket_id, "ticket id")->required();
  auto* ticket_list = ticket->add_subcommand("list", "tickets, newest first");
  std::string ticket_customer;
  ticket_list->add_option("--customer", ticket_customer, "only this customer's");

  auto* survey = app.add_subcommand("survey", "survey instances");
  survey->require_subcommand(1);
  auto* survey_list = survey->add_subcommand("list", "a customer's survey instances");
  std::string survey_customer;
  survey_list->add_option("customer", survey_customer, "customer id")->required();

  auto* delivery = app.add_subcommand("delivery", "notification deliveries");
  delivery->require_subcommand(1);
  auto* delivery_list = delivery->add_subcommand("list", "a customer's deliveries");
  std::string delivery_customer;
  delivery_list->add_option("customer", delivery_customer, "customer id")->required();

  auto* health = app.add_subcommand("health", "gRPC health of the four services");

  auto* topics = app.add_subcommand("topics", "the mesh's Kafka topics");
  topics->require_subcommand(1);
  auto* topics_ensure = topics->add_subcommand(
      "ensure", "create the mesh's topics (and their .dlq) that are missing; wait for leaders");
  int partitions = 3, replication = 1;
  std::string topics_timeout = "60s";
  topics_ensure->add_option("--partitions", partitions, "partitions per new topic")
      ->capture_default_str()->check(CLI::PositiveNumber);
  topics_ensure->add_option("--replication-factor", replication, "replicas per new topic")
      ->capture_default_str()->check(CLI::PositiveNumber);
  topics_ensure->add_option("--timeout", topics_timeout, "give up after")->capture_default_str();
  auto* topics_list = topics->add_subcommand("list", "the broker's topics");

  auto* clock = app.add_subcommand("clock", "the local mesh's simulated clock (MOT_CLOCK=simulated)");
  clock->require_subcommand(1);
  clock->add_subcommand("show", "the simulated time");
  auto* clock_set = clock->add_subcommand("set", "move the simulated time to TIME (forward only)");
  std::string clock_time, clock_step;
  clock_set->add_option("time", clock_time, "RFC 3339 time, e.g. 2027-02-01T09:00:00+08:00")->required();
  auto* clock_advance = clock->add_subcommand("advance", "move the simulated time forward");
  clock_advance->add_option("duration", clock_step, "e.g. 90d, 1y, 2h30m")->required();

  CLI11_PARSE(app, argc, argv);
  // Only the client's errors: transient broker warnings are not the operator's business.
  mot::Log().set_level(spdlog::level::err);

  try {
    if (*clock) {
      auto redis = Redis(settings);
      mot::SimulatedTime time(*redis);
      absl::StatusOr<mot::TimePoint> t;
      if (*clock_set) {
        mot::TimePoint target;
        if (!mot::ParseTime(clock_time, &target)) {
          throw std::runtime_error("'" + clock_time + "' is not an RFC 3339 time, e.g. 2027-02-01T09:00:00+08:00");
        }
        t = time.Set(target);
      } else if (*clock_advance) {
        auto d = mot::ParseDuration(clock_step);
        if (!d.ok()) throw std::runtime_error("advance: " + std::string(d.status().message()));
        t = time.Advance(*d);
      } else {
        t = time.Get();
      }
      if (!t.ok()) throw std::runtime_error("clock: " + std::string(t.status().message()));
      std::cout << mot::FormatTime(*t) << "\n";
      return 0;
    }
    if (*publish) {
      const mot::TimePoint now = Now(settings);
      std::vector<mot::lifecycle::v1::LifecycleEvent> events;
      if (!file.empty()) {
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
          mot::lifecycle::v1::LifecycleEvent e;
          auto s = google::protobuf::util::JsonStringToMessage(line, &e);
          if (!s.ok()) throw std::runtime_error(fmt::format("line {}: {}", n, std::string(s.message())));
          events.push_back(std::move(e));
        }
      } else {
        mot::lifecycle::v1::LifecycleEvent& e = flag_event;
        e.set_type(type);
        e.set_customer_id(customer);
        e.set_unit_id(unit);
        e.set_project_id(project);
        e.set_event_id(event_id);
        e.set_source(source.empty() ? "motctl" : source);
        if (!occurred_at.empty()) {
          if (!TimeUtil::FromString(occurred_at, e.mutable_occurred_at())) {
            throw std::runtime_error("--occurred-at '" + occurred_at + "' is not an RFC 3339 time");
          }
        } else if (!ago.empty()) {
          auto d = mot::ParseDuration(ago);
          if (!d.ok()) throw std::runtime_error("--ago: " + std::string(d.status().message()));
          *e.mutable_occurred_at() = mot::ToProto(now - *d);
        }
        for (const auto& a : attrs) {
          auto eq = a.find('=');
          if (eq == std::string::npos) throw std::runtime_error("--attr '" + a + "': expected key=value");
          (*e.mutable_attributes())[a.substr(0, eq)] = a.substr(eq + 1);
        }
        events.push_back(e);
      }
      return Publish(settings, std::move(events), now);
    }
    if (*journey) {
      auto stub = mot::scheduler::v1::SchedulerService::NewStub(Channel(settings.Get("MOT_SCHEDULER_ADDR")));
      mot::scheduler::v1::GetJourneyRequest req;
      req.set_customer_id(journey_customer);
      mot::scheduler::v1::GetJourneyResponse resp;
      Check(stub->GetJourney(Context().get(), req, &resp), "journey");
      if (json) {
        std::cout << Json(resp) << "\n";
        return 0;
      }
      std::cout << fmt::format("customer {}  stage {}\n", resp.customer_id(),
                               resp.stage().empty() ? "-" : resp.stage());
      std::cout << fmt::format("{:<21} {:<11} {:<13} {:<24} {}\n", "DUE (UTC)", "STATUS", "SERVICE",
                               "STEP", "OUTCOME");
      for (const auto& tp : resp.touchpoints()) {
        std::cout << fmt::format("{:<21} {:<11} {:<13} {:<24} {}{}\n", Time(tp.due_at()),
                                 Short(mot::scheduler::v1::TouchpointStatus_Name(tp.status()),
                                       "TOUCHPOINT_STATUS_"),
                                 tp.service(), tp.step_id(), tp.outcome(),
                                 tp.result_ref().empty() ? "" : " [" + tp.result_ref() + "]");
      }
      return 0;
    }
    if (*ticket) {
      auto stub = mot::ticketing::v1::TicketingService::NewStub(Channel(settings.Get("MOT_TICKETING_ADDR")));
      std::vector<mot::ticketing::v1::Ticket> tickets;
      if (*ticket_get) {
        mot::ticketing::v1::GetTicketRequest req;
        req.set_ticket_id(ticket_id);
        mot::ticketing::v1::GetTicketResponse resp;
        Check(stub->GetTicket(Context().get(), req, &resp), "ticket get");
        tickets.push_back(resp.ticket());
      } else {
        mot::ticketing::v1::ListTicketsRequest req;
        req.set_customer_id(ticket_customer);
        mot::ticketing::v1::ListTicketsResponse resp;
        Check(stub->ListTickets(Context().get(), req, &resp), "ticket list");
        tickets.assign(resp.tickets().begin(), resp.tickets().end());
      }
      PrintAll(tickets, json, [](const mot::ticketing::v1::Ticket& t) {
        std::string out = fmt::format(
            "{}  {}  {}  customer {}  opened {}\n", t.id(), t.kind(),
            Short(mot::ticketing::v1::TicketStatus_Name(t.status()), "TICKET_STATUS_"),
            t.customer_id(), Time(t.opened_at()));
        for (const auto& d : t.deadlines()) {
          out += fmt::format("    {:<26} due {}\n", d.milestone(), Time(d.due_at()));
        }
        return out;
      });
      return 0;
    }
    if (*survey) {
      auto stub = mot::survey::v1::SurveyService::NewStub(Channel(settings.Get("MOT_SURVEY_ADDR")));
      mot::survey::v1::ListSurveyInstancesRequest req;
      req.set_customer_id(survey_customer);
      mot::survey::v1::ListSurveyInstancesResponse resp;
      Check(stub->ListSurveyInstances(Context().get(), req, &resp), "survey list");
      PrintAll(resp.instances(), json, [](const mot::survey::v1::SurveyInstance& s) {
        return fmt::format("{}  {}  {}  {}  open until {}  ({} questions)\n", s.id(),
                           s.survey_id(), s.stage(), s.title(), Time(s.expires_at()),
                           s.questions_size());
      });
      return 0;
    }
    if (*delivery) {
      auto stub = mot::notification::v1::NotificationService::NewStub(
          Channel(settings.Get("MOT_NOTIFICATION_ADDR")));
      mot::notification::v1::ListDeliveriesRequest req;
      req.set_customer_id(delivery_customer);
      mot::notification::v1::ListDeliveriesResponse resp;
      Check(stub->ListDeliveries(Context().get(), req, &resp), "delivery list");
      PrintAll(resp.deliveries(), json, [](const mot::notification::v1::Delivery& d) {
        return fmt::format(
            "{}  {}  {}  {}  {}  at {}\n", d.id(), d.template_id(), d.channel(),
            Short(mot::notification::v1::DeliveryStatus_Name(d.status()), "DELIVERY_STATUS_"),
            d.provider_response(), Time(d.delivered_at()));
      });
      return 0;
    }
    if (*topics_ensure) {
      auto timeout = mot::ParseDuration(topics_timeout);
      if (!timeout.ok()) throw std::runtime_error("--timeout: " + std::string(timeout.status().message()));
      const auto wanted = mot::AllTopics();
      auto s = mot::EnsureTopics(settings.Get("MOT_KAFKA_BROKERS"), wanted, partitions, replication,
                                 *timeout, mot::KafkaOptionsFromEnv(mot::Env()));
      if (!s.ok()) throw std::runtime_error(std::string(s.message()));
      std::cout << wanted.size() << " topics ready\n";
      return 0;
    }
    if (*topics_list) {
      auto list = mot::ListTopics(settings.Get("MOT_KAFKA_BROKERS"), std::chrono::seconds(10),
                                  mot::KafkaOptionsFromEnv(mot::Env()));
      if (!list.ok()) throw std::runtime_error(std::string(list.status().message()));
      for (const auto& t : *list) {
        std::cout << fmt::format("{:<36} partitions {:>3}  with leader {:>3}\n", t.name, t.partitions,
                                 t.partitions_with_leader);
      }
      return 0;
    }
    if (*health) {
      int bad = 0;
      for (auto [name, key] : {std::pair{"touchpoint-scheduler", "MOT_SCHEDULER_ADDR"},
                               std::pair{"ticketing", "MOT_TICKETING_ADDR"},
                               std::pair{"notification", "MOT_NOTIFICATION_ADDR"},
                               std::pair{"survey", "MOT_SURVEY_ADDR"}}) {
        const std::string addr = settings.Get(key);
        auto stub = grpc::health::v1::Health::NewStub(Channel(addr));
        grpc::health::v1::HealthCheckRequest req;
        grpc::health::v1::HealthCheckResponse resp;
        grpc::Status s = stub->Check(Context().get(), req, &resp);
        std::string state = s.ok() ? grpc::health::v1::HealthCheckResponse::ServingStatus_Name(resp.status())
                                   : "UNREACHABLE (" + s.error_message() + ")";
        if (!s.ok() || resp.status() != grpc::health::v1::HealthCheckResponse::SERVING) ++bad;
        std::cout << fmt::format("{:<21} {:<22} {}\n", name, addr, state);
      }
      return bad == 0 ? 0 : 1;
    }
  } catch (const std::exception& e) {
    std::cerr << "motctl: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
