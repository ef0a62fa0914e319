// motctl clock show | set TIME | advance DURATION: the local mesh's simulated clock.
#include "client.h"
#include "mot/common/config.h"
#include "mot/common/simulated_clock.h"

namespace motctl {
namespace {

void Print(const absl::StatusOr<mot::TimePoint>& t) {
  if (!t.ok()) throw std::runtime_error("clock: " + std::string(t.status().message()));
  std::cout << mot::FormatTime(*t) << "\n";
}

}  // namespace

void AddClock(CLI::App& app, Client& client) {
  auto* clock =
      app.add_subcommand("clock", "the local mesh's simulated clock (MOT_CLOCK=simulated)");
  clock->require_subcommand(1);
  clock->add_subcommand("show", "the simulated time")->callback([&client] {
    auto redis = client.Redis();
    Print(mot::SimulatedTime(*redis).Get());
  });
  auto time = std::make_shared<std::string>();
  auto* set = clock->add_subcommand("set", "move the simulated time to TIME (forward only)");
  set->add_option("time", *time, "RFC 3339 time, e.g. 2027-02-01T09:00:00+08:00")->required();
  set->callback([&client, time] {
    mot::TimePoint target;
    if (!mot::ParseTime(*time, &target)) {
      throw std::runtime_error("'" + *time +
                               "' is not an RFC 3339 time, e.g. 2027-02-01T09:00:00+08:00");
    }
    auto redis = client.Redis();
    Print(mot::SimulatedTime(*redis).Set(target));
  });
  auto step = std::make_shared<std::string>();
  auto* advance = clock->add_subcommand("advance", "move the simulated time forward");
  advance->add_option("duration", *step, "e.g. 90d, 1y, 2h30m")->required();
  advance->callback([&client, step] {
    auto d = mot::ParseDuration(*step);
    if (!d.ok()) throw std::runtime_error("advance: " + std::string(d.status().message()));
    auto redis = client.Redis();
    Print(mot::SimulatedTime(*redis).Advance(*d));
  });
}

}  // namespace motctl
