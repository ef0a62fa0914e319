#include "touchpoint-scheduler/app/live_playbook.h"

#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"

namespace mot::scheduler {

LivePlaybook::LivePlaybook(Playbook initial, std::string path, std::string text, Check check)
    : path_(std::move(path)),
      check_(std::move(check)),
      current_(std::make_shared<const Playbook>(std::move(initial))),
      text_(std::move(text)) {}

absl::Status LivePlaybook::Checked(const Playbook& playbook) const {
  return check_ ? check_(playbook) : absl::OkStatus();
}

std::shared_ptr<const Playbook> LivePlaybook::Get() const {
  std::lock_guard lock(mu_);
  return current_;
}

absl::StatusOr<bool> LivePlaybook::Reload() {
  std::ifstream in(path_);
  if (!in) return absl::NotFoundError(absl::StrCat(path_, ": cannot be read"));
  std::stringstream buf;
  buf << in.rdbuf();
  const std::string text = buf.str();
  {
    std::lock_guard lock(mu_);
    if (text == text_) return false;
    text_ = text;  // a broken text is refused once, not at every look
  }
  auto parsed = Playbook::FromYaml(text, path_);
  if (!parsed.ok()) return parsed.status();
  if (auto s = Checked(*parsed); !s.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(path_, ": ", s.message()));
  }
  std::lock_guard lock(mu_);
  current_ = std::make_shared<const Playbook>(*std::move(parsed));
  return true;
}
}  // namespace mot::scheduler
