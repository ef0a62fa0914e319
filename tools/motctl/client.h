#pragma once

// What every motctl command group shares: where the mesh is, gRPC channels with a
// deadline, and printing as a table or JSON.
#include <CLI/CLI.hpp>
#include <chrono>
#include <iostream>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "google/protobuf/message.h"
#include "google/protobuf/timestamp.pb.h"
#include "grpcpp/grpcpp.h"
#include "mot/common/clock.h"
#include "mot/common/messaging.h"
#include "mot/common/redis.h"
#include "mot/lifecycle/v1/event.pb.h"
#include "touchpoint-scheduler/domain/playbook.h"

namespace motctl {

// Addresses and settings: flag > environment > the local mesh's env file.
class Client {
 public:
  std::string env_file;
  std::map<std::string, std::string> flags;  // MOT_* -> value, from global flags
  bool json = false;                         // --json
  int exit_code = 0;                         // what main returns

  // Empty when set nowhere.
  std::string Find(const std::string& key);
  // Throws naming the flag, variable or file that would set it.
  std::string Get(const std::string& key);
  // A TLS channel (MOT_TLS_CA_FILE; MOT_TLS_CLIENT_CERT_FILE and _KEY_FILE for mutual
  // TLS) sending MOT_TOKEN as the bearer token.
  std::shared_ptr<grpc::Channel> Channel(const std::string& addr_key);
  // The content of the file `key` names; "" when it names none.
  std::string FileOf(const std::string& key);
  // The mesh's Redis (for its simulated clock).
  std::unique_ptr<mot::RedisClient> Redis();
  // Now: the mesh's simulated time when it runs on one (MOT_CLOCK=simulated), else
  // the wall clock.
  mot::TimePoint Now();

 private:
  std::map<std::string, std::string> file_;
};

// Who asks: `by` when given, else the operating-system user, else "motctl".
std::string Requester(const std::string& by);
// A fresh id: `prefix` and 64 random bits (two commands in one second must differ).
std::string RandomId(const std::string& prefix);

// A client context with a 5 s deadline.
std::unique_ptr<grpc::ClientContext> Context();
// Throws "<what>: <message> (<code>)" unless OK.
void Check(const grpc::Status& s, const std::string& what);
std::string Json(const google::protobuf::Message& m);
std::string Time(const google::protobuf::Timestamp& ts);
// "TICKET_STATUS_NEW" -> "NEW": the enum value without its type's prefix.
std::string Short(const std::string& enum_name, const std::string& prefix);

// "importing [#####     ] 4500/10000 owners" on stderr: redrawn on a terminal, else a
// line at every tenth and at the end.
class Progress {
 public:
  Progress(std::string verb, std::string unit, size_t total);
  void Show(size_t done);

 private:
  std::string verb_, unit_;
  size_t total_, shown_ = 0;
  bool tty_;
};

// Each item as a JSON object (--json) or as the lines `text` makes of it.
template <typename Items, typename Text>
void PrintAll(const Items& items, bool json, Text text) {
  for (const auto& item : items) std::cout << (json ? Json(item) + "\n" : text(item));
}

// Lifecycle events from JSON lines (protobuf JSON; "-" for stdin); throws naming the line.
std::vector<mot::lifecycle::v1::LifecycleEvent> ReadEventLines(const std::string& file);
// The event as published onto mot.lifecycle.v1: keyed by customer, with the CloudEvents
// headers.
mot::OutMessage LifecycleMessage(const mot::lifecycle::v1::LifecycleEvent& event);
// The playbook in `file`, or throws naming the file, the step and the field.
mot::scheduler::Playbook LoadPlaybook(const std::string& file);

// The command groups: each adds its subcommand to `app`, run through `client`.
void AddPublish(CLI::App& app, Client& client);
void AddImport(CLI::App& app, Client& client);  // import FILE [--dry-run]
void AddDlq(CLI::App& app, Client& client);     // dlq list | show | replay
void AddJourney(CLI::App& app, Client& client);
void AddRecords(CLI::App& app, Client& client);  // survey
void AddNotify(CLI::App& app, Client& client);   // notify send | list | prefs
// ticket create | get | list | transition | assign | note | reclassify | history |
// defects | report
void AddTicket(CLI::App& app, Client& client);
void AddHealth(CLI::App& app, Client& client);
void AddTopics(CLI::App& app, Client& client);
void AddClock(CLI::App& app, Client& client);
void AddPlaybook(CLI::App& app, Client& client);     // playbook validate | simulate
void AddToken(CLI::App& app, Client& client);        // token issue
void AddTouchpoints(CLI::App& app, Client& client);  // stage; touchpoint cancel | reschedule
void AddOwner(CLI::App& app, Client& client);        // owner export

}  // namespace motctl
