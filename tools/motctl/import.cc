// motctl import FILE: the owners a developer already has, loaded on the first day
// without spam. Each event is checked by the scheduler's own code (ValidateEvent, the
// playbook's required attributes) and the owner's plan rehearsed as the scheduler will
// make it when it hears of the history now (Simulate with heard_at): what is past its
// lateness is SKIPPED, never sent. Then profiles and events go onto mot.customer.v1
// and mot.lifecycle.v1, a batch of owners at a time, each batch acknowledged by the
// broker before the next; the state file says how many owners are done, so an
// interrupted import resumes after them, and events keep their ids, so publishing one
// twice plans it once. --dry-run prints every owner's plan and the summary, and
// stores and sends nothing.
#include <fstream>
#include <map>

#include "absl/strings/str_cat.h"
#include "client.h"
#include "fmt/format.h"
#include "import_file.h"
#include "mot/common/config.h"
#include "mot/common/kafka.h"
#include "mot/common/topics.h"
#include "touchpoint-scheduler/domain/planner.h"
#include "touchpoint-scheduler/domain/simulate.h"

namespace motctl {
namespace {

namespace sch = mot::scheduler;
using mot::lifecycle::v1::LifecycleEvent;

struct ImportFlags {
  std::string file, format = "auto", playbook, state;
  bool dry_run = false, restart = false;
  int batch = 500;
};

// What the import did (or, dry, would do), by the scheduler's own planning.
struct Tally {
  int owners = 0, events = 0, profiles = 0;
  int planned = 0, sent_now = 0, skipped = 0, cancelled = 0;
  std::map<std::string, int> refused;  // reason -> how many
  int refused_total = 0;
  void Refuse(const std::string& reason) {
    ++refused[reason];
    ++refused_total;
  }
};

// The owner's events the scheduler takes (the others refused into `tally`).
std::vector<LifecycleEvent> Accepted(const sch::Playbook& pb, const ImportedOwner& owner,
                                     mot::TimePoint now, Tally& tally) {
  std::vector<LifecycleEvent> out;
  for (const auto& e : owner.events) {
    absl::Status s = sch::ValidateEvent(e, now, mot::TimeWindow{});
    if (s.ok() && !pb.Knows(e.type())) s = sch::UnknownType();
    if (s.ok()) s = sch::Plan(pb, e).status();
    if (!s.ok()) {
      tally.Refuse(absl::StrCat(e.type(), ": ", s.message()));
      continue;
    }
    out.push_back(e);
  }
  return out;
}

// The owner's plan as the scheduler makes it, hearing of the history at `now`.
std::vector<sch::v1::Touchpoint> Rehearse(const sch::Playbook& pb, const ImportedOwner& owner,
                                          const std::vector<LifecycleEvent>& events,
                                          mot::TimePoint now, Tally& tally) {
  sch::CustomerFacts facts;
  if (owner.profile) sch::MergeProfile(*owner.profile, &facts);
  facts.customer_id = owner.customer_id;
  auto journey = sch::Simulate(pb, facts, events, now, now);
  if (!journey.ok()) {
    tally.Refuse(std::string(journey.status().message()));
    return {};
  }
  for (const auto& tp : *journey) {
    switch (tp.status()) {
      case sch::v1::TOUCHPOINT_STATUS_SKIPPED:
        ++tally.skipped;
        break;
      case sch::v1::TOUCHPOINT_STATUS_DISPATCHED:
        ++tally.sent_now;
        break;
      case sch::v1::TOUCHPOINT_STATUS_CANCELLED:
        ++tally.cancelled;
        break;
      default:
        ++tally.planned;
        break;
    }
  }
  return *std::move(journey);
}

void PrintPlan(const std::string& customer, const std::vector<sch::v1::Touchpoint>& journey) {
  std::cout << fmt::format("owner {}: {} touchpoints\n", customer, journey.size());
  for (const auto& tp : journey) {
    std::cout << fmt::format(
        "  {}  {:<10} {:<12} {:<30} {}\n", Time(tp.due_at()),
        Short(sch::v1::TouchpointStatus_Name(tp.status()), "TOUCHPOINT_STATUS_"), tp.service(),
        tp.step_id(), tp.outcome());
  }
}

// The messages of one owner: the profile first, then the events in time order.
void AddMessages(const ImportedOwner& owner, const std::vector<LifecycleEvent>& events,
                 std::vector<mot::OutMessage>& out) {
  if (owner.profile) {
    out.push_back({mot::kCustomerTopic,
                   owner.customer_id,
                   owner.profile->SerializeAsString(),
                   {{"content-type", "application/protobuf"}}});
  }
  for (const auto& e : events) out.push_back(LifecycleMessage(e));
}

size_t ReadState(const std::string& path) {
  std::ifstream in(path);
  size_t done = 0;
  if (in) in >> done;
  return done;
}

void WriteState(const std::string& path, size_t done) {
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << done << "\n";
    if (!out) throw std::runtime_error("the state file " + tmp + " cannot be written");
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    throw std::runtime_error("the state file " + path + " cannot be written");
  }
}

// Publishes the owners from `from` on, a batch at a time, the state after each.
void PublishOwners(Client& client, const ImportFlags& f, const std::vector<ImportedOwner>& owners,
                   const std::vector<std::vector<LifecycleEvent>>& accepted, size_t from) {
  mot::KafkaProducer producer(client.Get("MOT_KAFKA_BROKERS"), "motctl-import",
                              std::chrono::seconds(30), mot::KafkaOptionsFromEnv(mot::Env()));
  Progress progress("importing", "owners", owners.size());
  const size_t batch = static_cast<size_t>(std::max(1, f.batch));
  for (size_t at = from; at < owners.size(); at += batch) {
    std::vector<mot::OutMessage> messages;
    const size_t end = std::min(owners.size(), at + batch);
    for (size_t i = at; i < end; ++i) AddMessages(owners[i], accepted[i], messages);
    for (const auto& s : producer.PublishAll(messages)) {
      if (!s.ok()) {
        throw std::runtime_error(
            fmt::format("publishing failed after {} owners: {}; run the "
                        "same import again to resume",
                        at, std::string(s.message())));
      }
    }
    WriteState(f.state, end);
    progress.Show(end);
  }
}

void PrintSummary(const ImportFlags& f, const Tally& t, size_t resumed, double seconds) {
  std::cout << fmt::format("{}: {} owners, {} events, {} profiles{}\n", f.file, t.owners, t.events,
                           t.profiles, f.dry_run ? " (dry run: nothing stored or sent)" : "");
  if (resumed > 0) std::cout << fmt::format("resumed after {} owners already published\n", resumed);
  std::cout << fmt::format(
      "touchpoints: {} planned ahead, {} sent now, {} skipped (past their lateness), {} "
      "cancelled by later events\n",
      t.planned, t.sent_now, t.skipped, t.cancelled);
  std::cout << fmt::format("refused: {}\n", t.refused_total);
  for (const auto& [reason, n] : t.refused) std::cout << fmt::format("  {} x {}\n", n, reason);
  if (!f.dry_run && seconds > 0) {
    std::cout << fmt::format("published in {:.1f} s: {:.0f} owners/s\n", seconds,
                             t.owners / seconds);
  }
}

void Import(Client& client, ImportFlags f) {
  std::string playbook = f.playbook;
  if (playbook.empty()) playbook = client.Find("MOT_PLAYBOOK");
  if (playbook.empty()) playbook = client.Find("MOT_MESH_PLAYBOOK");
  if (playbook.empty()) {
    throw std::runtime_error(
        "name the playbook the scheduler runs: --playbook FILE or MOT_PLAYBOOK");
  }
  const sch::Playbook pb = LoadPlaybook(playbook);
  const auto started = std::chrono::steady_clock::now();
  const mot::TimePoint now = client.Now();
  ImportFile file = ReadImportFile(f.file, f.format);
  Tally tally;
  for (const auto& r : file.refused) tally.Refuse(fmt::format("line {}: {}", r.line, r.reason));
  std::vector<std::vector<LifecycleEvent>> accepted;
  for (const auto& owner : file.owners) {
    accepted.push_back(Accepted(pb, owner, now, tally));
    ++tally.owners;
    tally.events += static_cast<int>(accepted.back().size());
    tally.profiles += owner.profile ? 1 : 0;
    auto journey = Rehearse(pb, owner, accepted.back(), now, tally);
    if (f.dry_run) PrintPlan(owner.customer_id, journey);
  }
  size_t resumed = 0;
  if (!f.dry_run) {
    if (f.state.empty()) f.state = (f.file == "-" ? "stdin" : f.file) + ".import-state";
    if (!f.restart) resumed = std::min(ReadState(f.state), file.owners.size());
    PublishOwners(client, f, file.owners, accepted, resumed);
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  PrintSummary(f, tally, resumed, seconds);
  if (tally.refused_total > 0) client.exit_code = 3;
}

}  // namespace

void AddImport(CLI::App& app, Client& client) {
  auto* cmd = app.add_subcommand(
      "import", "load the owners a developer already has (JSON lines or CSV, docs/importing.md)");
  auto f = std::make_shared<ImportFlags>();
  cmd->add_option("file", f->file,
                  "JSON lines of LifecycleEvent and CustomerProfile, or CSV ('-': stdin)")
      ->required();
  cmd->add_option("--format", f->format, "auto (default: by the extension), jsonl or csv");
  cmd->add_option("--playbook", f->playbook,
                  "the playbook the scheduler runs (default: MOT_PLAYBOOK, the local mesh's)");
  cmd->add_option("--state", f->state, "where the progress is kept (default: FILE.import-state)");
  cmd->add_option("--batch", f->batch, "owners per acknowledged batch (default 500)");
  cmd->add_flag("--dry-run", f->dry_run,
                "print each owner's plan and the summary; store and send nothing");
  cmd->add_flag("--restart", f->restart,
                "start from the first owner, whatever the state file says");
  cmd->callback([&client, f] { Import(client, *f); });
}

}  // namespace motctl
