// motctl: the operator's command line for MOT Mesh.
//   publish   lifecycle events onto mot.lifecycle.v1 (flags, or JSON lines)   publish.cc
//   journey   a customer's timeline                                           journey.cc
//   ticket    create | get | list | transition | assign | note | reclassify |    tickets.cc
//             history | defects | report
//   survey list|show|answer|scores|kpi                                         records.cc
//   notify    send | list | prefs get|set: messages to owners                 notify.cc
//   health    the four services' gRPC health                                  health.cc
//   topics    ensure | list: the mesh's Kafka topics                           topics.cc
//   clock     show | set TIME | advance DURATION: the simulated clock          clock.cc
//   stage, touchpoint cancel | reschedule: a customer's stage, a manager's change  journey.cc
//   token     issue: a signed bearer token with scopes                      token.cc
//   playbook  validate FILE | simulate FILE --events FILE (no mesh needed)     playbook.cc
// Addresses, TLS files and the token come from flags, else MOT_* environment
// variables, else the local mesh's env file (.run/mesh/mesh.env, written by
// deploy/local/mesh up).
#include "client.h"
#include "mot/common/log.h"

namespace {

std::string DefaultEnvFile() {
  if (const char* dir = std::getenv("MOT_MESH_DIR"); dir && *dir)
    return std::string(dir) + "/mesh.env";
  return ".run/mesh/mesh.env";
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"motctl: operate MOT Mesh (publish events, read journeys, tickets, health)"};
  app.require_subcommand(1);
  app.fallthrough();  // global options (--json, addresses) also after the subcommand
  motctl::Client client;
  client.env_file = DefaultEnvFile();
  app.add_option("--env-file", client.env_file, "KEY=VALUE file with addresses")
      ->capture_default_str();
  app.add_option("--brokers", client.flags["MOT_KAFKA_BROKERS"], "Kafka bootstrap servers");
  app.add_option("--scheduler", client.flags["MOT_SCHEDULER_ADDR"], "scheduler gRPC host:port");
  app.add_option("--ticketing", client.flags["MOT_TICKETING_ADDR"], "ticketing gRPC host:port");
  app.add_option("--notification", client.flags["MOT_NOTIFICATION_ADDR"],
                 "notification gRPC host:port");
  app.add_option("--survey", client.flags["MOT_SURVEY_ADDR"], "survey gRPC host:port");
  app.add_option("--ca", client.flags["MOT_TLS_CA_FILE"],
                 "CA certificate the services' TLS certificates are signed by");
  app.add_option("--cert", client.flags["MOT_TLS_CLIENT_CERT_FILE"],
                 "client certificate (mutual TLS)");
  app.add_option("--key", client.flags["MOT_TLS_CLIENT_KEY_FILE"],
                 "client certificate's key (mutual TLS)");
  app.add_option("--token", client.flags["MOT_TOKEN"], "bearer token (motctl token issue)");
  app.add_option("--tls-server-name", client.flags["MOT_TLS_SERVER_NAME"],
                 "the name the services' certificate must carry, when it is not the host dialled "
                 "(e.g. through kubectl port-forward: the Service's DNS name)");
  app.add_flag("--json", client.json, "print JSON instead of a table");
  motctl::AddPublish(app, client);
  motctl::AddImport(app, client);
  motctl::AddDlq(app, client);
  motctl::AddJourney(app, client);
  motctl::AddRecords(app, client);
  motctl::AddNotify(app, client);
  motctl::AddTicket(app, client);
  motctl::AddHealth(app, client);
  motctl::AddTopics(app, client);
  motctl::AddClock(app, client);
  motctl::AddTouchpoints(app, client);
  motctl::AddPlaybook(app, client);
  motctl::AddToken(app, client);
  motctl::AddOwner(app, client);
  // Only the client's errors: transient broker warnings are not the operator's business.
  mot::Log().set_level(spdlog::level::err);
  try {
    app.parse(argc, argv);  // runs the chosen command's callback
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  } catch (const std::exception& e) {
    std::cerr << "motctl: " << e.what() << "\n";
    return 1;
  }
  return client.exit_code;
}
