#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <string>

#include "absl/status/statusor.h"
#include "touchpoint-scheduler/domain/playbook.h"

namespace mot::scheduler {

// The playbook in force, replaced at run time by a valid new one only.
class LivePlaybook {
 public:
  // A further check a new playbook must pass (against the message templates).
  using Check = std::function<absl::Status(const Playbook&)>;
  // `text`: the file's text `initial` was read from; `check`: what a reload must pass
  // besides being a valid playbook (none: nothing more).
  explicit LivePlaybook(Playbook initial, std::string path = "", std::string text = "",
                        Check check = nullptr);
  std::shared_ptr<const Playbook> Get() const;
  // Reads the file again: a valid playbook replaces the one in force; a broken one
  // is refused with the error naming the file, step and field (the old one stays).
  // Whether it changed (a different text).
  absl::StatusOr<bool> Reload();
  const std::string& path() const { return path_; }
  // What a new playbook must pass besides being valid (OK without a check).
  absl::Status Checked(const Playbook& playbook) const;

 private:
  const std::string path_;
  const Check check_;
  mutable std::mutex mu_;
  std::shared_ptr<const Playbook> current_;
  std::string text_;  // the text in force (or last refused), to notice a change
};
}  // namespace mot::scheduler
