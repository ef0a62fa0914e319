#include "survey/app/kpi.h"

#include <algorithm>

#include "absl/strings/str_cat.h"

namespace mot::survey {

std::string KpiKey(const std::string& what, const std::string& project, const std::string& month) {
  return absl::StrCat("mot:survey:kpi:", what, ":", project, month.empty() ? "" : "|", month);
}

std::string ProjectsKey() { return "mot:survey:projects"; }

absl::StatusOr<KpiCounter::Counts> KpiCounter::CountsOf(const std::string& project,
                                                        const std::string& month) {
  auto all = CountsOfAll({project}, month);
  if (!all.ok()) return all.status();
  return all->at(0);
}

absl::StatusOr<std::vector<KpiCounter::Counts>> KpiCounter::CountsOfAll(
    const std::vector<std::string>& projects, const std::string& month) {
  std::vector<std::vector<std::string>> cmds;
  for (const auto& p : projects) {
    cmds.push_back({"PFCOUNT", KpiKey("owners", p)});
    for (const char* what : {"bought", "active", "complaints_opened", "complaints_resolved"}) {
      cmds.push_back({"PFCOUNT", KpiKey(what, p, month)});
    }
  }
  auto r = redis_.Pipeline(cmds);
  if (!r.ok()) return r.status();
  std::vector<Counts> out;
  for (size_t i = 0; i + 5 <= r->size(); i += 5) {
    Counts c;
    c.owners = (*r)[i].integer;
    c.bought_again = (*r)[i + 1].integer;
    c.active = (*r)[i + 2].integer;
    c.complaints_opened = (*r)[i + 3].integer;
    c.complaints_resolved = (*r)[i + 4].integer;
    out.push_back(c);
  }
  return out;
}

KpiInputs KpiInputsOf(const KpiCounter::Counts& c, std::optional<double> csat_satisfied) {
  KpiInputs in;
  in.satisfaction = csat_satisfied;
  if (c.owners > 0) {
    in.repurchase = std::min(100.0, 100.0 * c.bought_again / c.owners);
    in.community_activity = std::min(100.0, 100.0 * c.active / c.owners);
  }
  if (c.complaints_opened > 0) {
    in.complaint_resolution = std::min(100.0, 100.0 * c.complaints_resolved / c.complaints_opened);
  }
  return in;
}

}  // namespace mot::survey